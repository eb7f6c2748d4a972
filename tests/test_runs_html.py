"""The Runs page's HTML table: what a row shows, escaped, and the sparkline the right way up."""

import base64
import math

from tests.html_table import read_table, sparkline_points
from wgan_watch.app import runs_html as RH


def svg_of(cell_html: str) -> str:
    return base64.b64decode(cell_html.split("base64,", 1)[1].split("'", 1)[0]).decode()


def test_a_row_reads_back_as_it_was_given():
    row = RH.Row(state="finished", run="a", algo="wgan-gp", data="digits", progress=0.4, estimate=[3, 2, 1],
                 sample="data:image/png;base64,AAAA", quality="0.1234", speed="20.0", age="3 s ago", group="g")
    df = read_table(RH.table_html([row, RH.Row(state="starting", run="b")]))
    assert list(df.columns) == [h for h, _ in RH.HEADERS]
    a, b = df.iloc[0], df.iloc[1]
    assert a["run (Monitor)"] == "monitor?run=a" and a[""] == "compare?group=g"
    assert (a["algo"], a["data"], a["progress"], a["quality"], a["steps/s"], a["updated"]) == \
        ("wgan-gp", "digits", "40%", "0.1234", "20.0", "3 s ago")
    assert a["sample"] == "data:image/png;base64,AAAA" and sparkline_points(a["W estimate"]) == 3
    assert (b["algo"], b["progress"], b["W estimate"], b["sample"], b["quality"], b[""]) == \
        ("—", "—", "—", "—", "—", "")


def test_names_are_escaped_and_links_quoted():
    """A folder name is anyone's text: it must not become markup, and its link must lead to that run."""
    name = "<img src=x onerror=alert(1)> & 'q' #1?"
    html = RH.table_html([RH.Row(state="finished", run=name, algo="<b>", group="g&h")])
    assert "<img src=x" not in html and "<b>" not in html
    df = read_table(html)
    assert df.iloc[0]["run (Monitor)"] == ("monitor?run=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%20%26%20"
                                          "%27q%27%20%231%3F")
    assert df.iloc[0][""] == "compare?group=g%26h" and df.iloc[0]["algo"] == "<b>"


def test_sparkline_high_values_at_the_top_and_gaps_skipped():
    svg = svg_of(RH.sparkline([1.0, math.nan, 3.0, None, 2.0]))
    pts = [tuple(map(float, p.split(","))) for p in svg.split("points='")[1].split("'")[0].split()]
    assert len(pts) == 3  # the finite values only
    ys = [y for _, y in pts]
    assert ys[1] == min(ys) and ys[0] == max(ys)  # 3.0 highest on screen (smallest y), 1.0 lowest
    assert pts[0][0] < pts[1][0] < pts[2][0] and all(0 <= y <= RH.SPARK_H for y in ys)
    assert RH.sparkline([2.0, 2.0]).startswith("<img")  # flat: drawn, not a division by zero
    assert RH.sparkline([1.0]) == RH.sparkline(None) == RH.sparkline([math.inf, 1.0]) == "—"


def test_progress_is_clipped_and_missing_is_a_dash():
    assert RH.progress(1.7).endswith("100%") and RH.progress(-0.2).endswith("0%")
    assert RH.progress(None) == RH.progress(math.nan) == "—"


def test_a_bad_state_is_marked_and_a_non_picture_sample_is_not_shown():
    html = RH.table_html([RH.Row(state="diverged", run="x", sample="javascript:alert(1)")])
    assert "class='bad'>diverged" in html and "javascript:" not in html


def test_a_sparkline_from_anyones_status_json_never_breaks_the_table():
    for junk in ("1,2,3", 7, {"a": 1}, [True, False, True], ["x", None, "y"]):
        assert RH.sparkline(junk) == "—", junk
    assert sparkline_points(RH.sparkline([1, "x", 2.5, None, 3])) == 3  # the numbers among them


def test_links_open_in_a_new_tab():
    """The page's search, filters and page number are not in its URL: leaving it would lose them."""
    assert "target='_blank'" in RH.link("monitor", "a", "a")
