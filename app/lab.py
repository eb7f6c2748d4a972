"""The latent lab's cached model work (torch is imported here, so only that page pays for it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from wgan_watch.runs import runfiles as rf
from wgan_watch.quality import latent as L
from wgan_watch.artifacts import load_generator

GRID_SEEDS = 8  # samples moved together, so a direction's effect shows across several

# One thread for the dashboard's small generators: G on 8 latents is ~1 ms of arithmetic, and torch's
# default pool (one thread per core) spent more on waking its threads than on it, against a trainer
# that may share the machine (python -m bench.sliders).
torch.set_num_threads(1)


@st.cache_resource(max_entries=8, show_spinner="Loading the generator…")
def generator(run_dir: str, step: int, mtime_ns: int) -> torch.nn.Module:
    return load_generator(run_dir, step=step)  # safetensors + config.json: nothing is unpickled


def snapshot_mtime(run_dir: Path, step: int) -> int:
    """The snapshot's mtime (part of every cache key). FileNotFoundError if it is gone: the
    trainer thins snapshots while a run trains, so any step shown may vanish."""
    path = dict(rf.list_snapshots(run_dir)).get(step)
    if path is None:
        raise FileNotFoundError(f"snapshot {step} is gone")
    return path.stat().st_mtime_ns


def model(run_dir: Path, step: int) -> torch.nn.Module:
    return generator(str(run_dir), step, snapshot_mtime(run_dir, step))


@st.cache_resource(max_entries=32, show_spinner="Finding the generator's main directions…")
def directions(run_dir: str, step: int, mtime_ns: int, method: str, k: int) -> torch.Tensor:
    G = generator(run_dir, step, mtime_ns)
    if method == "ganspace":
        return L.ganspace_directions(G, k)
    if method == "raw":
        return torch.eye(G.latent_dim)[:k]
    return L.sefa_directions(G, k)


def model_directions(run_dir: Path, step: int, method: str, k: int) -> torch.Tensor:
    return directions(str(run_dir), step, snapshot_mtime(run_dir, step), method, k)


def moved_latents(G, seeds: list[int], dirs: torch.Tensor, amounts: list[float]) -> torch.Tensor:
    return L.move(L.seed_latents(seeds, G.latent_dim), dirs, amounts)


def image_grid_png(G, z: torch.Tensor, ncol: int, scale: int = 3) -> bytes:
    return L.png_bytes(L.grid(L.images_uint8(G, z), ncol), scale)


@st.cache_data(max_entries=32, show_spinner="Rendering frames…")
def interpolation(run_dir: str, step: int, mtime_ns: int, a: int, b: int, frames: int, method: str):
    """(PNG strip, GIF bytes) of the path from seed a to seed b."""
    G = generator(run_dir, step, mtime_ns)
    za, zb = L.seed_latents([a, b], G.latent_dim)
    imgs = L.images_uint8(G, L.interpolate(za, zb, frames, method))
    return L.png_bytes(L.grid(imgs, ncol=frames), 2), L.gif_bytes(imgs)


@st.cache_data(max_entries=16, show_spinner="Rendering the walk…")
def latent_walk(run_dir: str, step: int, mtime_ns: int, seeds: tuple[int, ...], frames: int, method: str) -> bytes:
    G = generator(run_dir, step, mtime_ns)
    imgs = L.images_uint8(G, L.walk(L.seed_latents(seeds, G.latent_dim), frames, method))
    return L.gif_bytes(imgs)


@torch.no_grad()
def toy_points(G, z: torch.Tensor) -> np.ndarray:
    return G(z).float().numpy()


def python_snippet(run_dir: Path, step: int, seed: int, method: str, amounts: list[float]) -> str:
    fn = {"sefa": "sefa_directions(G, k)", "ganspace": "ganspace_directions(G, k)",
          "raw": "torch.eye(G.latent_dim)[:k]"}[method]
    return (f"import torch\nfrom wgan_watch import load_generator\n"
            f"from wgan_watch.quality.latent import move, seed_latents, sefa_directions, ganspace_directions\n\n"
            f"G = load_generator({str(run_dir)!r}, step={step})\n"
            f"amounts = {[round(a, 3) for a in amounts]}\nk = len(amounts)\n"
            f"z = move(seed_latents(range({seed}, {seed + GRID_SEEDS}), G.latent_dim), {fn}, amounts)\n"
            f"with torch.no_grad():\n    x = G(z)  # {GRID_SEEDS} samples in [-1, 1]\n")
