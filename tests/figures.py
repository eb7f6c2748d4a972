"""Read back the Plotly figures a page drew in an AppTest run, for tests: st.plotly_chart's and those drawn by
plotly.js's basic bundle (app/basic_chart.py), which AppTest sees as a components.v2 element."""

from __future__ import annotations

import json


def figures(at) -> list[dict]:
    """Every figure of the run as Plotly's JSON ({"data": [...], "layout": {...}}): st.plotly_chart's first, then
    basic_chart's, each in page order."""
    drawn = [json.loads(pc.proto.spec) for pc in at.get("plotly_chart")]
    drawn += [json.loads(json.loads(c.proto.json)["figure"]) for c in at.get("bidi_component")
              if c.proto.component_name == "wgan_watch_chart"]
    return drawn


def trace_names(at) -> list[str]:
    return [t.get("name") for f in figures(at) for t in f["data"]]
