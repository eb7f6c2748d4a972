"""What the browser tells the page: whether its tab is visible, and whether its first chart is drawn.

Streamlit's `st.fragment(run_every=...)` timer runs in the browser and keeps going in a hidden tab
(nothing in its frontend looks at document.visibilityState). A few lines of JavaScript report the
tab's visibility; a change reruns the page, which re-arms the refresh timers only when visible.
The same lines report when the first Plotly chart is on the screen, so a page can send its other
charts after the one the user is waiting for (a browser draws every chart of a script run in one
go once Plotly's library has loaded). And they reload a page that Streamlit's frontend emptied on an
error of its own, which would otherwise stay empty and stop refreshing for good.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function ({ setStateValue }) {
  const report = () => setStateValue("visible", document.visibilityState !== "hidden");
  document.addEventListener("visibilitychange", report);
  let done = false;
  const watch = () => {
    if (done) return;
    if (document.querySelector(".js-plotly-plot .main-svg")) { done = true; setStateValue("drawn", true); return; }
    requestAnimationFrame(watch);
  };
  watch();
  // a chart that never comes (its script failed to load) must not hold back the rest of the page for ever
  const late = setTimeout(() => {
    if (!done && document.querySelector("[data-testid='stPlotlyChart'], [data-testid='stException']")) {
      done = true; setStateValue("drawn", true);
    }
  }, 8000);
  // Under load (16-24 live viewers on 2 cores) Streamlit 1.67's frontend can throw on a delta it is sent
  // ("Bad delta path index 2 (should be between [0, 1])"); it then drops its connection and the page stays
  // empty for good. A reload brings the page back: at once, or a minute after the last one, so an error that
  // came back on every load would not loop. (The timer outlives these lines: the emptied app unmounts them.)
  const recover = (event) => {
    if (!/Bad delta path|Cannot set a node at a delta path/.test(String(event.message || ""))) return;
    if (window.__wgan_watch_reload) return;  // one already on its way
    const wait = Math.max(0, Number(sessionStorage.getItem("wgan_watch_reloaded") || 0) + 60000 - Date.now());
    window.__wgan_watch_reload = setTimeout(() => {
      sessionStorage.setItem("wgan_watch_reloaded", String(Date.now()));
      location.reload();
    }, wait);
  };
  window.addEventListener("error", recover);
  return () => {
    done = true; clearTimeout(late);
    document.removeEventListener("visibilitychange", report); window.removeEventListener("error", recover);
  };
}
"""
_page = st.components.v2.component("wgan_watch_page_state", js=_JS)
_KEY = "page_state"


def page_state() -> tuple[bool, bool]:
    """(tab visible, a chart drawn) as the browser last reported them; (True, True) without a browser (AppTest).

    Read before the reporter is mounted (its state is in session_state from the run before, and a report
    reruns the page), so the reporter itself can come last on the page: mount_reporter()."""
    state = st.session_state.get(_KEY) or {}
    from streamlit import config  # (st.get_option does not see AppTest's patched options)

    no_browser = bool(config.get_option("global.appTest"))
    return bool(state.get("visible", True)), no_browser or bool(state.get("drawn", False))


def mount_reporter() -> None:
    """Mount the few lines of JavaScript that report visibility and the first chart: once per run, at the
    page's end (their bundle then loads after Plotly's, not in its way)."""
    _page(key=_KEY, default={"visible": True, "drawn": False}, on_visible_change=lambda: None,
          on_drawn_change=lambda: None)


def tab_visible() -> bool:
    return page_state()[0]


def refresh_every(seconds: float, active: bool) -> float | None:
    """The run_every for a live part of a page: `seconds` while `active` (a run is live and the tab visible), else None."""
    return seconds if active else None
