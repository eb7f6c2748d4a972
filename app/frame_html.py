"""Small tables as plain HTML: Compare's runs and the Study page's tables. Pure functions: no Streamlit.

Why not st.dataframe: a table of a dozen rows does not need a data grid, and the grid's scripts cost a fresh
browser about 0.4 s of its main thread before the first chart on the Compare page (3.04 s to every chart drawn
with the grid, 2.64 without, the two alternating in one server; bench/README.md, "The other pages at scale").
The Runs page made the same change for the same reason (app/runs_html.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from numbers import Real

import numpy as np
import pandas as pd

from .runs_html import sparkline

STYLE = """<style>
.ww-frame-wrap { overflow-x: auto; }
.ww-frame { border-collapse: collapse; width: 100%; font-size: 0.875rem; }
.ww-frame th { text-align: left; font-weight: 600; padding: 6px 8px; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.4); }
.ww-frame th[title] { text-decoration: underline dotted rgba(128, 128, 128, 0.6); cursor: help; }
.ww-frame td { padding: 4px 8px; vertical-align: middle; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.15); }
.ww-frame td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ww-frame img { display: block; }
</style>"""


@dataclass(frozen=True)
class Column:
    """How a table shows one column of a frame."""

    header: str | None = None
    """The column's heading; None: the frame's own column name."""
    tip: str = ""
    """Shown when the pointer rests on the heading."""
    number: str | None = None
    """A format for numbers, as for str.format: "{:.2f}"; None: integers and floats from 10,000 up with
    separators, smaller floats to 4 significant digits."""
    sparkline: bool = False
    """The cell holds a list of numbers, drawn as a small line."""


def cell(value, column: Column) -> str:
    """One cell as HTML: "—" for what is missing (None, NaN, an empty list)."""
    if column.sparkline:
        return f"<td>{sparkline(list(value) if isinstance(value, (list, tuple)) else None)}</td>"
    number = isinstance(value, Real) and not isinstance(value, bool)
    if value is None or (number and not math.isfinite(value)):
        return "<td class='num'>—</td>" if column.number else "<td>—</td>"
    if not number:
        return f"<td>{escape(str(value))}</td>"
    if column.number:
        text = column.number.format(value)
    else:
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return f"<td class='num'>{escape(text)}</td>"


def frame_html(df: pd.DataFrame, columns: dict[str, Column] | None = None) -> str:
    """The frame as a table, its style included (st.html shows it as it is, sanitised): every column of the
    frame, in its order, shown as `columns` says (a plain column where it says nothing)."""
    columns = columns or {}
    spec = {c: columns.get(c, Column()) for c in df.columns}
    head = "".join(f"<th title='{escape(s.tip)}'>{escape(s.header or str(c))}</th>" if s.tip else
                   f"<th>{escape(s.header or str(c))}</th>" for c, s in spec.items())
    values = [df[c].tolist() for c in df.columns]  # column by column: a row of numbers would be all floats
    body = "".join("<tr>" + "".join(cell(_plain(v), s) for v, s in zip(row, spec.values())) + "</tr>"
                   for row in zip(*values))
    return (f"<div class='ww-frame-wrap'>{STYLE}<table class='ww-frame'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def _plain(value):
    """numpy's scalars as Python's (an int64 is not an int), pandas' missing values as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return value
