"""Evaluation noise alone, for bench/advisor.py: the same run's snapshots evaluated again as other
trainers would have evaluated them.

A run's evaluations are one draw of the evaluator's noise: its fixed real reference sample, its fixed
latents and the floor it measured once. Training never depends on them (the evaluator draws from its
own RNG), so re-drawing them gives the evaluations an identical run would have logged with another
draw. The advisor replayed on each draw shows which of its calls the noise decides: where `--early-stop`
lands draw by draw, and verdicts that go back and forth.

Each draw repeats the trainer's own evaluation (trainer/evaluator.py) on every snapshot: exact W1 and
modes at the run's n on 2-D data, FID on images, the floor from the same number of real-vs-real repeats.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from wgan_watch.runs import runfiles as rf
from wgan_watch.artifacts import load_generator
from wgan_watch.config import TrainConfig
from wgan_watch.data import load_data
from wgan_watch.quality.evaluate import in_chunks, toy_floor, toy_quality
from wgan_watch.evaluator import FLOOR_REPEATS
from wgan_watch.quality.image_quality import ImageQuality
from wgan_watch.runtime import cache_dir

SEED0 = 10_000  # draws use seeds SEED0, SEED0 + 1, ... (the trainer's evaluator uses the run's seed + 2)


def redrawn_evals(run: Path, draws: int) -> list[pd.DataFrame]:
    """`draws` evaluation tables for the run's snapshot steps, each from an independent evaluator.

    Kept in the run's redraws.parquet (keyed by the snapshots, the draws, n and the seeds), so scoring
    again after a rule change costs seconds; delete it after changing how an evaluation is computed."""
    cfg = TrainConfig.load(run / "config.json").resolved()
    snaps = [s for s, _ in rf.list_snapshots(run)]
    ev = rf.read_evals(run)
    steps = [s for s in snaps if s in set(ev["step"])]
    cached = run / "redraws.parquet"
    key = {"n": cfg.eval_samples, "seed0": SEED0, "floor_repeats": FLOOR_REPEATS}
    key_cols = tuple(key)
    if cached.exists():
        old = pd.read_parquet(cached)
        if all(c in old for c in key_cols) and tuple(int(old[c].iloc[0]) for c in key_cols) == tuple(key.values()) \
                and sorted(old["draw"].unique()) == list(range(draws)) and sorted(old["step"].unique()) == steps:
            return [d.drop(columns=["draw", *key_cols]).reset_index(drop=True)
                    for _, d in old.groupby("draw")]
    tables = [_one_draw(run, cfg, steps, ev, SEED0 + d) for d in range(draws)]
    both = pd.concat([t.assign(draw=d, **key) for d, t in enumerate(tables)],
                     ignore_index=True)
    rf.atomic_write_parquet(cached, both)
    return tables


def evaluator_draw(cfg: TrainConfig, data, g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                               list[torch.Tensor]]:
    """(latents, reference, FLOOR_REPEATS other real samples) of n each, drawn from g in the order
    trainer/evaluator.py draws them: what one evaluator holds fixed for a whole run."""
    z = torch.randn(n, cfg.latent_dim, generator=g)
    reference, others = data.evaluation_sets(n, FLOOR_REPEATS, g)
    return z, reference, others


@torch.no_grad()
def _one_draw(run: Path, cfg: TrainConfig, steps: list[int], ev: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The run's evals table with its quality columns and floor replaced by one new evaluator's."""
    cpu = torch.device("cpu")
    data = load_data(cfg, cpu)
    z, reference, others = evaluator_draw(cfg, data, torch.Generator().manual_seed(seed), cfg.eval_samples)
    if cfg.is_toy:
        floor = toy_floor(cfg.data, reference, others)

        def score(fake: torch.Tensor) -> dict:
            return toy_quality(cfg.data, reference, fake)
    else:
        q = ImageQuality(cfg.channels, cfg.image_size, cpu, cache_dir(run), cfg.inception_weights,
                         n=cfg.eval_samples)
        if not q.available:
            raise RuntimeError(f"{run.name}: no quality measure to redraw ({q.reason})")
        q.set_real(reference)
        floor = q.floor(others)

        def score(fake: torch.Tensor) -> dict:
            return {k: v for k, v in q.score(fake).items() if k != "fid_features"}
    rows = []
    for s in steps:
        G = load_generator(run, step=s)
        rows.append({"step": s, **score(in_chunks(G, z))})
    new = pd.DataFrame(rows)
    out = ev[ev["step"].isin(steps)].drop(columns=[c for c in new.columns if c != "step"], errors="ignore")
    out = out.merge(new, on="step")
    out["floor"], out["floor_sd"] = floor
    return out.reset_index(drop=True)
