"""Fixture runs written with the project's own writers (no torch needed)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wgan_watch.runs import runfiles as rf
from wgan_watch.config import TrainConfig
from wgan_watch.runs.runfiles import FORMAT_VERSION


def metrics_frame(n: int, start: int = 1, seed: int = 0, algo: str = "wgan-gp", t0: float | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    step = np.arange(start, start + n)
    t0 = time.time() - 3600 if t0 is None else t0
    w = 0.8 * np.exp(-step / 800) + 0.1 + 0.03 * rng.standard_normal(n)
    return pd.DataFrame({
        "step": step, "time": t0 + step * 0.05, "elapsed": step * 0.05,
        "w_estimate": w if algo != "gan" else np.nan, "loss_d": -w + 0.01, "loss_g": 0.5 + 0.1 * rng.standard_normal(n),
        "d_real": w / 2, "d_fake": -w / 2, "gp": 0.01 if algo == "wgan-gp" else np.nan,
        "grad_norm": 1.0 if algo == "wgan-gp" else np.nan, "clip_frac": 0.3 if algo == "wgan" else np.nan,
        "critic_iters": 5, "samples_per_s": 20000.0,
    })


def write_fixture_run(runs: Path, name: str, algo: str = "wgan-gp", data: str = "gaussians8", n: int = 1000,
                      state: str = "finished", eval_every: int = 100, parts: int = 4, quality: float = 0.05,
                      **config) -> Path:
    """A finished-looking run; `quality`: where its W1 levels off; `config`: TrainConfig fields (group, seed, ...)."""
    d = runs / name
    d.mkdir(parents=True)
    cfg = TrainConfig(algo=algo, data=data, steps=n, **config).resolved()
    rf.atomic_write_json(d / "config.json", {"format": FORMAT_VERSION, "version": "test", **cfg.to_dict()})
    rf.write_status(d, state=state, step=n, pid=999999, device="cpu", started_at=time.time() - 3600, message="")
    m = metrics_frame(n, algo=algo)
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
    for idx in np.array_split(np.arange(len(m)), parts):
        w.write(m.iloc[idx])
    steps = np.arange(eval_every, n + 1, eval_every)
    ev = pd.DataFrame({"step": steps, "time": time.time() - 3600 + steps * 0.05,
                       "w1_exact": 0.3 * np.exp(-steps / 800) + quality if cfg.is_toy else np.nan,
                       "floor": 0.06 if cfg.is_toy else np.nan, "floor_sd": 0.01 if cfg.is_toy else np.nan,
                       "modes": np.minimum(8, steps // 100) if cfg.is_toy else np.nan,
                       "hq_frac": np.minimum(1, steps / n) if cfg.is_toy else np.nan,
                       "w_heldout": 0.8 * np.exp(-steps / 800) + 0.12})
    rf.PartWriter(d / "evals", rf.EVAL_COLUMNS).write(ev)
    (d / "samples").mkdir()
    rng = np.random.default_rng(1)
    for s in steps[-3:]:
        if cfg.is_toy:
            g = np.linspace(-2.2, 2.2, 16)
            xx, yy = np.meshgrid(g, g)
            df = pd.concat([
                pd.DataFrame({"kind": "real", "x": rng.normal(size=100), "y": rng.normal(size=100), "value": np.nan}),
                pd.DataFrame({"kind": "fake", "x": rng.normal(size=100), "y": rng.normal(size=100), "value": np.nan}),
                pd.DataFrame({"kind": "critic", "x": xx.ravel(), "y": yy.ravel(), "value": (xx + yy).ravel()}),
            ])
            rf.atomic_write_parquet(d / "samples" / f"step_{s:08d}.parquet", df)
        else:
            from PIL import Image

            buf = io.BytesIO()
            Image.fromarray((rng.integers(0, 255, (60, 60)) // max(1, int(s) // 100)).astype(np.uint8)).save(buf, "PNG")
            rf.atomic_write_bytes(d / "samples" / f"step_{s:08d}.png", buf.getvalue())
    (d / "trainer.log").write_text("2026-01-01 INFO training\n2026-01-01 INFO finished\n")
    return d


def write_generator_run(runs: Path, name: str, data: str = "digits", steps: tuple[int, ...] = (100, 200)) -> Path:
    """A run with real (untrained, seeded) generator snapshots and their ONNX exports, for the latent lab."""
    import torch

    from wgan_watch.artifacts import save_snapshot
    from wgan_watch.models import build_models

    d = write_fixture_run(runs, name, data=data, n=max(steps))
    cfg = TrainConfig(data=data, width=8).resolved()
    rf.atomic_write_json(d / "config.json", {"format": FORMAT_VERSION, "version": "test", **cfg.to_dict()})
    for i, s in enumerate(steps):
        torch.manual_seed(i)
        G, _ = build_models(cfg)
        save_snapshot(d, s, G.eval(), keep=20)
    return d
