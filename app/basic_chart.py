"""Plotly figures drawn by plotly.js's basic bundle (scatter, bar and pie; 1.2 MB) instead of the full one
that `st.plotly_chart` loads (every trace type; Streamlit's 4.7 MB chunk).

Why: in a browser that opens the dashboard for the first time, loading and evaluating Streamlit's Plotly
chunk is most of what Compare and Study wait for after Streamlit's own start-up. Their charts are lines,
bands and bars, which the basic bundle draws the same. In a fresh browser context Compare's first tab was on
screen after 2.53 s with st.plotly_chart and 1.82 s with this, Study's after 2.44 and 1.65 s (bench/README.md,
"A smaller Plotly"). A figure with any other trace type (a heatmap, say) goes to st.plotly_chart as before.

The bundle (app/assets/plotly-basic.min.js, the npm package plotly.js-basic-dist-min, MIT: the licence is
beside it) is a file of this package, served by the same Streamlit server under the address of a
components.v1 component that is declared only for that and never mounted. The chart itself is a
components.v2 component (no iframe): its few lines load the bundle once per page and draw with
Plotly.react, which updates a chart in place when its figure changes. It draws what
st.plotly_chart(fig, theme=None) draws: the figure's own template, not Streamlit's theme, and the same mode
bar (no logo, no selection tools); Streamlit's full-screen button is not there. The bundle is plotly.js
4.1.1, the version the plotly package writes figures for (Streamlit 1.67 bundles 4.2.0).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components_v1

ASSETS = Path(__file__).parent / "assets"
BUNDLE = "plotly-basic.min.js"
# the trace types of plotly.js-basic-dist-min (its README); anything else needs the full bundle
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})


_JS = """
// The bundle once per page, shared by every chart on it; a failed load is tried again by the next chart.
function plotly(src) {
  if (!window.__wganWatchPlotly) {
    window.__wganWatchPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      const fail = (why) => { window.__wganWatchPlotly = null; script.remove(); reject(new Error(why)); };
      script.onload = () => window.Plotly ? resolve(window.Plotly) : fail(`${src} is not plotly.js`);
      script.onerror = () => fail(`${src} did not load`);
      document.head.appendChild(script);
    });
  }
  return window.__wganWatchPlotly;
}
// as st.plotly_chart's: no Plotly logo, no selection tools (a selection does nothing here)
const CONFIG = { displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function say(el, text) {
  if (window.Plotly) window.Plotly.purge(el);
  el.textContent = text;
  el.wganWatchMessage = true;
}

// One observer per chart, made after its first drawing: a column's width changes without a window resize
// (the sidebar opened, a tab shown). A hidden chart (width 0) is left as it is.
function followWidth(el) {
  if (el.wganWatchResize) return;
  let width = el.clientWidth;
  el.wganWatchResize = new ResizeObserver(() => {
    if (!el._fullLayout || el.clientWidth === 0 || el.clientWidth === width) return;
    width = el.clientWidth;
    Promise.resolve(window.Plotly.Plots.resize(el)).catch(() => {});
  });
  el.wganWatchResize.observe(el);
}

// Streamlit calls this again with the same element when the figure changes (a live page's refresh):
// Plotly.react then updates the chart in place. What it returns is called when the element goes away.
export default function ({ parentElement, data }) {
  const el = parentElement.querySelector(".wgan-watch-chart");
  const figure = JSON.parse(data.figure);
  plotly(data.src).then((Plotly) => {
    if (!el.isConnected) return;
    if (el.wganWatchMessage) { el.textContent = ""; el.wganWatchMessage = false; }
    return Promise.resolve(Plotly.react(el, figure.data, figure.layout, CONFIG)).then(
      () => followWidth(el),
      (error) => say(el, `This chart could not be drawn: ${error.message}.`));
  }, (error) => {
    say(el, `The chart library did not load (${error.message}): reload the page; if it stays, reinstall WGAN ` +
      "Watch (its app/assets folder holds the library).");
  });
  return () => {
    if (el.wganWatchResize) { el.wganWatchResize.disconnect(); el.wganWatchResize = null; }
    if (window.Plotly) window.Plotly.purge(el);
  };
}
"""
_chart = st.components.v2.component("wgan_watch_chart", html="<div class='wgan-watch-chart'></div>", js=_JS,
                                    isolate_styles=False)


def bundle_address() -> str:
    """Where the page loads the bundle from. The assets folder is declared here, in every script run that draws
    a chart: Streamlit serves a declared folder (at component/<name>/) only if it was declared during a script
    run, and this module may first be imported outside one. Relative, so it works under server.baseUrlPath."""
    assets = components_v1.declare_component("assets", path=str(ASSETS))
    return (assets.url or f"./component/{assets.name}/") + BUNDLE


def is_basic(fig: go.Figure) -> bool:
    """Whether the basic bundle draws every trace of `fig`."""
    return all((t.type or "scatter") in BASIC_TRACES for t in fig.data)


def basic_chart(fig: go.Figure, *, key: str, where=None) -> None:
    """Draw `fig` (with its own template, as st.plotly_chart(fig, theme=None) does) in `where` (a column or
    container; the current one if None), by the basic bundle when it has the figure's trace types."""
    if not is_basic(fig):
        (where or st).plotly_chart(fig, key=key, theme=None)
        return
    with where if where is not None else nullcontext():
        _chart(data={"figure": fig.to_json(), "src": bundle_address()}, key=key)
