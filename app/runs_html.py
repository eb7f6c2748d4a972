"""The Runs page's table as plain HTML: one page of rows, with links, a progress bar, a sparkline and a thumbnail.

Why not st.dataframe: the page shows 25 rows at a time, and the data grid's scripts (about 1.5 MB of JavaScript,
loaded on first use) were most of what a fresh browser waited for on this page: with the reproduce box's list cut
to the rows on screen too, 10,000 runs went from 2.44 s to 1.67 s to the table on screen (python -m
bench.runs_page). Sorting, filters and search run on the server over every run, so the grid's own sorting was
never the whole picture anyway. Pure functions: no Streamlit.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from html import escape
from typing import Iterable, Optional, Sequence
from urllib.parse import quote

SPARK_W, SPARK_H = 90, 28  # pixels: a sparkline's box

# (header, tooltip); a column's cell comes from the same place in Row.cells
HEADERS = (("state", ""), ("run (Monitor)", "opens the run on the Monitor page"), ("algo", ""), ("data", ""),
           ("progress", "generator steps done of the run's planned steps"),
           ("W estimate", "the critic's estimate over the run"), ("sample", "the latest sample"),
           ("quality", "latest exact W1 (2-D data) or FID (images); lower is better"), ("steps/s", ""),
           ("updated", ""), ("", "the runs started together with this one"))

STYLE = """<style>
.ww-runs-wrap { overflow-x: auto; }
.ww-runs { border-collapse: collapse; width: 100%; font-size: 0.875rem; }
.ww-runs th { text-align: left; font-weight: 600; padding: 6px 6px; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.4); }
.ww-runs td { padding: 2px 6px; height: 48px; vertical-align: middle; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.15); }
.ww-runs tr:hover td { background: rgba(128, 128, 128, 0.07); }
.ww-runs td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ww-runs td.name a { display: inline-block; max-width: 210px; overflow: hidden; text-overflow: ellipsis;
  vertical-align: middle; }
.ww-runs .bar { display: inline-block; width: 44px; height: 6px; margin-right: 6px; vertical-align: middle;
  border-radius: 3px; background: rgba(128, 128, 128, 0.25); overflow: hidden; }
.ww-runs .bar span { display: block; height: 100%; background: #ff4b4b; }
.ww-runs .bad { color: #d62728; font-weight: 600; }
.ww-runs img { display: block; max-height: 44px; }
</style>"""
BAD_STATES = ("failed", "diverged", "lost", "unreadable")


@dataclass(frozen=True)
class Row:
    """One run as the table shows it: text already formatted, None where there is nothing to show."""

    state: str
    run: str
    algo: Optional[str] = None
    data: Optional[str] = None
    progress: Optional[float] = None
    estimate: Optional[Sequence[float]] = None
    sample: Optional[str] = None  # a data: URI
    quality: str = "—"
    speed: str = "—"
    age: str = "—"
    group: Optional[str] = None

    def cells(self) -> list[str]:
        """The row's cells as HTML, in the order of HEADERS."""
        bad = " class='bad'" if self.state in BAD_STATES else ""
        return [f"<td{bad}>{escape(self.state)}</td>",
                f"<td class='name' title='{escape(self.run)}'>{link('monitor', self.run, self.run)}</td>",
                f"<td>{escape(self.algo or '—')}</td>", f"<td>{escape(self.data or '—')}</td>",
                f"<td>{progress(self.progress)}</td>", f"<td>{sparkline(self.estimate)}</td>",
                f"<td>{thumbnail(self.sample)}</td>", f"<td class='num'>{escape(self.quality)}</td>",
                f"<td class='num'>{escape(self.speed)}</td>", f"<td>{escape(self.age)}</td>",
                f"<td>{link('compare', self.group, 'Compare', key='group') if self.group else ''}</td>"]


def link(page: str, run: str, text: str, key: str = "run") -> str:
    """A link to another page of the dashboard, relative as Streamlit's own page URLs are; the name quoted."""
    # a new tab, as the data grid's links did: this page's search, filters and page are not in its URL
    return f"<a href='{page}?{key}={quote(run, safe='')}' target='_blank'>{escape(text)}</a>"


def progress(fraction: Optional[float]) -> str:
    if fraction is None or not math.isfinite(fraction):
        return "—"
    f = min(max(fraction, 0.0), 1.0)
    return f"<span class='bar'><span style='width:{f * 100:.0f}%'></span></span>{f * 100:.0f}%"


def sparkline(values: Optional[Sequence[float]], width: int = SPARK_W, height: int = SPARK_H) -> str:
    """An SVG polyline of the finite values, scaled to the box (high values at the top), as an <img>; "—" when
    there are under two."""
    if not isinstance(values, (list, tuple)):  # (status.json is anyone's file: a string or a number is no series)
        return "—"
    ys = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    if len(ys) < 2:
        return "—"
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    pad = 2  # so the line's width is not cut at the box's edges
    pts = " ".join(f"{pad + i * (width - 2 * pad) / (len(ys) - 1):.1f},"
                   f"{pad + (hi - y) / span * (height - 2 * pad):.1f}" for i, y in enumerate(ys))
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
           f"<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='{pts}'/></svg>")
    # as a picture, not inline: st.html's sanitiser removes inline SVG
    return f"<img src='data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}' alt='sparkline'>"


def thumbnail(uri: Optional[str]) -> str:
    if not uri or not uri.startswith("data:image/"):
        return "—"
    return f"<img src='{escape(uri)}' alt='latest sample'>"


def table_html(rows: Iterable[Row]) -> str:
    """The whole table, its style included (st.html shows it as it is, sanitised)."""
    head = "".join(f"<th title='{escape(tip)}'>{escape(h)}</th>" if tip else f"<th>{escape(h)}</th>"
                   for h, tip in HEADERS)
    body = "".join(f"<tr>{''.join(r.cells())}</tr>" for r in rows)
    return f"<div class='ww-runs-wrap'>{STYLE}<table class='ww-runs'><thead><tr>{head}</tr></thead>" \
           f"<tbody>{body}</tbody></table></div>"
