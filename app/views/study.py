"""Study: is WGAN really stabler? One study's runs over seeds and settings, with the spread shown."""

import numpy as np
import pandas as pd
import streamlit as st

from wgan_watch.app import load, study_charts as sc, study_data as sd
from wgan_watch.app.basic_chart import basic_chart
from wgan_watch.app.charts import ALGO_NAMES
from wgan_watch.app.frame_html import Column, frame_html
from wgan_watch.app.settings import DETAIL_REFRESH_S
from wgan_watch.app.visibility import mount_reporter, refresh_every, tab_visible
from wgan_watch.app.widgets import available_runs, lazy_tabs
from wgan_watch.runs import runfiles as rf
import wgan_watch.study.analysis as A

EXAMPLE = ("python -m wgan_watch study g8 --data gaussians8 --algos wgan-gp,wgan,gan --samples 8 --seeds 3 "
           "--workers 2")

st.title("Study")
st.caption("One seed cannot tell an algorithm from luck. A study trains every algorithm under several settings "
           "(the defaults, and samples from Lucic et al.'s ranges) and seeds, and shows the spread: best quality, "
           "success rates with intervals, what more settings buy, and how fast runs get there.")
root, runs = available_runs()
found = sd.studies(root, runs)
if not found:
    st.info("No study in this runs folder yet. Start one from a terminal (it can run for hours; Ctrl-C stops it "
            "and the same command resumes it):", icon=":material/info:")
    st.code(EXAMPLE, language="bash")
    st.stop()
asked = st.query_params.get("study")
if asked and asked not in found:
    st.warning(f"There is no study named `{asked}` in `{root}`. Its studies: {', '.join(found)}.",
               icon=":material/search_off:")
name = st.selectbox("Study", list(found), index=list(found).index(asked) if asked in found else 0, key="study")
st.query_params["study"] = name
members = found[name]
live = any(load.is_live(rf.resolve_run(root, r)) for r in members)


def progress_line(results: list, design) -> str:
    ended = [r for r in results if r.ended]
    diverged = sum(r.state == "diverged" for r in ended)
    training = sum(r.state in rf.ACTIVE_STATES for r in results)
    total = len(design.points()) if design else None
    to_come = f", {total - len(results)} still to start" if total and total > len(results) else ""
    where = f"{total} runs in the design" if total else f"{len(results)} runs so far"
    return (f"{where}: {len(ended)} ended" + (f" ({diverged} diverged)" if diverged else "")
            + f", {training} training{to_come}." + (f" Data: {design.data}, {design.samples} settings per "
                                                    f"algorithm × {design.seeds} seeds." if design else ""))


def pair_rows(results: list, threshold: float) -> pd.DataFrame:
    algos = [a for a in ALGO_NAMES if any(r.algo == a for r in results)]
    rows = []
    for i, a in enumerate(algos):
        for b in algos[i + 1:]:
            t = A.pair_table(results, a, b, threshold)
            rows.append({"pair": f"{ALGO_NAMES[a]} / {ALGO_NAMES[b]}", "only the first": t[f"only {a}"],
                         "only the second": t[f"only {b}"], "both": t["both"], "neither": t["neither"]})
    return pd.DataFrame(rows)


def default_setting(results: list, x: str, measure: str) -> None:
    """The default settings' runs: quality over their seeds, and how well the estimate follows it."""
    defaults = [r for r in results if r.sample == 0]
    bands = {a: A.seed_band([r.curve for r in defaults if r.algo == a], x=x)
             for a in ALGO_NAMES if any(r.algo == a for r in defaults)}
    basic_chart(sc.seed_band_figure(bands, x, measure, "The default settings over their seeds"), key="study_band")
    rho = A.rank_correlations(defaults)
    rows = []
    for a in bands:
        v = rho[[r.run for r in defaults if r.algo == a and r.run in rho.index]]
        if len(v):
            rows.append({"algorithm": ALGO_NAMES[a], "runs": len(v), "median ρ": v.median(), "lowest": v.min(),
                         "highest": v.max()})
    if rows:
        st.caption("How well the critic's estimate (or the vanilla GAN's generator loss, which has none: blank) "
                   "follows quality, run by run: Spearman's ρ between the estimate and the quality measure at "
                   "the evaluations; +1 means it falls exactly as the samples improve.")
        formats = {c: Column(number="{:.2f}") for c in ("median ρ", "lowest", "highest")}
        st.html(frame_html(pd.DataFrame(rows), formats))


def time_axis() -> str:
    """The axis of the two tabs that draw over time (kept while another tab is open)."""
    return st.radio("Time axis", ["elapsed", "step"], horizontal=True, key="study_x", persist_state="page",
                    format_func={"elapsed": "training time", "step": "generator step"}.get)


def success_tab(results: list, best: dict, table, label: str, thresholds: list, t: float) -> None:
    c1, c2 = st.columns(2)
    basic_chart(sc.best_quality_figure(best, label, thresholds), key="study_best", where=c1)
    basic_chart(sc.success_figure(table, label), key="study_success", where=c2)
    pairs = pair_rows(results, t)
    if len(pairs):
        st.caption(f"Settings samples run under two algorithms (same sample, same seed): how many reached {label} ≤ "
                   f"{t:g} under only one, both or neither (the WGAN-GP paper's table for its 200 architectures).")
        st.html(frame_html(pairs))


def budget_tab(results: list, best: dict, x: str, t: float, label: str) -> None:
    c1, c2 = st.columns(2)
    curves = {a: A.expected_best_band(A.setting_quality(results, a)) for a in best}
    basic_chart(sc.expected_best_figure(curves, label), key="study_budget", where=c1)
    km = {a: A.time_to_quality([r for r in results if r.algo == a], t, by=x) for a in best}
    basic_chart(sc.time_to_quality_figure(km, x, t, label), key="study_km", where=c2)


@st.fragment(run_every=refresh_every(DETAIL_REFRESH_S, live and tab_visible()))
def study_panels() -> None:
    results, measure = sd.results(root, members)
    st.write(progress_line(results, sd.design(root, name)))
    if not measure:
        st.info("No run of this study has an evaluation yet: the first comes after `eval_every` steps.")
        return
    label = {"w1_exact": "W1", "fid": "FID"}.get(measure, measure)
    thresholds = A.default_thresholds(results, measure)
    if not thresholds:
        st.info("No run of this study has ended yet: the success rates come when the first do.")
        thresholds = [float(np.nanmedian([r.best for r in results]))] if results else [1.0]
    t = st.selectbox(f"Success means {label} at or below", thresholds, index=min(1, len(thresholds) - 1),
                     format_func=lambda v: f"{v:g}", key="study_threshold",
                     help="For exact W1: 1.5, 2 and 3 times its floor (real data against real data at the same n). "
                          "For FID: the quartiles of all runs' best values.")
    table = A.success_table(results, thresholds)
    st.markdown(f"**{A.caption(table, t, label)}**")
    best = {a: np.array([r.best for r in results if r.algo == a and r.ended]) for a in ALGO_NAMES
            if any(r.algo == a for r in results)}
    lazy_tabs({"Success rates": lambda: success_tab(results, best, table, label, thresholds, t),
               "Budget and time to quality": lambda: budget_tab(results, best, time_axis(), t, label),
               "The default settings over seeds": lambda: default_setting(results, time_axis(), label)},
              key="study_tab")


study_panels()
mount_reporter()
