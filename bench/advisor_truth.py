"""The truth for bench/advisor.py: every snapshot of a run scored again, independently of the run's
own evaluations, with more samples and fresh draws.

Two things keep the truth itself from being noise: each snapshot is scored REPEATS times with fresh
draws, and its standard error is never taken below what real data against real data scatters by
(the floor's SD over the square root of REPEATS): two or four draws can agree by luck."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from trainer import runfiles as rf
from trainer.artifacts import load_generator
from trainer.config import TrainConfig, is_toy
from trainer.data import load_data
from trainer.evaluate import in_chunks, w1_exact
from trainer.image_quality import ImageQuality
from trainer.runtime import cache_dir

N = 2000  # samples per truth measurement (the runs evaluate 1,000)
REPEATS = 4  # fresh draws per snapshot: their spread is the truth's standard error


def truth_curve(run: Path, data: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, tuple[float, float]]:
    """(snapshot steps, mean quality, its standard error, measure, real-vs-real floor at N: mean and SD).

    Kept in the run's truth.json, so scoring a finished run again (a changed advisor rule) costs
    seconds, not the minutes of measuring every snapshot again; redone when the snapshots, N or
    REPEATS differ."""
    key = {"N": N, "REPEATS": REPEATS, "data": data, "snapshots": [s for s, _ in rf.list_snapshots(run)]}
    kept = rf.read_json(run / "truth.json") or {}
    if kept.get("key") == key:
        steps, means, ses = (np.asarray(kept[k]) for k in ("steps", "means", "ses"))
        name, (floor, floor_sd) = kept["name"], kept["floor"]
    else:
        steps, means, ses, name, (floor, floor_sd) = _scored(run, data)
        rf.atomic_write_json(run / "truth.json", {"key": key, "steps": steps.tolist(), "means": means.tolist(),
                                           "ses": ses.tolist(), "name": name, "floor": [floor, floor_sd]})
    return steps, means, np.maximum(ses, floor_sd / np.sqrt(REPEATS)), name, (floor, floor_sd)


def _scored(run: Path, data: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, tuple[float, float]]:
    cfg = TrainConfig.load(run / "config.json").resolved()
    steps = [s for s, _ in rf.list_snapshots(run)]
    g = torch.Generator().manual_seed(12345)
    if is_toy(data):
        real = load_data(cfg, torch.device("cpu"))

        def measure(G) -> float:
            with torch.no_grad():
                fake = G(torch.randn(N, cfg.latent_dim, generator=g))
            return w1_exact(real.sample(N, g).double().numpy(), fake.double().numpy())

        pairs = [w1_exact(real.sample(N, g).double().numpy(), real.sample(N, g).double().numpy())
                 for _ in range(REPEATS)]
        floor, name = (float(np.mean(pairs)), float(np.std(pairs, ddof=1))), "w1_exact"
    else:
        data_obj = load_data(cfg, torch.device("cpu"))
        reference, others = data_obj.evaluation_sets(N, REPEATS, g)
        q = ImageQuality(cfg.channels, cfg.image_size, torch.device("cpu"), cache_dir(run), n=N)
        q.set_real(reference)

        def measure(G) -> float:
            with torch.no_grad():
                return q.score(in_chunks(G, torch.randn(N, cfg.latent_dim, generator=g)))["fid"]

        floor, name = q.floor(others), "fid"
    means, ses = [], []
    for s in steps:
        G = load_generator(run, step=s)
        vals = [measure(G) for _ in range(REPEATS)]
        means.append(float(np.mean(vals)))
        ses.append(float(np.std(vals, ddof=1) / np.sqrt(REPEATS)) if REPEATS > 1 else 0.0)
    return np.asarray(steps), np.asarray(means), np.asarray(ses), name, floor
