"""Read back the Plotly figures a page drew in an AppTest run, for tests: st.plotly_chart's and those drawn by
plotly.js's basic bundle (app/basic_chart.py), which AppTest sees as a components.v2 element."""

from __future__ import annotations

import json

from wgan_watch.app.basic_chart import sent_figure


def _in_order(node):
    """The nodes under `node`, depth first, each block's children by their place on the page."""
    yield node
    for index in sorted(getattr(node, "children", {}) or {}):
        yield from _in_order(node.children[index])


def figures(at) -> list[dict]:
    """Every figure of the run in page order, as Plotly's JSON ({"data": [...], "layout": {...}}), whether
    st.plotly_chart or basic_chart drew it."""
    drawn = []
    for node in _in_order(at.main):
        if node.type == "plotly_chart":
            drawn.append(json.loads(node.proto.spec))
        elif node.type == "bidi_component" and (spec := sent_figure(node.proto)) is not None:
            drawn.append(json.loads(spec))
    return drawn


def trace_names(at) -> list[str]:
    return [t.get("name") for f in figures(at) for t in f["data"]]
