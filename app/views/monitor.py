"""Monitor: one run (or several overlaid), live while it trains.

What a user waits for comes first: the critic's estimate, then the advisor's verdict and the
quality measure; the rest is sent once the browser has drawn the estimate (python -m bench.browser).
Live parts refresh as fragments, each on its own timer (app/settings.py): the estimate every LIVE_REFRESH_S, the
verdict and the quality measure about every 10 s (they move with evaluations and windows of steps; sent at every 2-s
refresh, their dozen elements cost the server and each viewer's browser each time), the other charts and the samples
about every 20 s, nothing while the tab is hidden or when the runs have ended.
"""

import io
import json
import time

import streamlit as st

from wgan_watch.app import charts, load
from wgan_watch.app.basic_chart import basic_chart
from wgan_watch.app.settings import (HOLD_RUNNER_S, LIVE_REFRESH_S, MONITOR_DETAIL_REFRESH_S, QUALITY_REFRESH_S,
                                    SAMPLES_REFRESH_S, VERDICT_REFRESH_S)
from wgan_watch.app.visibility import mount_reporter, page_state, refresh_every
from wgan_watch.app.widgets import (advice_card, available_runs, lazy_expander, no_runs_message, pick_runs,
                                   runs_to_show, show_problems)
from wgan_watch.advice.estimate_trend import with_js_estimate
from wgan_watch.runs import runfiles as rf

st.title("Monitor")
root, runs = available_runs()
if not runs:
    no_runs_message(root)
    st.stop()

# The run picker and the chart options are drawn into these places once the browser has drawn the estimate:
# their scripts (about 40 files) would otherwise load ahead of Plotly's and slow its start in a fresh browser
# (python -m bench.browser). Their values are known before they are drawn: the widgets' state, else defaults.
picker = st.container()
with st.sidebar:
    options = st.container()
chosen, missing = runs_to_show(root, runs)
if not chosen:
    with picker:
        pick_runs(root, runs, chosen, missing)
    st.info("Pick a run to monitor.")
    st.stop()
CHART_OPTIONS = {"x_axis": next(iter(charts.X_AXES)), "smooth_method": "ema", "smooth_weight": 0.6, "log_y": False}
x, method, weight, log_y = (st.session_state.get(k, v) for k, v in CHART_OPTIONS.items())


def chart_options() -> None:
    """The widgets behind CHART_OPTIONS, each opening on the default the chart was drawn with."""
    st.subheader("Chart options")
    axes, methods = list(charts.X_AXES), ["ema", "median", "none"]
    st.radio("X axis", axes, index=axes.index(CHART_OPTIONS["x_axis"]), format_func=lambda k: charts.X_AXES[k],
             key="x_axis")
    st.radio("Smoothing", methods, index=methods.index(CHART_OPTIONS["smooth_method"]), key="smooth_method",
             format_func={"ema": "EMA (TensorBoard)", "median": "median filter", "none": "none"}.get)
    st.slider("Smoothing weight", 0.0, 0.99, CHART_OPTIONS["smooth_weight"], 0.01, key="smooth_weight",
              help="EMA weight, or the median window as a share of 100 points.")
    st.toggle("Log scale (W estimate)", CHART_OPTIONS["log_y"], key="log_y")


run_dirs = {name: rf.resolve_run(root, name) for name in chosen}
algos = {n: (load.config(d) or {}).get("algo") for n, d in run_dirs.items()}
# one colour per algorithm, as on every page, when each run is another algorithm; else one per run
colors = ({n: charts.ALGO_COLORS.get(a, charts.PALETTE[0]) for n, a in algos.items()}
          if len(set(algos.values())) == len(chosen) and all(a in charts.ALGO_COLORS for a in algos.values())
          else charts.run_colors(chosen))
live = any(load.is_live(d) for d in run_dirs.values())
visible, drawn = page_state()
active = live and visible  # refresh only while a run is live and someone can see the page
head = chosen[0]
smooth = dict(method=method, weight=weight)


def tables(say: bool = False):
    """(metrics by run, evaluations by run, cache key) for the chosen runs; `say`: show their read problems (once
    on the page: in the estimate's part, above its chart)."""
    frames, eval_frames, keys = {}, {}, []
    for name, d in run_dirs.items():
        if not d.exists():
            if say:
                st.error(f"Run {name} is gone from the runs folder (deleted while shown).")
            continue
        m, ev, problems, key = load.run_tables(d)
        if say:
            show_problems(problems)
        keys.append(key)
        if len(m):
            frames[name] = m
        if len(ev):
            eval_frames[name] = charts.with_elapsed(ev, m)
    return frames, eval_frames, tuple(keys)


def head_status() -> dict:
    """The first picked run's status.json with its effective state ({} once the run is deleted)."""
    return load.status(run_dirs[head]) if run_dirs[head].exists() else {}


def draw(builder: str, source: dict, keys: tuple, columns: list, chart_key: str, where=None, **options) -> None:
    basic_chart(load.figure(builder, keys, source, columns, x=x, colors=colors, **options), key=chart_key,
                where=where, theme="streamlit", shared=True)


@st.fragment(run_every=refresh_every(LIVE_REFRESH_S, active))
def estimate() -> None:
    estimate_parts()
    if refreshing:  # a timer's refresh (a full run goes straight on to the other parts): its output is on its way
        time.sleep(HOLD_RUNNER_S)  # while the run holds on, a request that comes with it joins it (app/settings.py)


def estimate_parts() -> None:
    frames, eval_frames, keys = tables(say=True)
    status = head_status()
    if status:
        msg = f" — {status['message']}" if status.get("message") else ""
        st.markdown(f"**{head}**: `{status['effective_state']}` at step {status.get('step', 0)} on "
                    f"`{status.get('device', '?')}`{msg}")
    if live and not any(load.is_live(d) for d in run_dirs.values() if d.exists()):
        st.rerun()  # the run just ended (with or without metrics): redraw once with live refresh off
    if not frames:
        if status.get("effective_state") == "failed":  # it never got as far as a metric: say why it stopped
            st.error(f"The run failed before it wrote any metrics: {status.get('message') or 'it left no message'}. "
                     "Its console is in the log below (Config, log and downloads).", icon=":material/error:")
        else:
            st.info("No metrics yet: the trainer writes its first rows a few seconds after it starts.")
        return
    if frames.get(head) is not None and not frames[head]["w_estimate"].notna().any():
        js = {n: with_js_estimate(f) for n, f in frames.items()}
        draw("line_figure", js, keys, ["js_estimate"], "chart_w", y_title="JS estimate", **smooth,
             title="Discriminator's Jensen–Shannon estimate, log 2 − loss_D / 2")
        st.caption("A vanilla GAN has no Wasserstein estimate: its discriminator is a classifier, not a critic, so "
                   "its loss gives a Jensen–Shannon estimate instead, which saturates and does not track the "
                   "samples' quality (Arjovsky et al. 2017, Figure 4); the quality measure below does.")
    else:
        draw("line_figure", frames, keys, ["w_estimate"], "chart_w", log_y=log_y, y_title="W estimate", **smooth,
             overlay=eval_frames, overlay_column="w_heldout",
             title="Critic's Wasserstein estimate E[D(x)] − E[D(G(z))] (falls as samples improve); ◇ on held-out data")


@st.fragment(run_every=refresh_every(VERDICT_REFRESH_S, active))
def verdict() -> None:
    if run_dirs[head].exists() and len(load.metrics(run_dirs[head])[0]):
        advice_card(run_dirs[head], name=head if len(chosen) > 1 else None)  # (above the line naming the run)


@st.fragment(run_every=refresh_every(QUALITY_REFRESH_S, active))
def quality() -> None:
    frames, eval_frames, keys = tables()
    if not frames:
        return
    status = head_status()
    if status.get("quality_unavailable"):  # said where the chart would have been, with what to install or pass
        st.warning(status["quality_unavailable"], icon=":material/visibility_off:")
    present = [c for c in ("w1_exact", "fid", "kid", "inception_score") if any(
        c in f and f[c].notna().any() for f in eval_frames.values())]
    for i, (col, where) in enumerate(zip(present, st.columns(len(present)) if present else [])):
        title = (f"Independent quality measure: {charts.LABELS[col]} (lower is better)" if i == 0
                 else charts.LABELS[col])  # each measure on its own axis: KID (~1e-3) and IS (~5) share none
        draw("evals_figure", eval_frames, keys, [col], f"chart_q{i}", where, title=title)


def controls() -> None:
    with picker:
        pick_runs(root, runs, chosen, missing)
    with options:
        chart_options()


# the verdict above the estimate, sent after it: the chart is what the eye waits for
refreshing = False
card = st.container()
try:
    estimate()
    with card:
        verdict()
    quality()
except Exception:  # a part could not be drawn (an error in a fragment stops the page): the user can still pick
    controls()     # another run
    raise
refreshing = True  # what the fragments see when their timers rerun them
has_chart = any(d.exists() and len(load.metrics(d)[0]) for d in run_dirs.values())
first_load = has_chart and not drawn  # the rest, the picker and the options too, once the estimate is drawn
if not first_load:
    controls()
mount_reporter()
if first_load:
    st.caption("Drawing the other charts…")
    st.stop()


@st.fragment(run_every=refresh_every(MONITOR_DETAIL_REFRESH_S, active))
def details() -> None:
    frames, eval_frames, keys = tables()
    if not frames:
        return
    c1, c2 = st.columns(2)
    draw("line_figure", frames, keys, ["loss_d", "loss_g"], "chart_losses", c1, title="Losses", **smooth)
    extras = [c for c in ("gp", "grad_norm", "clip_frac") if any(f[c].notna().any() for f in frames.values())]
    if extras:
        draw("line_figure", frames, keys, extras, "chart_lip", c2, title="Lipschitz constraint", **smooth)
    c1, c2 = st.columns(2)
    draw("line_figure", frames, keys, ["critic_iters"], "chart_iters", c1, title="Critic iterations per step",
         method="none")
    draw("line_figure", frames, keys, ["samples_per_s"], "chart_speed", c2, title="Throughput", **smooth)
    if any(f["modes"].notna().any() for f in eval_frames.values()):
        c1, c2 = st.columns(2)  # modes (0-K) and the share (0-1) on axes of their own
        draw("evals_figure", eval_frames, keys, ["modes"], "chart_modes", c1, title="Modes covered")
        draw("evals_figure", eval_frames, keys, ["hq_frac"], "chart_hq", c2,
             title="High-quality share (within 3σ of a centre)")


details()


@st.fragment(run_every=refresh_every(SAMPLES_REFRESH_S, active))
def samples() -> None:
    d = run_dirs[head]
    st.subheader(f"Samples — {head}")
    pngs, pts = rf.step_files(d / "samples", "png"), rf.step_files(d / "samples", "parquet")
    files = dict(pngs or pts)
    if not files:
        st.info("No samples yet.")
        return
    steps = sorted(files)
    if len(steps) == 1:
        step = steps[0]
    else:
        follow = st.session_state.get("sample_step") in (None, st.session_state.get("_sample_last"))
        if follow:  # the slider follows the newest sample until the user moves it
            st.session_state["sample_step"] = steps[-1]
        step = st.select_slider("Step", steps, key="sample_step")
        st.session_state["_sample_last"] = steps[-1]
    if pngs:
        try:
            st.image(files[step].read_bytes(), caption=f"fixed-noise samples at step {step}", output_format="PNG")
        except OSError:
            st.warning(f"Sample file for step {step} disappeared.")
    else:
        fig = load.toy_figure(files[step], f"real, generated and the critic at step {step}")
        if fig is None:
            st.warning(f"Sample file for step {step} is unreadable.")
        else:
            basic_chart(fig, key="chart_samples", theme="streamlit", shared=True)


samples()


def details() -> None:
    """The run's config, the tail of its log, its metrics to download and its status.json."""
    head_dir = run_dirs[head]
    cfg = load.config(head_dir)
    if cfg is not None:
        st.json(cfg, expanded=False)
    st.code(load.log_tail(head_dir) or "(no log yet)", language="text")
    m, _ = load.metrics(head_dir)
    if len(m):
        def as_parquet() -> bytes:
            buf = io.BytesIO()
            m.to_parquet(buf, index=False)
            return buf.getvalue()

        # callables: the files are built only when the button is clicked, not on every refresh
        c1, c2 = st.columns(2)
        c1.download_button("Metrics as CSV", lambda: m.to_csv(index=False).encode(), f"{head}-metrics.csv",
                           "text/csv")
        c2.download_button("Metrics as Parquet", as_parquet, f"{head}-metrics.parquet",
                           "application/octet-stream")
    st.caption("status.json: " + json.dumps({k: v for k, v in load.status(head_dir).items()}, default=str))


if load.config(run_dirs[head]) is None:  # said where it is seen, not only in the box
    st.warning("config.json is missing or unreadable.")
lazy_expander("Config, log and downloads", details, key="monitor_details")
