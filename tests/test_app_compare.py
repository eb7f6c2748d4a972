"""Compare over seeds: runs that differ only in their seed are one line (median, quartile band, n), and a
comparison of single runs says that it is one run per algorithm."""

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.fixtures import write_fixture_run

MAIN = str(ROOT / "app" / "main.py")


def compare(runs_shown: list[str]) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["cmp"] = runs_shown
    at.switch_page("views/compare.py").run()
    assert not at.exception, at.exception
    return at


def trace_names(at) -> list[str]:
    return [t.get("name") for pc in at.get("plotly_chart") for t in json.loads(pc.proto.spec)["data"]]


def test_a_trio_over_four_seeds_is_three_lines_with_bands(runs):
    names = []
    for algo in ("wgan-gp", "wgan", "gan"):
        for seed in range(4):
            names.append(f"{algo}-s{seed}")
            write_fixture_run(runs, names[-1], algo=algo, n=400, group="trio", seed=seed, quality=0.01 * seed)
    at = compare(names)
    table = at.dataframe[0].value
    assert len(table) == 12 and sorted(table["algorithm"].unique()) == ["WGAN (clipping)", "WGAN-GP", "vanilla GAN"]
    drawn = trace_names(at)
    assert "WGAN-GP (n = 4)" in drawn and "vanilla GAN (n = 4)" in drawn  # the quality chart, one line each
    assert not any(n in drawn for n in names)  # no run drawn on its own
    assert any("Over 4 seeds per algorithm" in c.value for c in at.caption)
    quality = next(json.loads(pc.proto.spec) for pc in at.get("plotly_chart")
                   if "Independent quality" in json.dumps(json.loads(pc.proto.spec)["layout"].get("title", "")))
    band, median = [t for t in quality["data"] if t["name"].startswith("WGAN-GP")]
    assert band["fill"] == "toself" and median["mode"] == "lines"


def test_one_run_per_algorithm_is_labelled_as_such(runs):
    write_fixture_run(runs, "a", algo="wgan-gp", n=300)
    write_fixture_run(runs, "b", algo="gan", n=300)
    at = compare(["a", "b"])
    assert any("From one run per algorithm" in c.value for c in at.caption)
    assert "WGAN-GP (n = 1)" not in trace_names(at)
