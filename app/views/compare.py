"""Compare: WGAN, WGAN-GP and the vanilla GAN on the same data, side by side."""

import pandas as pd
import streamlit as st

from app import charts, load
from app.settings import LIVE_REFRESH_S
from app.widgets import available_runs, no_runs_message
from trainer import runfiles as rf
from trainer import spawn
from trainer.config import IMAGE_DATA, TOY_DATA, ConfigError, TrainConfig

st.title("Compare")
st.caption("The WGAN paper's claims, on your runs: the critic's estimate falls steadily while a vanilla GAN's "
           "losses oscillate and say little about the samples, and the vanilla GAN may drop modes.")
root, runs = available_runs()

with st.expander("Start a matched trio (WGAN-GP, WGAN, vanilla GAN)", expanded=not runs):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    data = c1.selectbox("Data", TOY_DATA + IMAGE_DATA, key="trio_data")
    steps = c2.number_input("Steps", 1, 10_000_000, TrainConfig.steps, key="trio_steps")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="trio_seed")
    if c4.button("Start the trio", type="primary"):
        try:
            names = spawn.start_many(root, spawn.trio(data, steps=int(steps), seed=int(seed)))
        except ConfigError as e:
            st.error(f"Not started: {e}")
        else:
            st.query_params["cmp"] = names
            st.rerun()
    st.code(f"python -m trainer demo --data {data} --steps {steps} --seed {seed}", language="bash")

if not runs:
    no_runs_message(root)
    st.stop()

wanted = [r for r in st.query_params.get_all("cmp") if r in runs]
if not wanted:  # default: the newest run and the others on the same data
    cfgs = {r: (load.config(rf.resolve_run(root, r)) or {}) for r in runs}
    first = cfgs[runs[0]].get("data")
    wanted = [r for r in runs if cfgs[r].get("data") == first][:3]
chosen = st.multiselect("Runs to compare", runs, default=wanted, key="cmp_runs")
st.query_params["cmp"] = chosen
if not chosen:
    st.stop()
x = st.radio("Align by", ["step", "relative"], format_func=charts.X_AXES.get, horizontal=True, key="cmp_x")
run_dirs = {n: rf.resolve_run(root, n) for n in chosen}
colors = charts.run_colors(chosen)
live = any(load.is_live(d) for d in run_dirs.values())


@st.fragment(run_every=LIVE_REFRESH_S if live else None)
def comparison() -> None:
    frames, rows, eval_frames = {}, [], {}
    for name, d in run_dirs.items():
        if not d.exists():
            st.error(f"Run {name} is gone from the runs folder.")
            continue
        frame, row = load.comparison(d)
        cfg = load.config(d) or {}
        if len(frame):
            frames[name] = frame
        rows.append({"run": name, "algo": cfg.get("algo"), "data": cfg.get("data"), "step": int(frame["step"].max())
                     if len(frame) else 0, **row})
        ev, _ = load.evals(d)
        m, _ = load.metrics(d)
        if len(ev):
            eval_frames[name] = charts.with_elapsed(ev, m)
    if not frames:
        st.info("No metrics yet.")
        return
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "loss_d": st.column_config.LineChartColumn("critic loss (sparkline)", width="medium"),
        "oscillation loss_d": st.column_config.NumberColumn(format="%.2f", help=(
            "Spread of the loss around its rolling median, relative to the range of that median (the trend): "
            "below 1 the trend dominates, above 1 the swings do.")),
        "oscillation loss_g": st.column_config.NumberColumn(format="%.2f"),
        "oscillation W": st.column_config.NumberColumn(format="%.2f"),
        "hq_frac": st.column_config.NumberColumn(format="%.2f"),
        "w1_exact": st.column_config.NumberColumn(format="%.4f"),
    })
    c1, c2 = st.columns(2)
    c1.plotly_chart(charts.line_figure(frames, ["loss_d", "loss_g"], x=x, colors=colors, method="ema", weight=0.6,
                                       y_range=(-0.5, 1.5),  # the start-up transient would flatten the rest
                                       title="Losses, each scaled to its own 5–95% range"), key="cmp_losses")
    wgans = {k: v for k, v in frames.items() if v["w_estimate"].notna().any()}
    if wgans:
        c2.plotly_chart(charts.line_figure(wgans, ["w_estimate"], x=x, colors=colors, method="ema", weight=0.6,
                                           title="Wasserstein estimates (WGANs only)"), key="cmp_w")
    if any(f["modes"].notna().any() for f in eval_frames.values()):
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.evals_figure(eval_frames, ["modes"], x=x, colors=colors, title="Modes covered"),
                        key="cmp_modes")
        c2.plotly_chart(charts.evals_figure(eval_frames, ["hq_frac"], x=x, colors=colors,
                                            title="High-quality share"), key="cmp_hq")
    quality = [c for c in ("w1_exact", "fid") if any(c in f and f[c].notna().any() for f in eval_frames.values())]
    if quality:
        st.plotly_chart(charts.evals_figure(eval_frames, quality, x=x, colors=colors,
                                            title="Independent quality (lower is better)"), key="cmp_quality")


comparison()

st.subheader("Samples at the same step")
files = {n: dict(rf.step_files(d / "samples", "png") or rf.step_files(d / "samples", "parquet"))
         for n, d in run_dirs.items()}
common = sorted(set.intersection(*(set(f) for f in files.values()))) if files else []
if not common:
    st.info("These runs have no sample step in common yet.")
else:
    step = st.select_slider("Step", common, value=common[-1], key="cmp_step") if len(common) > 1 else common[0]
    cols = st.columns(len(files))
    for col, (name, f) in zip(cols, files.items()):
        path = f[step]
        if path.suffix == ".png":
            col.image(path.read_bytes(), caption=f"{name} at step {step}")
        else:
            df = load.toy_sample(path)
            if df is not None:
                col.plotly_chart(charts.toy_samples_figure(df, f"{name}"), key=f"cmp_s_{name}")
