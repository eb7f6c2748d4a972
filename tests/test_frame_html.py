"""Small tables as plain HTML (app/frame_html.py): what each kind of cell shows, and what is escaped."""

import math

import numpy as np
import pandas as pd

from tests.html_table import read_table, sparkline_points
from wgan_watch.app.frame_html import Column, frame_html


def test_every_column_in_order_with_its_heading_format_and_missing_values_as_a_dash():
    df = pd.DataFrame({"run": ["a", "b"], "step": np.array([1500, 20], dtype=np.int64), "rho": [0.123456, math.nan],
                       "curve": [[3.0, 2.0, 1.5, 1.0], []], "seed": [None, 7]})
    html = frame_html(df, {"step": Column(number="{:,}"), "rho": Column("ρ with quality", tip="why", number="{:.2f}"),
                           "curve": Column("that series", sparkline=True)})
    table = read_table(html)
    assert list(table.columns) == ["run", "step", "ρ with quality", "that series", "seed"]
    a, b = table.to_dict("records")
    assert (a["step"], a["ρ with quality"], b["ρ with quality"]) == ("1,500", "0.12", "—")
    assert sparkline_points(a["that series"]) == 4 and b["that series"] == "—"  # under two points: no line
    assert a["seed"] == "—" and b["seed"] == "7"
    assert "title='why'" in html and "<td class='num'>0.12</td>" in html  # numbers right-aligned, headings explained


def test_text_is_escaped_and_plain_numbers_keep_their_kind():
    df = pd.DataFrame({"name": ["<b>x</b>"], "n": [12345], "v": [0.5], "ok": [True]})
    table = read_table(frame_html(df))
    assert table.iloc[0].to_dict() == {"name": "<b>x</b>", "n": "12,345", "v": "0.5", "ok": "True"}
    assert "<b>x</b>" not in frame_html(df)


def test_a_row_of_numbers_keeps_its_integers_and_large_floats_are_not_in_exponent_form():
    table = read_table(frame_html(pd.DataFrame({"n": [1500], "v": [0.5], "big": [1234567.0]}), {"n": Column(number="{:,}")}))
    assert table.iloc[0].to_dict() == {"n": "1,500", "v": "0.5", "big": "1,234,567"}
