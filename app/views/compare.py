"""Compare: WGAN-GP, WGAN and the vanilla GAN on the same data, side by side."""

import pandas as pd
import streamlit as st

from wgan_watch.app import charts, comparison as cmp, load
from wgan_watch.app.basic_chart import basic_chart
from wgan_watch.app.frame_html import frame_html
from wgan_watch.app.settings import DETAIL_REFRESH_S
from wgan_watch.app.visibility import mount_reporter, refresh_every, tab_visible
from wgan_watch.app.widgets import available_runs, lazy_expander, lazy_tabs, no_runs_message
from wgan_watch.runs import runfiles as rf
from wgan_watch import spawn
from wgan_watch.config import IMAGE_DATA, TOY_DATA, ConfigError

st.title("Compare")
st.caption("The WGAN paper's claims, on your runs: the critic's estimate falls steadily while a vanilla GAN's "
           "losses oscillate and say little about the samples, and the vanilla GAN may drop modes.")
root, runs = available_runs()

def trio_form() -> None:
    """Start the WGAN-GP / WGAN / vanilla GAN trio on one data set and seed, or copy its command."""
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    data = c1.selectbox("Data", TOY_DATA + IMAGE_DATA, key="trio_data", persist_state="page")
    steps = c2.number_input("Steps", 1, 10_000_000, value=None, placeholder="default", key="trio_steps",
                            persist_state="page")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="trio_seed", persist_state="page")
    if c4.button("Start the trio", type="primary"):
        try:
            extra = {"steps": int(steps)} if steps else {}
            names = spawn.start_many(root, spawn.trio(data, seed=int(seed), **extra))
        except ConfigError as e:
            st.error(f"Not started: {e}")
        else:
            st.query_params["cmp"] = names
            st.rerun()
    st.code(f"python -m wgan_watch demo --data {data}" + (f" --steps {steps}" if steps else "") + f" --seed {seed}",
            language="bash")


lazy_expander("Start a matched trio (WGAN-GP, WGAN, vanilla GAN)", trio_form, key="trio_open", expanded=not runs)

if not runs:
    no_runs_message(root)
    st.stop()

asked = st.query_params.get_all("cmp")
missing = [r for r in asked if r not in runs]
if missing:  # a link to runs that are not here: said, and nothing silently put in their place
    st.warning(f"There is no run {', '.join(f'`{m}`' for m in missing)} in `{root}`: pick the runs to compare "
               "below.", icon=":material/search_off:")
wanted = [r for r in asked if r in runs] or cmp.group_members(root, runs, st.query_params.get("group"))
if not wanted and st.query_params.get("group"):
    st.warning(f"No run of group `{st.query_params.get('group')}` is here: pick the runs to compare below.",
               icon=":material/search_off:")
elif not wanted and not missing:
    wanted = cmp.default_comparison(root, runs)
st.query_params.pop("group", None)
chosen = st.multiselect("Runs to compare", runs, default=wanted, key="cmp_runs",
                        help="By default the newest set of runs started together (the demo, a trio).")
if chosen or not missing:  # a broken link stays in the address bar until the user picks
    st.query_params["cmp"] = chosen
if not chosen:
    st.stop()
x = st.radio("Align by", ["step", "relative"], format_func=charts.X_AXES.get, horizontal=True, key="cmp_x")
run_dirs = {n: rf.resolve_run(root, n) for n in chosen}
configs = {n: load.config(d) or {} for n, d in run_dirs.items()}
groups = cmp.seed_groups(configs)  # runs that differ only in seed: one line each (median and quartiles)
group_of = {r: g for g, members in groups.items() for r in members}
seeds = min(len(m) for m in groups.values())
banded = max(len(m) for m in groups.values()) > 1
labels = charts.algo_labels({n: c.get("algo") for n, c in configs.items()}) if not banded else group_of
colors = charts.label_colors({g: configs[m[0]].get("algo") for g, m in groups.items()} if banded else
                             {labels[n]: c.get("algo") for n, c in configs.items()})
live = any(load.is_live(d) for d in run_dirs.values())


def per_run_charts(frames: dict) -> None:
    """One panel per run (one seed per algorithm and setting)."""
    wgans = {n: f for n, f in frames.items() if f["w_estimate"].notna().any()}
    c1, c2 = st.columns(2)
    basic_chart(charts.panels_figure(frames, ["loss_d", "loss_g"], labels, x=x, title="Losses, one panel per run"),
                key="cmp_losses", where=c1)
    if wgans:
        basic_chart(charts.panels_figure(wgans, ["w_estimate"], labels, x=x,
                                         title="W estimates, each on its own scale"), key="cmp_w", where=c2)


def banded_charts(frames: dict) -> None:
    """Seeds of one algorithm and setting as a median line with an interquartile band."""
    c1, c2 = st.columns(2)
    basic_chart(charts.band_panels_figure(bands(["loss_d", "loss_g"], frames), x=x,
                                          title="Losses: median over seeds, quartiles shaded"),
                key="cmp_losses", where=c1)
    w = {g: b for g, b in bands(["w_estimate"], frames).items() if len(b["w_estimate"])}
    if w:
        basic_chart(charts.band_panels_figure(w, x=x, title="W estimates, each on its own scale"), key="cmp_w",
                    where=c2)


def bands(cols: list[str], source: dict) -> dict:
    """Each seed group's median and quartiles of `cols`, from the runs of `source` (run -> frame)."""
    return {g: {c: cmp.band([source[r] for r in members if r in source], c, x) for c in cols}
            for g, members in groups.items()}


def evals_charts(eval_frames: dict) -> None:
    """Modes and the high-quality share (mixtures), and the quality measure, each on its own axes."""
    if banded:
        present = {g: eval_frames[m[0]] for g, m in groups.items() if m[0] in eval_frames}

        def figure(cols, **kw):
            return charts.band_figure({g: b[cols[0]] for g, b in bands(cols, eval_frames).items()}, colors, x=x, **kw)
    else:
        present = {labels[n]: f for n, f in eval_frames.items()}

        def figure(cols, **kw):
            return charts.evals_figure(present, cols, x=x, colors=colors, names="run", **kw)
    if not present:
        st.info("No evaluation yet: the first comes after `eval_every` steps.")
        return
    if any("modes" in f and f["modes"].notna().any() for f in present.values()):
        c1, c2 = st.columns(2)
        basic_chart(figure(["modes"], title="Modes covered"), key="cmp_modes", where=c1)
        basic_chart(figure(["hq_frac"], title="High-quality share"), key="cmp_hq", where=c2)
    quality = [c for c in ("w1_exact", "fid") if any(c in f and f[c].notna().any() for f in present.values())]
    if quality:
        basic_chart(figure(quality[:1], title=f"Independent quality: {charts.LABELS[quality[0]]} (lower is better)"),
                    key="cmp_quality")


def read_runs() -> tuple[dict, list]:
    """(run -> losses and estimate, one table row per run), each read once per change of its files (cached in
    comparison); a run that is gone is left out (the table says so)."""
    frames, rows = {}, []
    for name, d in run_dirs.items():
        if not d.exists():
            continue
        frame, row = cmp.comparison(d)
        cfg = configs[name]
        if len(frame):
            frames[name] = frame
        rows.append({"algorithm": group_of[name] if banded else labels[name], "run": name, "data": cfg.get("data"),
                     "seed": cfg.get("seed"), "step": int(frame["step"].max()) if len(frame) else 0, **row})
    return frames, rows


def read_evaluations() -> dict:
    """run -> its evaluations with the training time at their steps (cached in load)."""
    found = {}
    for name, d in run_dirs.items():
        if not d.exists():
            continue
        ev, _ = load.evals(d)
        if len(ev):
            found[name] = charts.with_elapsed(ev, load.metrics(d)[0])
    return found


LIVE = refresh_every(DETAIL_REFRESH_S, live and tab_visible())


@st.fragment(run_every=LIVE)
def comparison_table() -> None:
    for name in (n for n, d in run_dirs.items() if not d.exists()):
        st.error(f"Run {name} is gone from the runs folder.")
    frames, rows = read_runs()
    if not frames:
        st.info("No metrics yet.")
        return
    st.html(frame_html(pd.DataFrame(rows), cmp.COLUMNS))
    st.caption(cmp.caption(rows, seeds=seeds if banded else 1))


@st.fragment(run_every=LIVE)
def curves_tab() -> None:
    frames, _ = read_runs()
    if frames:
        (banded_charts if banded else per_run_charts)(frames)


@st.fragment(run_every=LIVE)
def quality_tab() -> None:
    evals_charts(read_evaluations())


def samples_tab() -> None:
    shown = [m[0] for m in groups.values()] if banded else list(run_dirs)  # one seed of each group: its first
    if banded:
        st.caption("One seed of each algorithm and setting: " + ", ".join(f"{g}: {m[0]}" for g, m in groups.items()))
    files = {n: dict(rf.step_files(run_dirs[n] / "samples", "png") or rf.step_files(run_dirs[n] / "samples", "parquet"))
             for n in shown}
    common = sorted(set.intersection(*(set(f) for f in files.values()))) if files else []
    if not common:
        st.info("These runs have no sample step in common yet.")
        return
    step = (st.select_slider("Step", common, value=common[-1], key="cmp_step", persist_state="page")  # (kept while
            if len(common) > 1 else common[0])  # another tab is open)
    cols = st.columns(len(files))
    for col, (name, f) in zip(cols, files.items()):
        path = f[step]
        if path.suffix == ".png":
            col.image(path.read_bytes(), caption=f"{labels[name]} at step {step}")
        else:
            fig = load.toy_figure(path, labels[name])
            if fig is not None:
                basic_chart(fig, key=f"cmp_s_{name}", where=col, theme="streamlit", shared=True)  # (as before)


comparison_table()
lazy_tabs({"Estimates and losses": curves_tab, "Quality and modes": quality_tab,
           "Samples at the same step": samples_tab}, key="cmp_tab")

mount_reporter()  # reports whether the tab is visible (live refresh pauses while it is not)
