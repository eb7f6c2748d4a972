"""Read back the HTML tables the dashboard draws with st.html (the Runs page's, Compare's, the Study page's),
for tests."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pandas as pd


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._value: str | None = None  # a link's href or a picture's src stands for the cell

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._value = [], None
        elif tag == "a" and self._cell is not None:
            self._value = a.get("href")
        elif tag == "img" and self._cell is not None and self._value is None:
            self._value = a.get("src")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            (self.head if tag == "th" else self.rows[-1]).append(text if tag == "th" else self._value or text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_table(html: str) -> pd.DataFrame:
    """The table's rows, one column per header: a cell's text, or its link's href, or its picture's src."""
    p = _Table()
    p.feed(html)
    return pd.DataFrame([r for r in p.rows if r], columns=p.head)


def runs_table(at) -> pd.DataFrame:
    """The Runs page's table from an AppTest (the "run (Monitor)" column is the link: monitor?run=NAME)."""
    tables = [h.proto.body for h in at.get("html") if "ww-runs" in h.proto.body]
    assert len(tables) == 1, f"{len(tables)} runs tables on the page"
    return read_table(tables[0]).rename(columns={"run (Monitor)": "run", "": "compare"})


def frame_tables(at) -> list[pd.DataFrame]:
    """The small tables of an AppTest's page (Compare's runs, the Study page's tables: app/frame_html.py)."""
    return [read_table(h.proto.body) for h in at.get("html") if "ww-frame" in h.proto.body]


def sparkline_points(src: str) -> int:
    """How many points a sparkline picture (an SVG data URI) draws."""
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    return len(re.search(r"points='([^']*)'", svg).group(1).split())
