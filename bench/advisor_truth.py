"""The truth for bench/advisor.py: every snapshot of a run scored again, independently of the run's
own evaluations, with more samples and more draws.

The truth is itself a measurement, so it is built to be a better one than the run's:

- N = 2,000 samples per measurement (the runs evaluate 1,000);
- DRAWS paired draws: each draw is a real reference sample and a set of latents of its own, and
  scores every snapshot, so two snapshots are compared on the same draws (the design's "pair the
  measurements"). A snapshot's quality is the mean over the draws; how far apart two snapshots are
  is read off their paired differences, whose spread is far smaller than either's;
- the floor, the measure between the draws' references and other real samples of N, from
  FLOOR_PAIRS pairs: what real data scores, mean and SD of one measurement;
- the same again at the run's own evaluation size n (1,000): whether the measure the run has could
  tell a snapshot from real data at all ("within the measure's noise floor", in the issue's words).

Kept in the run's truth.json, so scoring a finished run again (a changed advisor rule) costs
seconds, not the minutes of measuring every snapshot again; redone when anything in its key differs
(delete the file after changing how the truth is computed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from wgan_watch.runs import runfiles as rf
from wgan_watch.artifacts import load_generator
from wgan_watch.config import TrainConfig, is_toy
from wgan_watch.data import load_data
from wgan_watch.quality.evaluate import in_chunks, w1_exact
from wgan_watch.quality.image_quality import ImageQuality
from wgan_watch.runtime import cache_dir

N = 2000  # samples per truth measurement (the runs evaluate 1,000)
DRAWS = 8  # paired draws per snapshot: their spread is the truth's standard error
FLOOR_PAIRS = 16  # real-vs-real measurements for the floor (its SD from 4 was off by a third either way)


@dataclass
class Truth:
    name: str  # the measure: w1_exact or fid
    steps: np.ndarray  # the snapshots' steps
    draws: np.ndarray  # (snapshots, DRAWS): each snapshot on each draw
    floor: float  # real against real at N: the mean of one measurement...
    floor_sd: float  # ...and its SD
    n: int = 0  # the run's evaluation size, and at that size:
    draws_n: np.ndarray | None = None  # each snapshot on each draw
    floor_n: tuple[float, float] = (float("nan"), float("nan"))  # real against real: mean and SD

    @property
    def means(self) -> np.ndarray:
        return self.draws.mean(1)

    def at_measure_floor(self, i: int, band_sd: float) -> bool:
        """Snapshot i scores, on average at the run's n, within band_sd SDs of what real data scores there:
        the run's measure cannot tell it from real data."""
        return bool(self.draws_n[i].mean() <= self.floor_n[0] + band_sd * self.floor_n[1])

    def diff_se(self, i: int, j: int) -> float:
        """Standard error of the difference between snapshots i and j, from their paired draws."""
        return float(np.std(self.draws[i] - self.draws[j], ddof=1) / np.sqrt(self.draws.shape[1]))

    def as_evals(self, evals: pd.DataFrame) -> pd.DataFrame:
        """The run's evaluation table at the snapshots' steps with the truth in place of its quality measure:
        each snapshot's mean over the paired draws, and real data's floor with the SD of such a mean. What
        the advisor would have read from an evaluator with 16 times the samples (twice n, eight draws)."""
        out = evals[evals["step"].isin(self.steps)].reset_index(drop=True)
        out[self.name] = out["step"].map(dict(zip(self.steps.tolist(), self.means)))
        out["floor"], out["floor_sd"] = self.floor, self.floor_sd / np.sqrt(self.draws.shape[1])
        return out


def scored_toy_runs(folder: Path) -> list[Path]:
    """The 2-D runs in bench.advisor's --out folder that have a truth.json; ValueError (a sentence for
    the command line) when there are none."""
    if not folder.is_dir():
        raise ValueError(f"--runs {folder}: no such folder (make one with python -m bench.advisor --out DIR)")
    runs = sorted(r for r in folder.iterdir() if (r / "truth.json").exists()
                  and TrainConfig.load(r / "config.json").is_toy)
    if not runs:
        raise ValueError(f"--runs {folder}: no 2-D run with a truth.json in it (python -m bench.advisor --out DIR)")
    return runs


def truth_curve(run: Path, data: str) -> Truth:
    """Every snapshot of the run scored on DRAWS paired draws at N, and the floor at N."""
    key = {"N": N, "DRAWS": DRAWS, "FLOOR_PAIRS": FLOOR_PAIRS, "paired": True, "at_n": True, "data": data,
           "snapshots": [s for s, _ in rf.list_snapshots(run)]}
    kept = rf.read_json(run / "truth.json") or {}
    if kept.get("key") == key:
        return Truth(kept["name"], np.asarray(kept["steps"]), np.asarray(kept["draws"]), *kept["floor"],
                     kept["n"], np.asarray(kept["draws_n"]), tuple(kept["floor_n"]))
    t = _scored(run, data)
    rf.atomic_write_json(run / "truth.json", {"key": key, "name": t.name, "steps": t.steps.tolist(),
                                              "draws": t.draws.tolist(), "floor": [t.floor, t.floor_sd],
                                              "n": t.n, "draws_n": t.draws_n.tolist(), "floor_n": list(t.floor_n)})
    return t


def _draw_scorers(cfg: TrainConfig, run: Path, g: torch.Generator, size: int) -> tuple[str, list[Callable], list[float]]:
    """(measure, one scorer per draw: generator -> quality at `size`, the floor's real-vs-real measurements)."""
    cpu = torch.device("cpu")
    data = load_data(cfg, cpu)
    per_draw = FLOOR_PAIRS // DRAWS
    scorers, floor = [], []
    for _ in range(DRAWS):
        reference, others = data.evaluation_sets(size, per_draw, g)
        z = torch.randn(size, cfg.latent_dim, generator=g)
        if is_toy(cfg.data):
            ref = reference.double().numpy()
            floor += [w1_exact(ref, o.double().numpy()) for o in others]
            scorers.append(lambda G, ref=ref, z=z: w1_exact(ref, G(z).double().numpy()))
        else:
            q = ImageQuality(cfg.channels, cfg.image_size, cpu, cache_dir(run), cfg.inception_weights, n=size)
            q.set_real(reference)
            floor += [q.score(o)["fid"] for o in others]
            scorers.append(lambda G, q=q, z=z: q.score(in_chunks(G, z))["fid"])
    return ("w1_exact" if is_toy(cfg.data) else "fid"), scorers, floor


@torch.no_grad()
def _scored(run: Path, data: str) -> Truth:
    cfg = TrainConfig.load(run / "config.json").resolved()
    steps = [s for s, _ in rf.list_snapshots(run)]
    gens = [load_generator(run, step=s) for s in steps]
    out = []
    for size, seed in ((N, 12345), (cfg.eval_samples, 54321)):
        name, scorers, floor = _draw_scorers(cfg, run, torch.Generator().manual_seed(seed), size)
        out.append((np.array([[score(G) for score in scorers] for G in gens]),
                    (float(np.mean(floor)), float(np.std(floor, ddof=1)))))
    (draws, (floor, floor_sd)), (draws_n, floor_n) = out
    return Truth(name, np.asarray(steps), draws, floor, floor_sd, cfg.eval_samples, draws_n, floor_n)
