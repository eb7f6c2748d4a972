"""Plotly figures drawn by plotly.js's basic bundle (scatter, bar and pie; 1.2 MB) instead of the full one
that `st.plotly_chart` loads (every trace type; Streamlit's 4.7 MB chunk).

Why: in a browser that opens the dashboard for the first time, loading and evaluating Streamlit's Plotly
chunk is most of what Compare and Study wait for after Streamlit's own start-up. Their charts are lines,
bands and bars, which the basic bundle draws the same. In a fresh browser context Compare's first tab was on
screen after 2.53 s with st.plotly_chart and 1.82 s with this, Study's after 2.44 and 1.65 s (bench/README.md,
"A smaller Plotly"). Every chart of the dashboard is drawn this way now (a toy run's critic map is a picture under
its points); a figure with any other trace type (a heatmap, say) would go to st.plotly_chart.

The bundle (app/assets/plotly-basic.min.js, the npm package plotly.js-basic-dist-min, MIT: the licence is
beside it) is a file of this package, served by the same Streamlit server under the address of a
components.v1 component that is declared only for that and never mounted. The chart itself is a
components.v2 component (no iframe): its few lines load the bundle once per page and draw with
Plotly.react, which updates a chart in place when its figure changes: a live Monitor page's refresh
costs its browser a third less CPU than st.plotly_chart's, which draws every changed figure anew (bench/README.md,
"Many viewers of a live run"). It draws what st.plotly_chart draws with the same `theme`: None, the figure's
own template; "streamlit", Streamlit's look in the app's light or dark theme, which these lines apply from the
page's theme variables (a browser test holds it against st.plotly_chart's on the same page). The same mode bar
(no logo, no selection tools); Streamlit's full-screen button is not there. The bundle is plotly.js 4.1.1, the
version the plotly package writes figures for (Streamlit 1.67 bundles 4.2.0). Its address carries a hash of its
content, and the page keeps the file in the browser's Cache Storage under that address: Streamlit serves it with
no max-age, so without that a page fetched its 400 KB again on every load (over a 10 Mbit/s link, Compare with a
warm browser cache took 1.53 s to its charts and 1.32 s with the kept copy; bench/README.md, "The bundle kept").
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from contextlib import nullcontext
from pathlib import Path
from typing import Literal, Optional

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
import streamlit.components.v1 as components_v1

ASSETS = Path(__file__).parent / "assets"
BUNDLE = "plotly-basic.min.js"
# the trace types of plotly.js-basic-dist-min (its README); anything else needs the full bundle
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})


_JS = """
// The bundle once per page, shared by every chart on it; a failed load is tried again by the next chart.
// Streamlit serves it with no max-age or validator, so the browser's HTTP cache would fetch it again (about
// 400 KB compressed) on every page load. Its address names a hash of its content, so the copy kept in the
// browser's Cache Storage under that address is this very file, and the page runs that copy instead. Cache
// Storage exists on localhost and https only: elsewhere, or if it fails, the page loads the address itself.
const STORE = "wgan-watch-plotly";
const within = (promise, ms) =>  // (a broken store can leave a call unanswered)
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("no answer")), ms))]);
// The kept copy as a blob URL (fetched and kept first if there is none yet), or null.
async function kept(src) {
  try {
    const store = await within(caches.open(STORE), 2000);  // (throws where there is no Cache Storage)
    let response = await within(store.match(src), 2000);
    if (!response) {
      response = await fetch(src);
      if (!response.ok) return null;  // (the script's own load then says what is wrong)
      try {
        const path = new URL(src, document.baseURI).pathname;
        for (const old of await store.keys()) {  // an older bundle's copy (not another dashboard's)
          if (new URL(old.url).pathname === path) await store.delete(old);
        }
        await store.put(src, response.clone());
      } catch (error) {}  // not kept: this load still runs what it fetched
    }
    return URL.createObjectURL(await response.blob());
  } catch (error) {
    return null;
  }
}
function run(url) {  // a script element: resolves once it has run, rejects if it did not load
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = () => { script.remove(); reject(new Error(`${url} did not load`)); };
    document.head.appendChild(script);
  });
}
function plotly(src) {
  if (!window.__wganWatchPlotly) {
    window.__wganWatchPlotly = (async () => {
      const copy = await kept(src);
      if (copy) {
        try { await run(copy); } catch (error) {} finally { URL.revokeObjectURL(copy); }
        if (window.Plotly) return window.Plotly;
        caches.delete(STORE).catch(() => {});  // a bad copy: dropped, and the address is loaded instead
      }
      await run(src);
      if (!window.Plotly) throw new Error(`${src} is not plotly.js`);
      return window.Plotly;
    })().catch((error) => { window.__wganWatchPlotly = null; throw error; });
  }
  return window.__wganWatchPlotly;
}
// as st.plotly_chart's: no Plotly logo, no selection tools (a selection does nothing here)
const CONFIG = { displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

// Streamlit's Python template (the default once streamlit is imported) holds placeholder colours #000001-#000040,
// which its frontend replaces: by the app's theme for theme="streamlit", by Plotly's own colours for theme=None.
const PLOTLY_COLORS = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880",
  "#FF97FF", "#FECB52", "#0d0887", "#46039f", "#7201a8", "#9c179e", "#bd3786", "#d8576b", "#ed7953", "#fb9f3a",
  "#fdca26", "#f0f921", "#8e0152", "#c51b7d", "#de77ae", "#f1b6da", "#fde0ef", "#e6f5d0", "#b8e186", "#7fbc41",
  "#4d9221", "#276419", "#000031", "#3D9970", "#FF4136", "#4499FF", "#B2B5BE", "#2a3f5f", "#2a3f5f", "#EBF0F8",
  "white", "#C8D4E3"];
// the greys Streamlit's Plotly theme draws with, which its theme variables do not carry (measured from
// st.plotly_chart's drawn layout in each base theme)
const GREYS = { light: { text: "#808495", legend: "#262730", grid: "#e6eaf1" },
                dark: { text: "#e6eaf1", legend: "#fafafa", grid: "#31333F" } };

function isDark(color) {
  const c = document.createElement("canvas").getContext("2d");
  c.fillStyle = color;  // any CSS colour, normalised to #rrggbb, or to rgba(r, g, b, a) if translucent
  const s = c.fillStyle;
  const [r, g, b] = s.startsWith("#") ? [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16))
    : s.match(/[\d.]+/g).map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b < 128;
}

const plain = (o) => o && typeof o === "object" && !Array.isArray(o);

// What st.plotly_chart's theme="streamlit" puts in a figure's template, from the page's theme variables
function streamlitTheme(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const bg = v("--st-background-color", "#ffffff");
  const grey = isDark(bg) ? GREYS.dark : GREYS.light;
  const fonts = (name) => v(name, "sans-serif").split(",").map((f) => f.trim()).join(", ");  // as Streamlit writes it
  const family = fonts("--st-font");
  // ten colours each (commas inside rgb(...) do not split), else Plotly's ten for those placeholders
  const ten = (name, from) => {
    const list = v(name, "").split(/,(?![^()]*\))/).map((c) => c.trim()).filter(Boolean);
    return list.length === 10 ? list : PLOTLY_COLORS.slice(from, from + 10);
  };
  const categorical = ten("--st-chart-categorical-colors", 0);
  const colors = [...categorical, ...ten("--st-chart-sequential-colors", 10), ...ten("--st-chart-diverging-colors", 20),
    "#000031", v("--st-green-color", PLOTLY_COLORS[31]), v("--st-red-color", PLOTLY_COLORS[32]),
    v("--st-blue-color", PLOTLY_COLORS[33]), grey.grid, grey.text, grey.legend, bg,
    v("--st-border-color-light", grey.grid), v("--st-secondary-background-color", bg)];
  const font = (size, color) => ({ family, size, color });
  const axis = (standoff) => ({ gridcolor: grey.grid, zerolinecolor: grey.grid, tickcolor: grey.grid,
    tickfont: font(12, grey.text), title: { font: font(14, grey.text), standoff }, ticklabelposition: "outside",
    automargin: true, minor: { gridcolor: grey.grid } });
  const layout = {
    font: { ...font(12, grey.text), weight: Number(v("--st-base-font-weight", "400")) },
    title: { font: { family: fonts("--st-heading-font"), size: 16, color: v("--st-heading-color", grey.legend) },
             pad: { l: 4 }, xanchor: "left", x: 0 },
    legend: { font: font(12, grey.legend), title: { font: font(12, grey.text), side: "top" }, valign: "top",
              bordercolor: "transparent", borderwidth: 0 },
    paper_bgcolor: bg, plot_bgcolor: bg, colorway: categorical,
    xaxis: { ...axis(20), showgrid: false, zeroline: false }, yaxis: axis(24),
    margin: { pad: 8, r: 0, l: 0 },
    hoverlabel: { bgcolor: bg, bordercolor: v("--st-border-color", grey.grid),
                  font: { ...font(12, grey.text), weight: "normal" } },
  };
  return { colors, layout };
}

// plain objects merged into `into`, `from` winning
function merge(into, from) {
  for (const [k, val] of Object.entries(from)) {
    into[k] = plain(val) && plain(into[k]) ? merge({ ...into[k] }, val) : val;
  }
  return into;
}

function themed(json, theme, el) {
  const look = theme === "streamlit" ? streamlitTheme(el) : { colors: PLOTLY_COLORS };
  const figure = JSON.parse(json.replace(/"#0000([0-4][0-9])"/g,
    (hex, n) => (n >= 1 && n <= 40 ? JSON.stringify(look.colors[n - 1]) : hex)));
  if (look.layout) {
    const layout = figure.layout = plain(figure.layout) ? figure.layout : {};
    if (!plain(layout.template)) layout.template = {};  // (a template's name is plotly.py's business, not ours)
    layout.template.layout = merge(plain(layout.template.layout) ? layout.template.layout : {}, look.layout);
    if (typeof layout.title === "string") layout.title = { text: layout.title };
    const title = layout.title;  // Streamlit's theme sets a chart's title in bold
    if (title && typeof title.text === "string" && title.text && !title.text.startsWith("<b>"))
      title.text = `<b>${title.text}</b>`;
  }
  return figure;
}

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

// One observer per chart, made after its first drawing: whether the chart is on or within 300 px of the screen. A
// new figure for a chart further away (a live refresh of the Monitor's lower charts, an option changed while
// scrolled down) is not drawn until the chart comes that near: only the newest is kept. The margin is given to
// the element the page scrolls in (Streamlit's page scrolls inside one, which clips what is below it); inside
// another scrolling element (a container of fixed height) the chart counts as near when it is in view there.
function scroller(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    if (["auto", "scroll"].includes(getComputedStyle(p).overflowY)) return p;
  }
  return null;
}

function followSight(el) {
  if (el.wganWatchSight) return;
  el.wganWatchNear = true;
  el.wganWatchSight = new IntersectionObserver((entries) => {
    el.wganWatchNear = entries[entries.length - 1].isIntersecting;
    const pending = el.wganWatchPending;
    if (el.wganWatchNear && pending) { el.wganWatchPending = null; pending(); }
  }, { root: scroller(el), rootMargin: "300px 0px" });
  el.wganWatchSight.observe(el);
}

// Streamlit calls this again with the same element when the figure changes (a live page's refresh), and when
// the app's theme changes (an app that follows the system's dark mode): Plotly.react then updates the chart in
// place. What it returns is called when the element goes away.
export default function ({ parentElement, data }) {
  const el = parentElement.querySelector(".wgan-watch-chart");
  const draw = () => {
    let figure;
    try {
      figure = themed(data.figure, data.theme, parentElement);
    } catch (error) {
      say(el, `This chart could not be drawn: ${error.message}.`);
      return;
    }
    plotly(data.src).then((Plotly) => {
      if (!el.isConnected) return;
      if (el.wganWatchMessage) { el.textContent = ""; el.wganWatchMessage = false; }
      return Promise.resolve(Plotly.react(el, figure.data, figure.layout, CONFIG)).then(
        () => { if (el.isConnected) { followWidth(el); followSight(el); } },  // (not on a chart gone meanwhile)
        (error) => say(el, `This chart could not be drawn: ${error.message}.`));
    }, (error) => {
      say(el, `The chart library did not load (${error.message}): reload the page; if it stays, reinstall WGAN ` +
        "Watch (its app/assets folder holds the library).");
    });
  };
  if (el.wganWatchSight && !el.wganWatchNear) {
    el.wganWatchPending = draw;  // the newest figure only, drawn when the chart comes near the screen
  } else {
    el.wganWatchPending = null;
    draw();
  }
  return () => {
    for (const observer of [el.wganWatchResize, el.wganWatchSight]) if (observer) observer.disconnect();
    el.wganWatchResize = el.wganWatchSight = el.wganWatchPending = null;
    if (window.Plotly) window.Plotly.purge(el);
  };
}
"""
CHART_COMPONENT = "wgan_watch_chart"
_chart = st.components.v2.component(CHART_COMPONENT, html="<div class='wgan-watch-chart'></div>", js=_JS,
                                    isolate_styles=False)


def bundle_address() -> str:
    """Where the page loads the bundle from. The assets folder is declared here, in every script run that draws
    a chart: Streamlit serves a declared folder (at component/<name>/) only if it was declared during a script
    run, and this module may first be imported outside one. Relative, so it works under server.baseUrlPath."""
    assets = components_v1.declare_component("assets", path=str(ASSETS))
    return f"{assets.url or f'./component/{assets.name}/'}{BUNDLE}?v={bundle_hash()}"


@functools.cache
def bundle_hash() -> str:
    """A hash of the bundle's content, in its address: the page keeps its copy under that address (_JS)."""
    return hashlib.sha256((ASSETS / BUNDLE).read_bytes()).hexdigest()[:16]


def is_basic(fig: go.Figure) -> bool:
    """Whether the basic bundle draws every trace of `fig`."""
    return all((t.type or "scatter") in BASIC_TRACES for t in fig.data)


class _JsonMemo:
    """The JSON of the last figures drawn, by identity. A live page's figures come from a cache shared by every
    session (load.figure), so 16 viewers of a run draw the same figure objects: each is written once, not once
    per viewer (2-3 ms for a chart of six 2,000-point lines). It holds the figures it keys on, so an id is not
    reused while kept; a figure must not be changed after it is drawn (none of ours is)."""

    def __init__(self, size: int = 64):
        self.size, self._d, self._lock = size, OrderedDict(), threading.Lock()

    def __call__(self, fig: go.Figure) -> str:
        with self._lock:
            hit = self._d.get(id(fig))
            if hit is not None and hit[0] is fig:
                self._d.move_to_end(id(fig))
                return hit[1]
        text = pio.to_json(fig, validate=False)  # as st.plotly_chart writes it
        with self._lock:
            self._d[id(fig)] = (fig, text)
            while len(self._d) > self.size:
                self._d.popitem(last=False)
        return text


figure_json = _JsonMemo()


def sent_figure(element) -> Optional[str]:
    """The figure (Plotly's JSON) that a BidiComponent message carries, if it is this chart's; else None. For
    readers of what a page was sent (the tests' AppTest runs, bench.viewers' websocket frames)."""
    if element.component_name != CHART_COMPONENT:
        return None
    return json.loads(element.json)["figure"]


def basic_chart(fig: go.Figure, *, key: str, where=None, theme: Optional[Literal["streamlit"]] = None,
                shared: bool = False) -> None:
    """Draw `fig` in `where` (a column or container; the current one if None), by the basic bundle when it has
    the figure's trace types, else by st.plotly_chart. `theme` is st.plotly_chart's: None draws the figure's own
    template, "streamlit" Streamlit's look, following the app's light or dark theme. `shared`: `fig` comes from a
    cache shared between sessions (load.figure, load.toy_figure), so its JSON is kept for the next session."""
    if not is_basic(fig):
        (where or st).plotly_chart(fig, key=key, theme=theme)
        return
    text = figure_json(fig) if shared else pio.to_json(fig, validate=False)
    with where if where is not None else nullcontext():
        _chart(data={"figure": text, "src": bundle_address(), "theme": theme}, key=key)
