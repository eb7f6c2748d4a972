"""The latent lab's cached model work: every run's generator through onnxruntime (no torch anywhere here).

Sessions are cached per file (name and mtime) with st.cache_resource; the trainer thins exports while a run
trains, so any step shown may vanish (FileNotFoundError), and a file the lab cannot run says why
(GeneratorError)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import streamlit as st

from wgan_watch.runs import generator_files as gf
from wgan_watch.runs import runfiles as rf

from . import latents as L
from . import load
from . import toy_image as T
from .onnx_generator import Generator, GeneratorError, open_generator

GRID_SEEDS = 8  # samples moved together, so a direction's effect shows across several

__all__ = ["Generator", "GeneratorError", "GRID_SEEDS"]


@st.cache_resource(max_entries=16, show_spinner="Loading the generator…")
def _generator(path: str, mtime_ns: int, value_range: tuple) -> Generator:
    return open_generator(Path(path), value_range)


def export_mtime(run_dir: Path, step: int) -> int:
    """The export's mtime (part of every cache key). FileNotFoundError if it is gone."""
    path = dict(gf.onnx_steps(run_dir)).get(step)
    if path is None:
        raise FileNotFoundError(f"generator {step} is gone")
    return path.stat().st_mtime_ns


def generator(run_dir: Path, step: int) -> Generator:
    info = gf.info(run_dir, step)
    value_range = tuple(info.get("range") or (-1.0, 1.0))
    return _generator(str(dict(gf.onnx_steps(run_dir))[step]), export_mtime(run_dir, step), value_range)


@st.cache_resource(max_entries=64, show_spinner=False)
def _directions(run_dir: str, step: int, mtime_ns: int, method: str, k: int,
                latent_dim: int) -> tuple[np.ndarray, bool]:
    found = gf.directions(run_dir, step).get(method) if method != "raw" else None
    if found is None:  # raw z, or an export without its directions (then said on the page)
        return np.eye(latent_dim, dtype=np.float32)[:k], method == "raw"
    return np.asarray(found[:k], np.float32), True


def directions(run_dir: Path, step: int, mtime_ns: int, method: str, k: int,
               latent_dim: int) -> tuple[np.ndarray, bool]:
    """(k directions as rows, whether they are the ones asked for), for the export the page loaded (`mtime_ns`: its
    export_mtime then). Not looked up again: a trainer that thins its exports can remove it meanwhile."""
    return _directions(str(run_dir), step, mtime_ns, method, k, latent_dim)


TOY_POINTS = 512  # generated points moved together on a toy run
TOY_PIXELS = T.SIZE  # the picture's side: shown at its own size (a data: URI would be stretched to the column)


def nearest_sample(run_dir: Path, step: int) -> Optional[Path]:
    """The toy run's saved sample (real points, generated points, critic grid) at or before this step, else the
    first; None when the run saved none."""
    files = rf.step_files(Path(run_dir) / "samples", "parquet")
    before = [p for s, p in files if s <= step]
    return before[-1] if before else (files[0][1] if files else None)


@st.cache_resource(max_entries=32, show_spinner=False)
def _toy_canvas(sample: str, mtime_ns: int) -> Optional[T.ToyCanvas]:
    df = load.toy_sample(Path(sample))
    return None if df is None else T.toy_canvas(df[df["kind"] != "fake"])


def toy_points_png(run_dir: Path, step: int, points: np.ndarray) -> tuple[bytes, Optional[T.ToyCanvas]]:
    """The moved points over the real ones and the critic's heatmap from the saved sample nearest this step
    (the still part drawn once per sample file); (PNG, the canvas used: None when the run saved no sample or
    it could not be read, and the points are drawn alone)."""
    sample, canvas = nearest_sample(run_dir, step), None
    if sample is not None:
        try:
            canvas = _toy_canvas(str(sample), sample.stat().st_mtime_ns)
        except (OSError, KeyError, ValueError):  # replaced by the trainer meanwhile, or not a toy sample
            canvas = None
    if canvas is None:  # the points alone, on their own square
        canvas = T.toy_canvas(pd.DataFrame({"kind": "fake", "x": points[:, 0], "y": points[:, 1]}))
        return T.toy_png(canvas, points), None
    return T.toy_png(canvas, points), canvas


def image_grid_png(G: Generator, z: np.ndarray, ncol: int, scale: int = 3) -> bytes:
    return L.png_bytes(L.grid(L.images_uint8(G(z), G.value_range), ncol), scale)


@st.cache_data(max_entries=32, show_spinner="Rendering frames…")
def interpolation(run_dir: str, step: int, mtime_ns: int, a: int, b: int, frames: int, method: str):
    """(PNG strip, GIF bytes) of the path from seed a to seed b."""
    G = generator(Path(run_dir), step)
    za, zb = L.seed_latents([a, b], G.latent_dim)
    imgs = L.images_uint8(G(L.interpolate(za, zb, frames, method)), G.value_range)
    return L.png_bytes(L.grid(imgs, ncol=frames), 2), L.gif_bytes(imgs)


@st.cache_data(max_entries=16, show_spinner="Rendering the walk…")
def latent_walk(run_dir: str, step: int, mtime_ns: int, seeds: tuple[int, ...], frames: int, method: str) -> bytes:
    G = generator(Path(run_dir), step)
    return L.gif_bytes(L.images_uint8(G(L.walk(L.seed_latents(seeds, G.latent_dim), frames, method)),
                                      G.value_range))


def python_snippet(run_dir: Path, step: int, seed: int, method: str, amounts: list[float], n: int) -> str:
    """The lines that regenerate what the lab shows, with onnxruntime and numpy only."""
    folder = Path(run_dir) / gf.FOLDER
    dirs = (f"dirs = load_file({str(folder / f'step_{step:08d}.directions.safetensors')!r})[{method!r}]"
            if method != "raw" else "dirs = np.eye(d, dtype=np.float32)")
    return (f"import numpy as np\nimport onnxruntime as ort\nfrom safetensors.numpy import load_file\n\n"
            f"G = ort.InferenceSession({str(folder / f'step_{step:08d}.onnx')!r})\n"
            f"d = G.get_inputs()[0].shape[1]\n{dirs}\n"
            f"amounts = np.array({[round(a, 3) for a in amounts]}, np.float32)\n"
            f"z = np.stack([np.random.default_rng(s).standard_normal(d) for s in range({seed}, {seed + n})])\n"
            f"z = (z + amounts @ dirs[:len(amounts)]).astype(np.float32)\n"
            f"x = G.run(None, {{'z': z}})[0]  # {n} samples\n")
