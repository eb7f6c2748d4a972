"""Monitor: one run (or several overlaid), live while it trains."""

import io
import json

import streamlit as st

from app import charts, load
from app.settings import LIVE_REFRESH_S
from app.widgets import advice_card, available_runs, no_runs_message, pick_runs, show_problems
from trainer import runfiles as rf

st.title("Monitor")
root, runs = available_runs()
if not runs:
    no_runs_message(root)
    st.stop()

chosen = pick_runs(runs)
if not chosen:
    st.info("Pick a run to monitor.")
    st.stop()

with st.sidebar:
    st.subheader("Chart options")
    x = st.radio("X axis", list(charts.X_AXES), format_func=lambda k: charts.X_AXES[k], key="x_axis")
    method = st.radio("Smoothing", ["ema", "median", "none"], key="smooth_method",
                      format_func={"ema": "EMA (TensorBoard)", "median": "median filter", "none": "none"}.get)
    weight = st.slider("Smoothing weight", 0.0, 0.99, 0.6, 0.01, key="smooth_weight",
                       help="EMA weight, or the median window as a share of 100 points.")
    log_y = st.toggle("Log scale (W estimate)", key="log_y")

run_dirs = {name: rf.resolve_run(root, name) for name in chosen}
colors = charts.run_colors(chosen)
live = any(load.is_live(d) for d in run_dirs.values())


@st.fragment(run_every=LIVE_REFRESH_S if live else None)
def live_charts() -> None:
    frames, eval_frames, keys = {}, {}, []
    for name, d in run_dirs.items():
        if not d.exists():
            st.error(f"Run {name} is gone from the runs folder (deleted while shown).")
            continue
        m, problems = load.metrics(d)
        ev, ev_problems = load.evals(d)
        show_problems(problems + ev_problems)
        keys.append(load.run_key(d))
        if len(m):
            frames[name] = m
        if len(ev):
            eval_frames[name] = charts.with_elapsed(ev, m)
    head = chosen[0]
    status = load.status(run_dirs[head]) if run_dirs[head].exists() else {}
    if status:
        state = status["effective_state"]
        msg = f" — {status['message']}" if status.get("message") else ""
        st.markdown(f"**{head}**: `{state}` at step {status.get('step', 0)} on `{status.get('device', '?')}`{msg}")
    keys = tuple(keys)

    def draw(builder: str, columns: list, chart_key: str, where=st, **options) -> None:
        source = frames if builder == "line_figure" else eval_frames
        where.plotly_chart(load.figure(builder, keys, source, columns, x=x, colors=colors, **options), key=chart_key)

    if head in frames:
        advice_card(run_dirs[head])
    if not frames:
        st.info("No metrics yet: the trainer writes its first rows a few seconds after it starts.")
    else:
        smooth = dict(method=method, weight=weight)
        draw("line_figure", ["w_estimate"], "chart_w", log_y=log_y, y_title="W estimate", **smooth,
             overlay=eval_frames, overlay_column="w_heldout",
             title="Critic's Wasserstein estimate E[D(x)] − E[D(G(z))] (falls as samples improve); "
                   "◇ on held-out data")
        present = [c for c in ("w1_exact", "fid", "kid", "inception_score") if any(
            c in f and f[c].notna().any() for f in eval_frames.values())]
        missing = status.get("quality_unavailable")
        if missing:  # said where the chart would have been, with what to install or pass
            st.warning(missing, icon=":material/visibility_off:")
        if present:
            c1, c2 = st.columns(2)
            draw("evals_figure", present[:1], "chart_q", c1,
                 title=f"Independent quality measure: {charts.LABELS[present[0]]} (lower is better)")
            if present[1:]:
                draw("evals_figure", present[1:], "chart_q2", c2, title="Other measures")
        c1, c2 = st.columns(2)
        draw("line_figure", ["loss_d", "loss_g"], "chart_losses", c1, title="Losses", **smooth)
        extras = [c for c in ("gp", "grad_norm", "clip_frac") if any(f[c].notna().any() for f in frames.values())]
        if extras:
            draw("line_figure", extras, "chart_lip", c2, title="Lipschitz constraint", **smooth)
        c1, c2 = st.columns(2)
        draw("line_figure", ["critic_iters"], "chart_iters", c1, title="Critic iterations per step", method="none")
        draw("line_figure", ["samples_per_s"], "chart_speed", c2, title="Throughput", **smooth)
        if any(f["modes"].notna().any() for f in eval_frames.values()):
            draw("evals_figure", ["modes", "hq_frac"], "chart_modes", title="Mode coverage")
    if live and not any(load.is_live(d) for d in run_dirs.values() if d.exists()):
        st.rerun()  # the run just ended: redraw once with live refresh off


live_charts()


@st.fragment(run_every=LIVE_REFRESH_S if live else None)
def samples() -> None:
    head = chosen[0]
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
            st.image(files[step].read_bytes(), caption=f"fixed-noise samples at step {step}")
        except OSError:
            st.warning(f"Sample file for step {step} disappeared.")
    else:
        df = load.toy_sample(files[step])
        if df is None:
            st.warning(f"Sample file for step {step} is unreadable.")
        else:
            st.plotly_chart(charts.toy_samples_figure(df, f"real, generated and the critic at step {step}"),
                            key="chart_samples")


samples()

head_dir = run_dirs[chosen[0]]
with st.expander("Config, log and downloads"):
    cfg = load.config(head_dir)
    if cfg is None:
        st.warning("config.json is missing or unreadable.")
    else:
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
        c1.download_button("Metrics as CSV", lambda: m.to_csv(index=False).encode(), f"{chosen[0]}-metrics.csv",
                           "text/csv")
        c2.download_button("Metrics as Parquet", as_parquet, f"{chosen[0]}-metrics.parquet",
                           "application/octet-stream")
    st.caption("status.json: " + json.dumps({k: v for k, v in load.status(head_dir).items()}, default=str))
