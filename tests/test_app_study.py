"""AppTest of the Study page on fixture study runs written with the project's own writers."""

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.figures import figures
from tests.fixtures import write_fixture_run
from tests.html_table import frame_tables

MAIN = str(ROOT / "app" / "main.py")


def page(**params) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page("views/study.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "info", "warning", "error", "caption") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def write_study(runs, name="g8", seeds=3):
    """W1 ends at 0.09-0.11 for WGAN-GP (below the 0.12 threshold), 0.29-0.31 for the vanilla GAN (above every
    threshold), WGAN in between."""
    for algo, q in (("wgan-gp", 0.0), ("wgan", 0.06), ("gan", 0.2)):  # + 0.086 at the end
        for sample in range(2):
            for seed in range(seeds):
                write_fixture_run(runs, f"{name}-{algo}-k{sample:02d}-s{seed}", algo=algo, quality=q + 0.01 * seed,
                                  group=name, study_sample=sample, seed=seed)


def test_without_a_study_the_page_says_how_to_start_one(runs):
    write_fixture_run(runs, "plain")
    at = page()
    assert "No study in this runs folder yet" in texts(at)
    assert "python -m wgan_watch study" in at.code[0].value


def test_a_study_shows_its_spread_and_says_what_it_lets_one_claim(runs):
    write_study(runs)
    (runs / ".studies").mkdir()
    (runs / ".studies" / "g8.json").write_text(json.dumps({"name": "g8", "data": "gaussians8", "algos": ["wgan-gp",
                                               "wgan", "gan"], "samples": 3, "seeds": 3, "steps": None,
                                               "design_seed": 0, "fixed": {}}))
    at = page()
    text = texts(at)
    assert "27 runs in the design: 18 ended, 0 training, 9 still to start" in text
    assert "WGAN-GP reached W1 ≤ 0.12 in 6 of 6 runs (95% CI 61%–100%)" in text
    assert "the vanilla GAN reached W1 ≤ 0.12 in 0 of 6 runs (95% CI 0%–39%)" in text
    assert "WGAN-GP succeeds more often than the vanilla GAN" in text
    assert [t.label for t in at.tabs] == ["Success rates", "Budget and time to quality",
                                          "The default settings over seeds"]
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert len(titles) == 2 and any("best" in t.lower() for t in titles), titles  # the open tab's charts only
    assert not at.get("plotly_chart")  # all drawn by plotly.js's basic bundle (app/basic_chart.py)
    drawn = set(titles)
    for tab in ("Budget and time to quality", "The default settings over seeds"):
        other = page(study_tab=tab)
        assert "WGAN-GP succeeds more often than the vanilla GAN" in texts(other)  # the conclusion, on every tab
        titles = [f["layout"]["title"]["text"] for f in figures(other)]
        assert titles and not drawn & set(titles), titles
        assert not other.get("plotly_chart")
        drawn |= set(titles)
        assert other.radio(key="study_x").value == "elapsed"
    assert len(drawn) == 5  # every chart is on one tab or another
    [pairs] = frame_tables(at)
    row = pairs[pairs["pair"] == "WGAN-GP / vanilla GAN"].iloc[0]
    assert (row["only the first"], row["only the second"], row["both"], row["neither"]) == ("6", "0", "0", "0")
    assert at.query_params["study"] == "g8"


def test_an_unknown_study_in_the_link_is_said_not_silently_replaced(runs):
    write_study(runs, seeds=1)
    at = page(study="nope")
    assert "There is no study named `nope`" in texts(at)


def test_the_time_axis_stays_while_another_tab_is_open(runs):
    write_study(runs, seeds=1)
    def open_tab(label: str) -> None:  # as a click does: the tab's state and the address
        at.session_state["study_tab"] = at.query_params["study_tab"] = label
        at.run()

    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["study_tab"] = "Budget and time to quality"
    at.switch_page("views/study.py").run()
    at.radio(key="study_x").set_value("step").run()
    open_tab("Success rates")
    assert not at.radio
    open_tab("The default settings over seeds")
    assert not at.exception, at.exception
    assert at.radio(key="study_x").value == "step"
