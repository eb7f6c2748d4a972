"""The Runs page at scale: rows from status.json's summary, filters, search, sort, pages, and problems in words."""

import os
import time

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.fixtures import write_fixture_run
from tests.html_table import runs_table, sparkline_points
from wgan_watch import Recorder
from wgan_watch.runs import runfiles as rf

MAIN = str(ROOT / "app" / "main.py")


def runs_page() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at) -> list[str]:
    return [u.split("=", 1)[1] for u in runs_table(at)["run"]]


def test_a_recorders_summary_is_what_the_row_shows(runs):
    """The writer keeps the row in status.json: the page reads no table of a run that has one."""
    with Recorder(runs / "rec", algo="wgan-gp", data="toy", steps=400, flush_secs=0.01) as rec:
        for s in range(1, 401):
            rec.log(s, w_estimate=1.0 / s, loss_d=-1.0 / s)
            if s % 100 == 0:
                rec.evaluate(s, w1_exact=0.5 / s)
    summary = rf.read_json(runs / "rec" / "status.json")["summary"]
    assert summary["quality"] == 0.5 / 400 and summary["measure"] == "w1_exact"
    assert 30 <= len(summary["estimate"]) <= 120 and summary["spark_steps"][-1] == 400
    for part in (runs / "rec" / "metrics").iterdir():
        part.unlink()  # if the page read the tables, the row would lose its numbers
    at = runs_page()
    row = runs_table(at).iloc[0]
    assert row["quality"] == f"{0.5 / 400:.4f}" and row["progress"] == "100%"
    assert sparkline_points(row["W estimate"]) >= 30


def test_states_are_words_and_missing_values_are_not_none(runs):
    write_fixture_run(runs, "done")
    d = runs / "starting"
    d.mkdir()
    rf.write_status(d, state="starting", pid=os.getpid(), step=0)
    df = runs_table(runs_page())
    assert set(df["state"]) == {"finished", "starting"}
    row = df[df["run"] == "monitor?run=starting"].iloc[0]
    assert row["algo"] == "—" and row["data"] == "—" and row["quality"] == "—" and row["steps/s"] == "—"
    assert row["compare"] == ""  # a blank cell, not a grey "None" (no group to compare with)
    assert not any(v in (None, "None", "nan") for v in df.to_numpy().ravel())


def test_search_filters_sort_and_pages(runs):
    for i in range(30):
        d = write_fixture_run(runs, f"r{i:02d}-{'gan' if i % 3 == 0 else 'wgan-gp'}", algo="gan" if i % 3 == 0
                              else "wgan-gp", n=100 + 10 * i, parts=1)
        rf.write_status(d, updated_at=time.time() - 1000 + i)
    at = runs_page()
    assert len(shown(at)) == 25 and "30 of 30 runs, 25 a page" in "\n".join(c.value for c in at.caption)
    at.number_input(key="runs_page").set_value(2).run()
    assert len(shown(at)) == 5
    at.number_input(key="runs_page").set_value(1).run()
    at.multiselect(key="runs_algos").set_value(["gan"]).run()
    assert sorted(shown(at)) == [f"r{i:02d}-gan" for i in range(0, 30, 3)]
    at.text_input(key="runs_search").set_value("R1").run()  # case does not matter
    assert sorted(shown(at)) == ["r12-gan", "r15-gan", "r18-gan"]
    at.text_input(key="runs_search").set_value("").run()
    at.selectbox(key="runs_sort").set_value("name").run()
    assert shown(at)[:2] == ["r00-gan", "r03-gan"]


def test_a_failed_run_and_a_malformed_folder_say_what_is_wrong(runs):
    d = runs / "failed-at-start"
    d.mkdir()
    rf.write_status(d, state="failed", step=0, message="data: cifar10 is not in data/ (pass --download)")
    (runs / "junk").mkdir()
    (runs / "junk" / "config.json").write_text("{not json")
    (runs / "junk" / "status.json").write_text("[also not")
    at = runs_page()
    warnings = "\n".join(w.value for w in at.warning)
    assert "`failed-at-start` (failed): data: cifar10 is not in data/ (pass --download)" in warnings
    assert "`junk` (unreadable)" in warnings
    assert set(shown(at)) == {"failed-at-start", "junk"}
    assert list(runs_table(at).columns)[:2] == ["state", "run"]  # the table itself rendered


def test_only_unreadable_folders_are_rows_that_say_so(runs):
    for name in ("junk-a", "junk-b"):
        (runs / name).mkdir()
        (runs / name / "status.json").write_text("{not json")
    at = runs_page()
    assert set(shown(at)) == {"junk-a", "junk-b"}
    assert "`junk-a` (unreadable)" in "\n".join(w.value for w in at.warning)


def test_the_sparkline_spans_the_whole_run_and_a_resume_keeps_its_quality(runs):
    """100,000 steps in 200 flushes: the sparkline still starts near step 1 and is evenly spaced; a resume
    from a checkpoint rebuilds the summary from the tables (quality kept, history not lost)."""
    import numpy as np

    run = runs / "long"
    with Recorder(run, algo="wgan-gp", data="toy", steps=100_000, flush_secs=1e9) as rec:
        for s in range(1, 100_001):
            rec.log(s, w_estimate=1.0 + 1.0 / s)
            if s % 500 == 0:
                rec.flush()
            if s % 25_000 == 0:
                rec.evaluate(s, w1_exact=np.float32(0.25))  # numpy numbers count, as rec.evaluate takes them
    summary = rf.read_json(run / "status.json")["summary"]
    steps = summary["spark_steps"]
    assert steps[0] <= 1000 and steps[-1] == 100_000 and len(steps) <= 122
    gaps = np.diff(steps[:-1])
    assert gaps.min() == gaps.max()  # evenly spaced in steps
    assert summary["quality"] == 0.25
    with Recorder(run, resume=True) as rec:
        rec.rewind(60_000)
        rec.log(60_001, w_estimate=2.0)
    summary = rf.read_json(run / "status.json")["summary"]
    assert summary["quality"] == 0.25 and summary["measure"] == "w1_exact"  # from the evaluation at 50,000
    assert summary["spark_steps"][0] <= 1000 and summary["spark_steps"][-1] == 60_001
    assert summary["w_estimate"] == 2.0


def test_runs_added_and_deleted_show_at_the_next_run_newest_first(runs):
    import shutil

    write_fixture_run(runs, "first", parts=1)
    at = runs_page()
    assert shown(at) == ["first"]
    time.sleep(0.05)
    write_fixture_run(runs, "second", parts=1)  # its status.json written last: the newest
    at.run()
    assert shown(at) == ["second", "first"]
    rf.write_status(runs / "first", updated_at=time.time())  # a live run rewrites its status: newest again
    at.run()
    assert shown(at) == ["first", "second"]
    shutil.rmtree(runs / "second")
    at.run()
    assert shown(at) == ["first"] and not at.exception


def test_the_folder_is_listed_once_per_visit(runs, monkeypatch):
    """10,000 runs cost one listing per script run: the table reuses the page's, it does not list again."""
    for name in ("a", "b", "c"):
        write_fixture_run(runs, name, parts=1)
    calls = []
    real = rf.list_runs

    def counting(root):
        calls.append(root)
        return real(root)

    monkeypatch.setattr(rf, "list_runs", counting)
    at = runs_page()
    assert sorted(shown(at)) == ["a", "b", "c"] and len(calls) == 1
    at.run()
    assert len(calls) == 2 and not at.exception


def test_the_command_that_reproduces_a_run_is_offered_for_the_rows_on_screen(runs):
    write_fixture_run(runs, "a", algo="gan", n=100)
    write_fixture_run(runs, "b", n=100)
    at = runs_page()
    assert sorted(at.selectbox(key="repro_run").options) == ["a", "b"]
    at.selectbox(key="repro_run").set_value("a").run()
    assert "--algo gan" in at.code[0].value
    at = runs_page()
    at.text_input(key="runs_search").set_value("b").run()
    assert at.selectbox(key="repro_run").options == ["b"] and "--algo gan" not in at.code[0].value


def test_the_reproduced_run_stays_picked_when_it_leaves_the_page(runs):
    for i in range(30):
        d = write_fixture_run(runs, f"r{i:02d}", n=100, parts=1)
        rf.write_status(d, updated_at=time.time() - 1000 + i)
    at = runs_page()
    at.selectbox(key="repro_run").set_value("r29").run()  # the newest: on the first page
    command = at.code[0].value
    at.selectbox(key="runs_sort").set_value("name").run()  # r29 is now on the second page
    assert "r29" not in shown(at)
    assert at.selectbox(key="repro_run").value == "r29" and at.code[0].value == command
