"""Compare over seeds: runs that differ only in their seed are one line (median, quartile band, n), and a
comparison of single runs says that it is one run per algorithm."""

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.figures import figures, trace_names
from tests.fixtures import write_fixture_run
from tests.html_table import frame_tables

MAIN = str(ROOT / "app" / "main.py")


def compare(runs_shown: list[str], tab: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["cmp"] = runs_shown
    if tab:
        at.query_params["cmp_tab"] = tab
    at.switch_page("views/compare.py").run()
    assert not at.exception, at.exception
    return at


def test_a_trio_over_four_seeds_is_three_lines_with_bands(runs):
    names = []
    for algo in ("wgan-gp", "wgan", "gan"):
        for seed in range(4):
            names.append(f"{algo}-s{seed}")
            write_fixture_run(runs, names[-1], algo=algo, n=400, group="trio", seed=seed, quality=0.01 * seed)
    at = compare(names, tab="Quality and modes")
    [table] = frame_tables(at)
    assert len(table) == 12 and sorted(table["algorithm"].unique()) == ["WGAN (clipping)", "WGAN-GP", "vanilla GAN"]
    drawn = trace_names(at)
    assert "WGAN-GP (n = 4)" in drawn and "vanilla GAN (n = 4)" in drawn  # the quality chart, one line each
    assert not any(n in drawn for n in names)  # no run drawn on its own
    assert any("Over 4 seeds per algorithm" in c.value for c in at.caption)
    quality = next(f for f in figures(at) if "Independent quality" in json.dumps(f["layout"].get("title", "")))
    band, median = [t for t in quality["data"] if t["name"].startswith("WGAN-GP")]
    assert band["fill"] == "toself" and median["mode"] == "lines"


def test_one_run_per_algorithm_is_labelled_as_such(runs):
    write_fixture_run(runs, "a", algo="wgan-gp", n=300)
    write_fixture_run(runs, "b", algo="gan", n=300)
    at = compare(["a", "b"], tab="Quality and modes")
    assert any("From one run per algorithm" in c.value for c in at.caption)
    assert "WGAN-GP (n = 1)" not in trace_names(at)


def test_only_the_open_tab_is_worked_out_and_a_link_opens_any_tab(runs):
    """A fresh browser draws each chart in about 0.15 s: the page sends the open tab's charts only."""
    write_fixture_run(runs, "a", algo="wgan-gp", n=300)
    write_fixture_run(runs, "b", algo="gan", n=300)

    def titles(at) -> set[str]:
        return {f["layout"]["title"]["text"].split(":")[0] for f in figures(at) if f["layout"].get("title")}

    opened = compare(["a", "b"])
    assert [t.label for t in opened.tabs] == ["Estimates and losses", "Quality and modes", "Samples at the same step"]
    assert titles(opened) == {"Losses, one panel per run", "W estimates, each on its own scale"}
    assert len(frame_tables(opened)) == 1  # the table and its conclusion are above the tabs, on every tab
    quality = compare(["a", "b"], tab="Quality and modes")
    assert titles(quality) == {"Modes covered", "High-quality share", "Independent quality"}
    assert len(frame_tables(quality)) == 1 and not quality.select_slider
    # lines and bands, drawn by plotly.js's basic bundle (app/basic_chart.py); the samples too (the critic's map
    # is a picture under their points)
    assert not opened.get("plotly_chart") and not quality.get("plotly_chart")
    samples = compare(["a", "b"], tab="Samples at the same step")
    assert not samples.get("plotly_chart")
    assert [json.dumps(f).count('"generated"') > 0 for f in figures(samples)] == [True, True]
    assert all(f["layout"]["images"][0]["source"].startswith("data:image/png;base64,") for f in figures(samples))
    assert samples.select_slider[0].value == 300
    unknown = compare(["a", "b"], tab="nope")  # an old or mistyped link: the first tab, no error
    assert titles(unknown) == titles(opened)
    assert not any(b.label == "Start the trio" for b in opened.button)  # its box closed: nothing in it sent
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["cmp"] = ["a", "b"]
    at.session_state["trio_open"] = True  # the box opened
    at.switch_page("views/compare.py").run()
    assert any(b.label == "Start the trio" for b in at.button) and "wgan_watch demo" in at.code[0].value


def test_a_tab_link_opens_its_tab_after_the_other_pages_tabs_in_one_session(runs):
    """Compare's and Study's tabs have keys of their own: under one key, the tab left open on one page was carried
    to the other, which dropped the link's tab."""
    for algo in ("wgan-gp", "gan"):
        write_fixture_run(runs, f"st-{algo}", algo=algo, group="st", study_sample=0)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["study_tab"] = "Budget and time to quality"
    at.switch_page("views/study.py").run()
    assert not at.exception, at.exception
    at.query_params["cmp"] = ["st-wgan-gp", "st-gan"]
    at.query_params["cmp_tab"] = "Quality and modes"
    at.switch_page("views/compare.py").run()
    assert not at.exception, at.exception
    assert any("Independent quality" in json.dumps(f) for f in figures(at))


def test_what_is_set_in_a_tab_or_a_box_stays_while_another_tab_is_open_or_the_box_closed(runs):
    write_fixture_run(runs, "a", algo="wgan-gp", n=400)
    write_fixture_run(runs, "b", algo="gan", n=400)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["cmp"] = ["a", "b"]
    at.query_params["cmp_tab"] = "Samples at the same step"
    at.session_state["trio_open"] = True
    at.switch_page("views/compare.py").run()
    at.select_slider(key="cmp_step").set_value(200).run()
    at.number_input(key="trio_seed").set_value(7).run()
    at.session_state["cmp_tab"] = at.query_params["cmp_tab"] = "Estimates and losses"  # as a click does
    at.session_state["trio_open"] = False
    at.run()
    assert not at.get("select_slider") and not at.number_input  # not drawn, so not worked out
    at.session_state["cmp_tab"] = at.query_params["cmp_tab"] = "Samples at the same step"
    at.session_state["trio_open"] = True
    at.run()
    assert not at.exception, at.exception
    assert at.select_slider(key="cmp_step").value == 200 and at.number_input(key="trio_seed").value == 7


def test_the_seed_column_shows_whole_seeds_when_a_run_has_none(runs):
    from tests.html_table import read_table
    from wgan_watch.app import comparison as cmp
    from wgan_watch.app.frame_html import frame_html
    import pandas as pd

    table = read_table(frame_html(pd.DataFrame({"run": ["a", "b"], "seed": [3, None]}), cmp.COLUMNS))
    assert table["seed"].tolist() == ["3", "—"]
