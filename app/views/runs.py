"""Runs: every run at a glance, start and stop runs, and the command that reproduces one."""

import pandas as pd
import streamlit as st

from wgan_watch.app import load
from wgan_watch.app.settings import LIVE_REFRESH_S
from wgan_watch.app.visibility import mount_reporter, refresh_every, tab_visible
from wgan_watch.app.widgets import available_runs
from wgan_watch.runs import runfiles as rf
from wgan_watch import spawn
from wgan_watch.config import ALGOS, DEVICES, IMAGE_DATA, TOY_DATA, ConfigError, TrainConfig

BADGES = {"running": "🟢 running", "starting": "🟡 starting", "stopping": "🟡 stopping", "finished": "✅ finished",
          "stopped": "⏹️ stopped", "lost": "⚠️ lost", "failed": "❌ failed", "diverged": "💥 diverged",
          "unknown": "❔ unknown"}

st.title("Runs")
root, runs = available_runs()
st.caption(f"Runs folder: `{root}`")
if flash := st.session_state.pop("flash", None):
    st.success(flash)

if not runs:
    st.info("No runs yet. The demo trains WGAN-GP, WGAN and a vanilla GAN on the 8-Gaussians toy, and "
            "WGAN-GP on 5,000 embedded MNIST digits, in background processes that keep going when you "
            "close this tab. On a 2-core CPU the toys take about 5 minutes and the digits 10–15 (all four share the cores).")
    if st.button("Start the demo", type="primary", icon=":material/play_arrow:"):
        started = spawn.start_demo(root)
        st.session_state["flash"] = f"Started {len(started)} runs: " + ", ".join(started)
        st.rerun()


@st.fragment(run_every=refresh_every(LIVE_REFRESH_S, any(load.is_live(root / r) for r in runs) and tab_visible()))
def runs_table() -> None:
    names = rf.list_runs(root)
    if not names:
        return
    rows = []
    for name in names:
        try:
            rows.append(load.summary(root, name))
        except (ValueError, OSError) as e:  # deleted or malformed while we looked
            rows.append({"run": name, "state": f"unreadable: {e}"})
    df = pd.DataFrame(rows)
    df["state"] = [BADGES.get(r.get("state"), str(r.get("state"))) for r in rows]
    st.dataframe(df.drop(columns=["of"], errors="ignore"), hide_index=True, width="stretch",
                 row_height=48, column_config={
        "state": st.column_config.TextColumn("state", width="small"),
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0, format="percent",
                                                    help="generator steps done of the run's planned steps"),
        "estimate": st.column_config.LineChartColumn("W estimate", width="small",
                                                     help="the critic's estimate over the run"),
        "W estimate": st.column_config.NumberColumn("latest W", format="%.4f"),
        "sample": st.column_config.ImageColumn("latest sample", width="small"),
        "quality": st.column_config.NumberColumn(format="%.4f", help="latest exact W1 (2-D) or FID (images)"),
        "steps/s": st.column_config.NumberColumn(format="%.1f"),
        "monitor": st.column_config.LinkColumn("", display_text="Monitor", width="small"),
        "compare": st.column_config.LinkColumn("", display_text="Compare", width="small",
                                               help="the runs started together with this one"),
    })
    live = [r["run"] for r in rows if r.get("state") in rf.ACTIVE_STATES]
    if live:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        target = c1.selectbox("Running", live, key="stop_target")
        if c2.button("Stop run", icon=":material/stop:"):
            rf.write_control(rf.resolve_run(root, target), "stop")
            st.toast(f"Asked {target} to stop: it saves a checkpoint and ends at its next step.")


runs_table()

if runs:
    with st.expander("Command line that reproduces a run"):
        name = st.selectbox("Run", runs, key="repro_run")
        cfg = load.train_config(rf.resolve_run(root, name))
        if cfg is None:
            st.warning(f"{name} has no readable config.json.")
        else:
            st.code(spawn.command_line(cfg), language="bash")

with st.expander("Start a run", expanded=not runs):
    with st.form("start", enter_to_submit=False):  # (its hint overlapped the inputs' placeholders)
        c1, c2, c3 = st.columns(3)
        algo = c1.selectbox("Algorithm", ALGOS, index=ALGOS.index(TrainConfig.algo))
        data = c2.selectbox("Data", TOY_DATA + IMAGE_DATA + ("folder",), index=0)
        folder = c3.text_input("Image folder (for data = folder)", placeholder="/path/to/images")
        c1, c2, c3, c4 = st.columns(4)
        steps = c1.number_input("Generator steps", 1, 10_000_000, value=None, placeholder="default")
        batch = c2.number_input("Batch size", 1, 65536, value=None, placeholder="default")
        n_critic = c3.number_input("Critic steps", 1, 1000, value=None, placeholder="default")
        seed = c4.number_input("Seed", 0, 2**31 - 1, TrainConfig.seed)
        c1, c2, c3, c4 = st.columns(4)
        lr_d = c1.number_input("Critic lr", 1e-7, 0.99, value=None, format="%.1e", placeholder="default")
        lr_g = c2.number_input("Generator lr", 1e-7, 0.99, value=None, format="%.1e", placeholder="default")
        width = c3.number_input("Width", 1, 4096, value=None, placeholder="default")
        device = c4.selectbox("Device", DEVICES)
        c1, c2, c3 = st.columns(3)
        gp_lambda = c1.number_input("GP λ (wgan-gp)", 0.0, 1e4, value=None, placeholder="default")
        clip = c2.number_input("Clip (wgan)", 1e-6, 10.0, value=None, format="%.4f", placeholder="default")
        latent = c3.number_input("Latent size", 1, 4096, value=None, placeholder="default")
        download = st.checkbox("Download the data set if it is not in ./data (mnist, fashion-mnist, cifar10: needs "
                               "network)", help="Without it, those sets must already be in the data folder; the "
                               "embedded data (the toys, digits) needs nothing.")
        submitted = st.form_submit_button("Start", type="primary")
    if submitted:
        fields = dict(algo=algo, data=f"folder:{folder.strip()}" if data == "folder" else data, steps=steps,
                      batch_size=batch, n_critic=n_critic, seed=int(seed), lr_d=lr_d, lr_g=lr_g, width=width,
                      device=device, gp_lambda=gp_lambda, clip=clip, latent_dim=latent, download=download)
        try:
            if data == "folder" and not folder.strip():
                raise ConfigError("enter the image folder's path")
            name = spawn.start_run(root, TrainConfig(**fields))
        except ConfigError as e:
            st.error(f"Not started: {e}")
        else:
            st.session_state["flash"] = f"Started {name}. Follow it on the Monitor page."
            st.rerun()

mount_reporter()  # reports whether the tab is visible (live refresh pauses while it is not)
