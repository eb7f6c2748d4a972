"""Charts drawn by plotly.js's basic bundle (app/basic_chart.py): which figures it takes, and the bundle it
serves. That a page draws with it in a browser, and never loads Streamlit's full Plotly chunk, is
tests/test_browser.py's test_compare_page_draws."""

import json
import re
import sys

import plotly
import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from tests.figures import figures
from wgan_watch.app import basic_chart as bc


def test_lines_bars_and_pies_are_basic_and_a_heatmap_is_not():
    assert bc.is_basic(go.Figure([go.Scatter(y=[1, 2]), go.Bar(y=[1]), go.Pie(values=[1, 2])]))
    assert bc.is_basic(go.Figure())  # an empty figure draws as axes
    assert not bc.is_basic(go.Figure([go.Scatter(y=[1, 2]), go.Heatmap(z=[[1, 2]])]))


def _page():
    import plotly.graph_objects as go
    import streamlit as st

    from wgan_watch.app.basic_chart import basic_chart

    left, right = st.columns(2)
    basic_chart(go.Figure(go.Scatter(y=[3, 1, 2], name="line"), layout={"title": "lines"}), key="a", where=left)
    basic_chart(go.Figure(go.Heatmap(z=[[1, 2]], name="heat"), layout={"title": "heat"}), key="b", where=right)
    basic_chart(go.Figure(go.Bar(y=[1], name="bar")), key="c")
    st.plotly_chart(go.Figure(go.Scatter(y=[3, 1, 2], name="line"), layout={"title": "lines"}), key="d", theme=None)


def test_a_page_sends_basic_figures_to_the_component_and_the_rest_to_st_plotly_chart(monkeypatch):
    # AppTest leaves its script as sys.modules["__main__"]; a later test's spawned process would run it again
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    at = AppTest.from_function(_page).run()
    assert not at.exception, at.exception
    full, same = at.get("plotly_chart")
    assert '"heat"' in full.proto.spec
    basic = [c for c in at.get("bidi_component") if c.proto.component_name == "wgan_watch_chart"]
    assert len(basic) == 2
    assert sorted(t["name"] for f in figures(at) for t in f["data"]) == ["bar", "heat", "line", "line"]
    # the figure st.plotly_chart(fig, theme=None) sends, template and all
    line = next(f for f in figures(at)[2:] if f["data"][0]["name"] == "line")
    assert line == json.loads(same.proto.spec)


def test_the_bundle_is_a_plotly_basic_build_of_the_major_version_plotly_writes_figures_for():
    bundle = bc.ASSETS / bc.BUNDLE
    head = bundle.read_text()[:200]
    version = re.search(r"plotly\.js \(basic - minified\) v(\d+)\.", head)
    assert version, head
    assert version.group(1) == plotly.offline.get_plotlyjs_version().split(".")[0]
    assert (bc.ASSETS / "LICENSE-plotly.js.txt").read_text().startswith("MIT License")
