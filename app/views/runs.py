"""Runs: every run at a glance, start and stop runs, and the command that reproduces one."""

import pandas as pd
import streamlit as st

from wgan_watch.app import load, runs_html as RH, runs_table as rt
from wgan_watch.app.settings import LIVE_REFRESH_S
from wgan_watch.app.visibility import mount_reporter, refresh_every, tab_visible
from wgan_watch.app.widgets import available_runs
from wgan_watch.runs import runfiles as rf
from wgan_watch import spawn
from wgan_watch.config import ALGOS, DEVICES, IMAGE_DATA, TOY_DATA, ConfigError, TrainConfig

PAGE_ROWS = 25  # rows per page of the table: pictures are made for these only

st.title("Runs")
root, runs = available_runs()
st.session_state["runs_listed"] = runs  # the table's draw in this same script run reuses the listing
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


@st.fragment(run_every=refresh_every(LIVE_REFRESH_S, any(load.is_live(root / r) for r in runs[:200]) and tab_visible()))
def runs_table() -> None:
    # the fragment's own reruns (refresh, filters) list the folder again: runs come, go and finish meanwhile
    df = rt.table(root, st.session_state.pop("runs_listed", None))
    if not len(df):
        return
    picked = filters(df)
    total = len(picked)
    pages = max(1, -(-total // PAGE_ROWS))
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    page_no = c2.number_input(f"Page (of {pages:,})", 1, pages, 1, key="runs_page") if pages > 1 else 1
    c1.caption(f"{total:,} of {len(df):,} runs" + (f", {PAGE_ROWS} a page" if pages > 1 else ""))
    shown = picked.iloc[(page_no - 1) * PAGE_ROWS: page_no * PAGE_ROWS]
    # plain HTML, not st.dataframe: the data grid's scripts were most of a fresh browser's wait (app/runs_html.py)
    st.html(RH.table_html(rt.page_rows(shown, rt.pictures(root, list(shown["run"])))))
    problems = shown[shown["problem"].fillna("").astype(bool)]
    with st.container():  # (its own place: the expander below keeps its place, open or closed, as they change)
        for _, r in problems.iterrows():  # why a run failed, or what is wrong with a folder: said in words
            st.warning(f"`{r['run']}` ({r['state']}): {r['problem']}", icon=":material/error:")
    with st.expander("Command line that reproduces a run"):
        # the rows on screen only: a list of every run (10,000 names) cost a fresh browser 0.3 s on every visit;
        # the run picked stays while it exists, even when a refresh moves it off the page
        options = list(shown["run"])
        if (picked_run := st.session_state.get("repro_run")) not in options and picked_run in set(df["run"]):
            options.insert(0, picked_run)
        name = st.selectbox("Run (from the rows above)", options, key="repro_run",
                            help="search, filter or turn the page to find another")
        cfg = load.train_config(rf.resolve_run(root, name)) if name else None
        if name and cfg is None:
            st.warning(f"{name} has no readable config.json.")
        elif cfg is not None:
            st.code(spawn.command_line(cfg), language="bash")
    live = [n for n, s in zip(df["run"], df["state"]) if s in rf.ACTIVE_STATES]
    if live:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        target = c1.selectbox("Running", live, key="stop_target")
        if c2.button("Stop run", icon=":material/stop:"):
            rf.write_control(rf.resolve_run(root, target), "stop")
            st.toast(f"Asked {target} to stop: it saves a checkpoint and ends at its next step.")


def filters(df: pd.DataFrame) -> pd.DataFrame:
    """Search, filters and sort over every run (the URL keeps none of these: they are the user's view)."""
    c = st.columns([2, 2, 1, 1, 2, 2], vertical_alignment="bottom")
    search = c[0].text_input("Search", placeholder="part of a run's name", key="runs_search")
    states = c[1].multiselect("State", sorted(df["state"].dropna().unique()), key="runs_states")
    algos = c[2].multiselect("Algorithm", sorted(df["algo"].dropna().unique()), key="runs_algos")
    data = c[3].multiselect("Data", sorted(df["data"].dropna().unique()), key="runs_data")
    groups = sorted(df["group"].dropna().unique()) if "group" in df else []
    group = c[4].selectbox("Group or study", [""] + groups, key="runs_group",
                           format_func=lambda g: g or "all")
    sort = c[5].selectbox("Sort by", SORTS, key="runs_sort", format_func=lambda s: SORTS[s][0])
    column, descending = SORTS[sort][1:]
    return rt.sorted_by(rt.filtered(df, states, algos, data, group, search), column, descending)


SORTS = {"new": ("latest activity", "updated", True), "name": ("name", "run", False),
         "state": ("state", "state", False), "algo": ("algorithm", "algo", False), "data": ("data", "data", False),
         "progress": ("progress", "progress", True), "quality": ("quality (best first)", "quality", False),
         "speed": ("steps/s", "steps/s", True), "step": ("steps done", "step", True)}


runs_table()

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
