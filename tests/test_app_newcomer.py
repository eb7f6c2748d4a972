"""What a new user tripped over (the newcomer issue), each held by a test that fails without its fix."""

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.test_app_options import values
from tests.figures import figures
from tests.fixtures import write_fixture_run
from wgan_watch.runs import runfiles as rf

MAIN = str(ROOT / "app" / "main.py")


def page(name: str, **params) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, at.exception
    return at


def titles(at) -> list[str]:
    out = []
    for spec in figures(at):
        title = spec["layout"].get("title", "")
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "info", "warning", "error", "caption") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_the_vanilla_gans_monitor_shows_its_jensen_shannon_estimate_and_says_why(runs):
    write_fixture_run(runs, "gan", algo="gan")
    at = page("monitor", run="gan")
    first = figures(at)[0]
    assert "Jensen–Shannon estimate" in titles(at)[0]
    ys = [y for t in first["data"] for y in values(t.get("y"))]
    assert ys and all(abs(y) < 5 for y in ys)  # a real series, not the empty W chart of before
    assert "A vanilla GAN has no Wasserstein estimate" in texts(at)


def test_a_link_to_a_missing_run_says_so_and_shows_no_other(runs):
    write_fixture_run(runs, "real-run")
    at = page("monitor", run="no-such-run")
    assert "There is no run `no-such-run`" in texts(at)
    assert at.multiselect[0].value == [] and not figures(at)
    assert at.query_params["run"] == "no-such-run"  # the address bar keeps what the user asked for
    at = page("compare", cmp="nope")
    assert "There is no run `nope`" in texts(at) and at.multiselect[0].value == []


def test_a_run_that_failed_at_start_shows_why_on_the_monitor(runs):
    d = runs / "failed-run"
    d.mkdir()
    rf.write_status(d, state="failed", step=0, message="data: mnist is not in data/ (pass --download)")
    at = page("monitor", run="failed-run")
    assert "The run failed before it wrote any metrics: data: mnist is not in data/" in texts(at)


def test_each_measure_has_its_own_axis(runs):
    d = write_fixture_run(runs, "toy")
    at = page("monitor", run="toy")
    assert "Modes covered" in titles(at) and "High-quality share (within 3σ of a centre)" in titles(at)
    for spec in figures(at):
        names = {t.get("name", "") for t in spec["data"]}
        assert not (any("modes" in n for n in names) and any("high-quality" in n for n in names))
    assert d


def test_monitor_opens_on_the_newest_run_and_then_on_the_users_last_choice(runs):
    import time

    for i, name in enumerate(("old", "newest", "middle")):
        d = write_fixture_run(runs, name, n=200)
        rf.write_status(d, started_at=time.time() - 1000 + {"old": 0, "middle": 100, "newest": 500}[name])
        (d / "config.json").touch()  # the folder listing's order (latest activity) is not the start order
    at = page("monitor")
    assert at.multiselect[0].value == ["newest"]
    at.multiselect[0].set_value(["old"]).run()
    at.switch_page("views/runs.py").run()
    at.switch_page("views/monitor.py").run()
    assert at.multiselect[0].value == ["old"]


def test_algorithms_keep_their_colour_on_every_page(runs):
    from wgan_watch.app.charts import ALGO_COLORS

    write_fixture_run(runs, "b-gan", algo="gan", group="g")
    write_fixture_run(runs, "a-wgan-gp", algo="wgan-gp", group="g")
    at = page("compare", cmp=["b-gan", "a-wgan-gp"], cmp_tab="Quality and modes")
    quality = next(s for s in figures(at) if "Independent quality" in json.dumps(s["layout"].get("title")))
    colors = {t["name"]: t["line"]["color"] for t in quality["data"]}
    assert colors == {"vanilla GAN": ALGO_COLORS["gan"], "WGAN-GP": ALGO_COLORS["wgan-gp"]}
    at = page("monitor", run=["b-gan", "a-wgan-gp"])
    q = next(s for s in figures(at) if "Independent quality" in json.dumps(s["layout"].get("title")))
    assert {t["line"]["color"] for t in q["data"]} == {ALGO_COLORS["gan"], ALGO_COLORS["wgan-gp"]}


def test_the_start_form_offers_the_download_and_submits_only_on_its_button(runs):
    at = page("runs")
    assert any("Download the data set" in c.label for c in at.checkbox)


def test_the_critics_map_covers_the_generated_points_and_fills_its_square(tmp_path):
    """A vanilla GAN's points reached ±4 while its map covered ±2 (the data's reach): both now cover the points."""
    import numpy as np
    import pandas as pd

    from wgan_watch.app.charts import toy_samples_figure
    from wgan_watch.runs.samples import write_points

    rng = np.random.default_rng(0)
    real, fake = rng.uniform(-1.4, 1.4, (200, 2)), rng.uniform(-4, 4, (200, 2))
    write_points(tmp_path / "s.parquet", real, fake, critic=lambda p: p[:, 0])
    df = pd.read_parquet(tmp_path / "s.parquet")
    grid = df[df["kind"] == "critic"]
    assert grid["x"].max() >= np.abs(fake).max() and grid["y"].min() <= -np.abs(fake).max()
    layout = toy_samples_figure(df).to_plotly_json()["layout"]
    assert layout["xaxis"]["range"] == layout["yaxis"]["range"] and layout["xaxis"]["range"][1] >= 4
    assert layout["xaxis"]["constrain"] == "domain"
