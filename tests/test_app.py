"""AppTest tests of every dashboard page on fixture runs written with the project's own writers."""

import os
import shutil

import numpy as np

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.figures import figures, trace_names as traces
from tests.fixtures import write_fixture_run
from tests.html_table import frame_tables, runs_table, sparkline_points
from wgan_watch.runs import runfiles as rf

MAIN = str(ROOT / "app" / "main.py")


def app(page=None, **params) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    if page:
        at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "info", "warning", "error", "success", "caption") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_empty_folder_offers_the_demo(runs, monkeypatch):
    at = app()
    assert "No runs yet" in texts(at)
    calls = []
    from wgan_watch import spawn as spawn

    class FakePopen:
        def __init__(self, args, **kw):
            assert isinstance(args, list) and not kw.get("shell")
            calls.append(args)

    monkeypatch.setattr(spawn.subprocess, "Popen", FakePopen)
    at.button[0].click().run()
    assert not at.exception
    assert len(calls) == 4
    assert {(a[a.index("--algo") + 1] if "--algo" in a else "wgan-gp", a[a.index("--data") + 1] if "--data" in a
             else "gaussians8") for a in calls} == {("wgan-gp", "gaussians8"), ("wgan", "gaussians8"),
                                                    ("gan", "gaussians8"), ("wgan-gp", "digits")}
    assert len(os.listdir(runs)) == 4
    assert "Started 4 runs" in texts(at)
    assert len(runs_table(at)) == 4  # listed at once, before the trainers write anything
    m = app("monitor")
    assert "No metrics yet" in texts(m) or figures(m) == []


def test_monitor_with_no_runs_says_so(runs):
    assert "No runs" in texts(app("monitor"))


def test_runs_table_shows_every_run_and_lost_state(runs):
    write_fixture_run(runs, "a", n=300)
    write_fixture_run(runs, "b", algo="gan", n=200, state="running")  # pid 999999 is not alive
    at = app()
    df = runs_table(at).set_index("run")  # the run's name is its link to the Monitor page
    assert set(df.index) == {"monitor?run=a", "monitor?run=b"}
    a, b = df.loc["monitor?run=a"], df.loc["monitor?run=b"]
    assert b["state"] == "lost" and a["progress"] == "100%"
    assert a["sample"].startswith("data:image/png;base64,") and sparkline_points(a["W estimate"]) > 10
    assert float(a["quality"]) > 0


def test_monitor_draws_estimate_quality_and_samples(runs):
    write_fixture_run(runs, "toy", n=1000)
    at = app("monitor", run="toy")
    names = traces(at)
    assert "toy · W estimate (critic)" in names and "toy · W estimate (critic) (raw)" in names
    assert "toy · exact W1 (OT)" in names and "toy · modes covered" in names
    assert "toy · gradient penalty" in names
    assert "generated" in names and "critic D(x)" in names  # 2-D samples with critic heatmap


def test_sample_slider_moves_the_shown_step(runs):
    write_fixture_run(runs, "img", algo="wgan", data="digits", n=500)
    at = app("monitor", run="img")
    slider = at.select_slider[0]
    assert slider.value == 500
    assert "step 500" in at.get("image")[0].proto.imgs[0].caption
    slider.set_value(400).run()
    assert not at.exception
    assert "step 400" in at.get("image")[0].proto.imgs[0].caption


def test_several_runs_overlay_with_one_colour_each(runs):
    write_fixture_run(runs, "r1", n=300)
    write_fixture_run(runs, "r2", algo="wgan", n=300)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["run"] = ["r1", "r2"]
    at.switch_page("views/monitor.py").run()
    assert not at.exception
    specs = [f["data"] for f in figures(at)]

    def colours_in(data):
        return {t["name"].split(" · ")[0]: t["line"]["color"] for t in data if "(raw)" not in t["name"] and "line" in t}

    colours = colours_in(next(d for d in specs if any("W estimate (critic)" in t["name"] for t in d)))
    assert set(colours) == {"r1", "r2"} and colours["r1"] != colours["r2"]
    colours2 = colours_in(next(d for d in specs if any("critic loss" in t["name"] for t in d)))
    assert colours2 == colours


def test_stop_button_writes_control_json(runs):
    d = write_fixture_run(runs, "live", n=100, state="running")
    rf.write_status(d, pid=os.getpid())  # alive: this process
    at = app()
    stop = next(b for b in at.button if b.label == "Stop run")
    stop.click().run()
    assert rf.read_control(d) == "stop"


def test_torn_part_and_missing_files_give_messages_not_tracebacks(runs):
    d = write_fixture_run(runs, "torn", n=400)
    part = rf.part_files(d / "metrics")[-1]
    part.write_bytes(part.read_bytes()[:50])
    bare = runs / "bare"
    bare.mkdir()
    rf.write_status(bare, state="starting", pid=os.getpid(), step=0)
    (runs / "junk").mkdir()
    (runs / "junk" / "config.json").write_text("{not json")
    at = app("monitor", run="torn")
    assert texts(at).count("skipped unreadable file part-") == 1  # said once, though three parts of the page read it
    assert "torn · W estimate (critic)" in traces(at)
    at = app("monitor", run="bare")
    assert "No metrics yet" in texts(at) and "No samples yet" in texts(at)
    at = app("monitor", run="junk")
    assert "config.json is missing or unreadable" in texts(at)
    app()  # the runs table copes with all three


def test_run_deleted_while_shown(runs):
    d = write_fixture_run(runs, "gone", n=100)
    at = app("monitor", run="gone")
    shutil.rmtree(d)
    at.run()
    assert not at.exception


def test_run_names_leading_outside_are_not_shown(runs, tmp_path):
    outside = tmp_path / "secret"
    write_fixture_run(tmp_path, "secret", n=50)
    write_fixture_run(runs, "visible", n=50)
    at = app("monitor", run="../secret")
    names = traces(at)
    assert not any("secret" in n for n in names)
    assert any("There is no run `../secret`" in w.value for w in at.warning)  # said, and nothing else drawn
    assert not any("secret" in str(e.value) for e in at.markdown)
    (runs / "link").symlink_to(outside)
    assert rf.list_runs(runs) == ["visible"]


def test_start_form_refuses_bad_input_and_starts_a_valid_run(runs, monkeypatch):
    from wgan_watch import spawn as spawn

    calls = []
    monkeypatch.setattr(spawn.subprocess, "Popen", lambda args, **kw: calls.append(args))
    at = app()
    form_data = next(s for s in at.selectbox if s.label == "Data")
    form_data.set_value("folder")
    next(t for t in at.text_input if t.label.startswith("Image folder")).set_value("/no/such/dir")
    next(b for b in at.button if b.label == "Start").click().run()
    assert "Not started" in texts(at) and "does not exist" in texts(at)
    assert calls == [] and os.listdir(runs) == []
    form_data = next(s for s in at.selectbox if s.label == "Data")
    form_data.set_value("gaussians25")
    next(n for n in at.number_input if n.label == "Generator steps").set_value(7)
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception
    assert len(calls) == 1
    args = calls[0]
    assert args[1:3] == ["-m", "wgan_watch"] and "--data" in args and args[args.index("--steps") + 1] == "7"
    assert len(os.listdir(runs)) == 1


def test_reproduce_command_lists_the_non_default_flags(runs):
    write_fixture_run(runs, "r", algo="wgan", data="digits", n=123)
    at = app()
    code = "\n".join(c.value for c in at.code)
    assert "python -m wgan_watch --algo wgan --data digits --steps 123" in code


def test_monitor_shows_the_advisor_card_with_rank_correlation(runs):
    write_fixture_run(runs, "toy", n=1000)
    at = app("monitor", run="toy")
    assert any("Should I stop?" in str(e.value) for kind in ("info", "success", "warning", "error")
               for e in getattr(at, kind))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Verdict"] in ("improving", "plateaued")
    assert metrics["Estimate tracks quality"].startswith("ρ = 0.9") or metrics["Estimate tracks quality"] == "ρ = 1.00"
    assert "Best w1_exact" in metrics


def test_advisor_card_says_converged_at_the_noise_floor_with_the_evaluation_size(runs):
    """A run whose quality sits inside its real-vs-real band: the card says so in plain words, with the
    n the trainer evaluated at (config.json), as a green 'stop' box."""
    d = write_fixture_run(runs, "floor", n=3000, eval_every=250)
    ev = rf.read_evals(d)
    ev["w1_exact"], ev["floor"], ev["floor_sd"] = 0.3 * np.exp(-ev["step"] / 300) + 0.09, 0.086, 0.021
    rf.PartWriter(d / "evals", rf.EVAL_COLUMNS).write(ev)  # a later part: readers keep its rows
    at = app("monitor", run="floor")
    assert {m.label: m.value for m in at.metric}["Verdict"] == "converged"
    box = " ".join(str(e.value) for e in at.success)
    assert "Should I stop?" in box and "as close to the data as w1_exact can tell at n = 1,000" in box, box


def test_advisor_card_warns_that_a_clipped_wgans_plateau_may_be_a_pause(runs):
    """config.json's algo reaches the advisor: a WGAN with clipping that has plateaued is told the benchmark's
    finding (such runs often improve again) instead of 'training longer is unlikely to help'."""
    d = write_fixture_run(runs, "clip", algo="wgan", n=3000, eval_every=250)
    ev = rf.read_evals(d)
    g = np.random.default_rng(3)
    ev["w1_exact"] = np.where(ev["step"] < 1000, 0.5 - 0.3 * ev["step"] / 1000, 0.2) + 0.005 * g.standard_normal(len(ev))
    ev["floor"], ev["floor_sd"] = 0.02, 0.003
    rf.PartWriter(d / "evals", rf.EVAL_COLUMNS).write(ev)
    at = app("monitor", run="clip")
    assert {m.label: m.value for m in at.metric}["Verdict"] == "plateaued"
    card = " ".join(str(e.value) for e in at.info)  # blue, not the green of a run to stop
    assert "weight clipping often pauses" in card and "unlikely to help" not in card, card
    assert not any("Should I stop?" in str(e.value) for e in at.success)


def test_compare_page_shows_panels_steadiness_modes_and_samples_side_by_side(runs):
    write_fixture_run(runs, "g-wgan-gp", algo="wgan-gp", n=600)
    write_fixture_run(runs, "g-gan", algo="gan", n=600)
    def opened(tab: str) -> AppTest:
        at = AppTest.from_file(MAIN, default_timeout=60)
        at.query_params["cmp"] = ["g-wgan-gp", "g-gan"]
        at.query_params["cmp_tab"] = tab
        at.switch_page("views/compare.py").run()
        assert not at.exception
        return at

    at = opened("Estimates and losses")
    [table] = frame_tables(at)
    table = table.set_index("run")
    assert set(table.index) == {"g-wgan-gp", "g-gan"}
    assert table.loc["g-wgan-gp", "algorithm"] == "WGAN-GP" and table.loc["g-gan", "algorithm"] == "vanilla GAN"
    assert table.loc["g-wgan-gp", "measured on"] == "W estimate" and table.loc["g-gan", "measured on"] == "JS estimate"
    assert float(table.loc["g-wgan-gp", "direction changes per 1,000 steps"]) >= 0
    assert sparkline_points(table.loc["g-gan", "that series"]) > 10
    specs = figures(at)
    losses = next(s for s in specs if "Losses, one panel per run" in s["layout"]["title"]["text"])
    panels = {a["text"] for a in losses["layout"]["annotations"]}
    assert panels == {"WGAN-GP", "vanilla GAN"}  # the algorithm names the panel; the run name is in the table
    assert {t["name"] for t in losses["data"] if t.get("showlegend") is not False} == {"critic loss", "generator loss"}
    assert len({t["yaxis"] for t in losses["data"]}) == 2  # one y scale per run
    names = traces(opened("Quality and modes"))
    assert "WGAN-GP" in names and "vanilla GAN" in names  # modes, quality: legends say the algorithm
    assert not any(n and "g-wgan-gp" in n for n in names)
    at = opened("Samples at the same step")
    assert sum(n == "generated" for n in traces(at)) == 2  # one scatter per run at the common step
    assert at.select_slider[0].value == 600


def test_compare_opens_on_the_newest_group_of_runs_started_together(runs):
    import time

    for i, (algo, group) in enumerate([("wgan-gp", "trio-a"), ("wgan", "trio-a"), ("gan", "trio-a"),
                                       ("wgan-gp", "trio-b"), ("gan", "trio-b"), ("wgan-gp", None)]):
        d = write_fixture_run(runs, f"r{i}-{algo}", algo=algo, n=200)
        cfg = rf.read_json(d / "config.json")
        rf.atomic_write_json(d / "config.json", {**cfg, "group": group})
        rf.write_status(d, started_at=time.time() - 100 + (10 * i if group == "trio-b" else i))
    d = runs / "r5-wgan-gp"  # the newest run, alone: not a comparison
    rf.write_status(d, started_at=time.time())
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.switch_page("views/compare.py").run()
    assert not at.exception
    assert sorted(at.multiselect[0].value) == ["r3-wgan-gp", "r4-gan"]  # trio-b started last
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["group"] = "trio-a"  # the Runs page's Compare link
    at.switch_page("views/compare.py").run()
    assert sorted(at.multiselect[0].value) == ["r0-wgan-gp", "r1-wgan", "r2-gan"]


def test_compare_page_starts_the_trio(runs, monkeypatch):
    from wgan_watch import spawn as spawn

    calls = []
    monkeypatch.setattr(spawn.subprocess, "Popen", lambda args, **kw: calls.append(args))
    at = app("compare")
    next(b for b in at.button if b.label == "Start the trio").click().run()
    assert not at.exception
    algos = sorted(a[a.index("--algo") + 1] if "--algo" in a else "wgan-gp" for a in calls)
    assert algos == ["gan", "wgan", "wgan-gp"]


@pytest.mark.parametrize("folder,why", [
    ("", "folder's path"), ("   ", "folder's path"), ("/no/such/dir", "does not exist"), ("x" * 5000, "does not exist"),
    ("NOT_IMAGES", "no readable images"), ("A_FILE", "does not exist"),
])
def test_start_form_folder_inputs_are_refused_with_a_message(runs, tmp_path, monkeypatch, folder, why):
    from wgan_watch import spawn as spawn

    calls = []
    monkeypatch.setattr(spawn.subprocess, "Popen", lambda args, **kw: calls.append(args))
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_bytes(b"not a png")
    (junk / "b.txt").write_text("text")
    folder = {"NOT_IMAGES": str(junk), "A_FILE": str(junk / "b.txt")}.get(folder, folder)
    at = app()
    next(s for s in at.selectbox if s.label == "Data").set_value("folder")
    next(t for t in at.text_input if t.label.startswith("Image folder")).set_value(folder)
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Not started" in errors and why in errors and len(errors) < 400
    assert calls == [] and os.listdir(runs) == []


def test_start_form_numbers_at_the_edges_of_their_range_start_a_run(runs, monkeypatch):
    from wgan_watch import spawn as spawn

    calls = []
    monkeypatch.setattr(spawn.subprocess, "Popen", lambda args, **kw: calls.append(args))
    at = app()
    next(s for s in at.selectbox if s.label == "Algorithm").set_value("wgan")
    next(n for n in at.number_input if n.label == "Clip (wgan)").set_value(1e-6)
    next(n for n in at.number_input if n.label == "Width").set_value(4096)
    next(n for n in at.number_input if n.label == "Batch size").set_value(65536)
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception  # all within range: starts
    assert len(calls) == 1
    args = calls[0]
    assert args[args.index("--clip") + 1] == "1e-06" and args[args.index("--width") + 1] == "4096"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_demo_button_starts_real_trainers_whose_runs_finish(runs, monkeypatch):
    """No fake Popen: the button spawns `python -m wgan_watch` four times (short runs here) and they finish."""
    import time

    from wgan_watch import spawn as spawn

    short = dict(steps=30, eval_every=10, sample_every=10, snapshot_every=10, checkpoint_every=10,
                 eval_samples=100, width=16)
    monkeypatch.setattr(spawn, "DEMO", tuple({**d, **short} for d in spawn.DEMO))
    at = app()
    next(b for b in at.button if b.label == "Start the demo").click().run()
    assert not at.exception and "Started 4 runs" in texts(at)
    names = rf.list_runs(runs)
    assert len(names) == 4
    deadline = time.time() + 600
    while time.time() < deadline:
        states = [rf.read_json(runs / n / "status.json").get("state") for n in names]
        if all(s in ("finished", "failed", "diverged") for s in states):
            break
        time.sleep(1)
    assert states == ["finished"] * 4, [(n, rf.read_json(runs / n / "status.json")) for n in names]
    for n in names:
        assert rf.read_metrics(runs / n)["step"].tolist() == list(range(1, 31))
        assert len(rf.read_evals(runs / n)) == 3 and rf.list_snapshots(runs / n)
    algos = sorted((rf.read_json(runs / n / "config.json")["algo"], rf.read_json(runs / n / "config.json")["data"])
                   for n in names)
    assert algos == [("gan", "gaussians8"), ("wgan", "gaussians8"), ("wgan-gp", "digits"), ("wgan-gp", "gaussians8")]
