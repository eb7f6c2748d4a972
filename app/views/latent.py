"""Latent lab: move a trained generator's latents with sliders, interpolate, and make demo loops."""

import random

import plotly.graph_objects as go
import streamlit as st

from wgan_watch.app import charts, lab, latents, load, thumbs
from wgan_watch.app.basic_chart import basic_chart
from wgan_watch.app.lab_state import INTERPOLATIONS, METHODS, LabState
from wgan_watch.app.widgets import available_runs, no_runs_message
from wgan_watch.runs import generator_files as gf
from wgan_watch.runs import runfiles as rf

st.title("Latent lab")
root, runs = available_runs()
if not runs:
    no_runs_message(root)
    st.stop()
dirs_of = {r: rf.resolve_run(root, r) for r in runs}
exported = {r for r in runs if gf.onnx_steps(dirs_of[r])}  # (one listing per run: 1,000 runs in 0.1 s)
failed = {r: why for r in runs if r not in exported and (why := gf.export_error(dirs_of[r]))}
older = [r for r in runs if r not in exported and r not in failed and rf.list_snapshots(dirs_of[r])]
runs = [r for r in runs if r in exported]
for r, why in list(failed.items())[:5]:
    st.warning(f"Run `{r}`: its generator could not be exported, so the lab cannot run it: {why}",
               icon=":material/block:")
if older:
    st.caption(f"{len(older)} run(s) have generator snapshots but no ONNX export (made before this version): "
               f"`python -m wgan_watch export-onnx runs/{older[0]}` adds one.")
if not runs:
    st.info("No run has an exported generator yet: the trainer writes one with every snapshot (every "
            "--snapshot-every steps and at the end), and a script of your own with `rec.generator(step, G)`.")
    st.stop()

state = LabState.from_params(st.query_params.to_dict())
if state.run and state.run not in runs:
    st.warning(f"There is no run `{state.run}` with an exported generator in `{root}`; showing another.",
               icon=":material/search_off:")
run = st.selectbox("Run", runs, index=runs.index(state.run) if state.run in runs else 0)
run_dir = rf.resolve_run(root, run)
snaps = [s for s, _ in gf.onnx_steps(run_dir)]
step = snaps[-1] if len(snaps) == 1 else st.select_slider(
    "Snapshot step", snaps, value=state.step if state.step in snaps else snaps[-1],
    help="Watch how the same latent's sample changed during training.")
try:
    G = lab.generator(run_dir, step)
    mtime = lab.export_mtime(run_dir, step)
except lab.GeneratorError as e:
    st.error(f"The lab cannot run this generator: {e}", icon=":material/block:")
    st.stop()
except (FileNotFoundError, OSError, KeyError):  # thinned or replaced by the trainer meanwhile
    st.info("That snapshot was just replaced by the trainer; showing the latest one.")
    step = gf.onnx_steps(run_dir)[-1][0] if gf.onnx_steps(run_dir) else None
    try:
        G, mtime = lab.generator(run_dir, step), lab.export_mtime(run_dir, step)
    except (FileNotFoundError, OSError, KeyError, TypeError, lab.GeneratorError):
        st.warning("The run's generators are changing too fast to load one; try again in a moment.")
        st.stop()
toy = G.kind == "points"
state.run, state.step = run, step


def sync_url() -> None:
    st.query_params.from_dict(state.to_params())


def slider_key(method: str, i: int) -> str:
    return f"lab_{method}_{i}"


def link_now(method: str, k: int) -> None:
    """The "Link to this view" button's callback: the sliders' current values into the URL."""
    keys = [slider_key(method, i) for i in range(k)]
    state.amounts = [float(st.session_state[key]) for key in keys if key in st.session_state]
    sync_url()


st.subheader("Directions")
c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
st.session_state.setdefault("lab_seed", state.seed)
if c2.button("Random seed", icon=":material/casino:"):
    st.session_state["lab_seed"] = random.randrange(100_000)
state.seed = int(c1.number_input("Seed", 0, 2**31 - 1, key="lab_seed"))
method = c3.radio("Directions", METHODS, index=METHODS.index(state.method), horizontal=True,
                  format_func={"sefa": "SeFa (first layer's singular vectors)",
                               "ganspace": "GANSpace (PCA of first layer)", "raw": "raw z (advanced)"}.get)
if method != state.method:
    state.method, state.amounts = method, []
SLIDERS = min(G.latent_dim, 16 if method == "raw" else 6)  # at most; fewer where the export has fewer directions


def slider_value(i: int) -> float:
    """Slider i's value as the widgets hold it, else the URL's (a link's amounts), else 0."""
    key = slider_key(method, i)
    if key in st.session_state:
        return float(st.session_state[key])
    return float(state.amounts[i]) if i < len(state.amounts) else 0.0


def draw_picture() -> None:
    """The moved samples into the picture's placeholder (and the code, when asked for) from every slider's value."""
    amounts = [slider_value(i) for i in range(len(dirs))]
    state.amounts = amounts
    if toy:
        z = latents.move(latents.seed_latents(range(state.seed, state.seed + lab.TOY_POINTS), G.latent_dim), dirs,
                         amounts)
        png, canvas = lab.toy_points_png(run_dir, step, G(z))
        behind = ("grey: real points; behind them the critic's D(x) from the nearest saved sample (red high, "
                  "blue low)" if canvas and canvas.has_critic else "grey: real points" if canvas else
                  "the saved sample could not be read, so no real points" if lab.nearest_sample(run_dir, step) else
                  "this run saved no sample to draw the real points from")
        seeds = f"seeds {state.seed}–{state.seed + lab.TOY_POINTS - 1}"
        picture.image(thumbs.data_uri(png), width=lab.TOY_PIXELS, caption=f"orange: {lab.TOY_POINTS} generated "
                      f"points ({seeds}) moved together, snapshot step {step}; {behind}")
    else:
        z = latents.move(latents.seed_latents(range(state.seed, state.seed + lab.GRID_SEEDS), G.latent_dim), dirs,
                         amounts)
        picture.image(thumbs.data_uri(lab.image_grid_png(G, z, ncol=lab.GRID_SEEDS)), caption=f"seeds "
                      f"{state.seed}–{state.seed + lab.GRID_SEEDS - 1} moved together, snapshot step {step}")
    if st.session_state.get("lab_code"):
        n = lab.TOY_POINTS if toy else lab.GRID_SEEDS
        code.code(lab.python_snippet(run_dir, step, state.seed, method, amounts, n), language="python")
    else:
        code.empty()


@st.fragment
def one_slider(i: int) -> None:
    """A slider that reruns alone when moved: it redraws itself and the picture, and nothing else (each element
    a move redraws costs the browser time: one fragment for all sliders redrew every slider at every move)."""
    label = f"z[{i}]" if method == "raw" else f"direction {i + 1}"
    st.slider(label, -3.0, 3.0, slider_value(i), 0.1, key=slider_key(method, i),
              help="standard deviations along this direction")
    # Every slider writes to the picture's places on a whole-page run: Streamlit keeps a fragment's place in a
    # container outside it only so, and empties that place when the fragment reruns alone. So a slider's own
    # rerun always draws the picture (moves queued together can rerun several sliders in one go, in any order),
    # and on a whole-page run the last slider draws it once.
    if not whole_page_run or i == len(dirs) - 1:
        draw_picture()
    else:
        picture.empty()
        code.empty()


def _toy_background(at_step: int) -> go.Figure:
    """Real points and the critic's heatmap from the saved sample nearest this step."""
    sample = lab.nearest_sample(run_dir, at_step)
    df = load.toy_sample(sample) if sample else None
    if df is None:
        return go.Figure(layout=dict(height=480, yaxis=dict(scaleanchor="x")))
    return charts.toy_samples_figure(df[df["kind"] != "fake"], "")


# Outside the sliders' fragments, so a slider move redraws only its slider and the picture (each element the
# move redraws costs the browser time: python -m bench.sliders).
c1, c2 = st.columns([1, 3], vertical_alignment="center")
# the URL takes the slider values on request (and on any other change of the page): rewriting it at every move
# cost each move ~30 ms in the browser, a quarter of the wait. The values are read in the click's callback, from
# the widgets as Streamlit holds them when the click arrives: nothing of an earlier run can stand in for them.
c1.button("Link to this view", icon=":material/link:", help="put the sliders' values into the URL",
          on_click=link_now, args=(method, SLIDERS))
# the code only on request: a highlighted code block redrawn at every slider move costs the browser more than
# the new image does
c2.toggle("Copy as Python", key="lab_code", help="the lines that regenerate the picture below")
dirs, found = lab.directions(run_dir, step, mtime, method, SLIDERS, G.latent_dim)
if not found:
    st.caption("This export has no directions beside it: the sliders move raw z coordinates.")
columns = st.columns(max(1, min(len(dirs), 4)))
picture, code = st.empty(), st.empty()  # filled by whichever slider moved, or below on a whole-page run
whole_page_run = True
for i in range(len(dirs)):
    with columns[i % len(columns)]:
        one_slider(i)
whole_page_run = False
if len(dirs) == 0:
    draw_picture()


@st.fragment
def interpolation() -> None:
    """The interpolation and the walk; the URL follows what they show, once, at the end (early returns too)."""
    interpolation_and_walk()
    sync_url()


def interpolation_and_walk() -> None:
    st.subheader("Interpolation")
    st.caption("Spherical (slerp) follows the sphere where Gaussian latents live; a straight line (lerp) cuts "
               "through its middle, where the generator saw few latents, so its midpoints look washed out.")
    c = st.columns(4)
    state.seed_a = int(c[0].number_input("From seed", 0, 2**31 - 1, state.seed_a, key="lab_a"))
    state.seed_b = int(c[1].number_input("To seed", 0, 2**31 - 1, state.seed_b, key="lab_b"))
    state.frames = int(c[2].number_input("Frames", 2, 120, state.frames, key="lab_frames"))
    state.interp = c[3].radio("Path", INTERPOLATIONS, index=INTERPOLATIONS.index(state.interp), key="lab_interp",
                              horizontal=True)
    if toy:
        za, zb = latents.seed_latents([state.seed_a, state.seed_b], G.latent_dim)
        path = G(latents.interpolate(za, zb, state.frames, state.interp))
        fig = _toy_background(step)
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name=f"{state.interp} path",
                                 line=dict(color="#2ca02c", width=3)))
        basic_chart(fig, key="lab_path", theme="streamlit")
        return
    strip, gif = lab.interpolation(str(run_dir), step, mtime, state.seed_a, state.seed_b, state.frames, state.interp)
    st.image(strip, caption=f"{state.frames} frames, {state.interp}")
    # the animations on request: a looping GIF keeps the browser drawing for as long as the page is open, and
    # the two of them made every slider move above ~7 ms slower at the median, 15 at p95 (python -m bench.sliders)
    state.play = st.toggle("Play the animations", state.play, key="lab_play",
                           help="the interpolation and the latent walk as looping GIFs (they cost the browser "
                                "time for as long as they play; the downloads are there either way)")
    c1, c2 = st.columns([1, 3])
    if state.play:
        c1.image(gif, caption="animation")
    c2.download_button("GIF", gif, f"{run}-{step}-{state.seed_a}-{state.seed_b}.gif", "image/gif")
    c2.download_button("PNG strip", strip, f"{run}-{step}-{state.seed_a}-{state.seed_b}.png", "image/png")

    st.subheader("Latent walk")
    text = st.text_input("Seeds to loop through", ",".join(map(str, state.walk)), key="lab_walk")
    try:
        seeds = [int(s) for s in text.replace(" ", "").split(",") if s][:32]
    except ValueError:
        st.warning("Seeds are whole numbers separated by commas.")
        return
    if len(seeds) >= 2:
        state.walk = seeds
        walk = lab.latent_walk(str(run_dir), step, mtime, tuple(seeds), max(2, state.frames // 2), state.interp)
        if state.play:
            st.image(walk, caption=f"a loop through seeds {', '.join(map(str, seeds))}")
        else:
            st.caption(f"A loop through seeds {', '.join(map(str, seeds))}: “Play the animations” above shows it.")
        st.download_button("Walk as GIF", walk, f"{run}-{step}-walk.gif", "image/gif")


interpolation()
