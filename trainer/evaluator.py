"""The run's independent quality measure: what it is, what it is measured on, its noise floor,
and the best snapshot so far.

Every evaluation scores the generator on the same fixed latents against the same fixed
real reference sample (paired measurements: the difference between two snapshots then
varies far less than two independent draws would), drawn from the evaluator's own RNG so
that when evaluations happen never changes what the training draws. Once per run the same
measure is taken between the reference and other real samples of the same size: the noise
floor, what a perfect generator would score, stored on every evaluation row.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Optional

import torch

from .runs import runfiles
from .advice import advise, best_quality, stop_streak
from .config import TrainConfig
from .quality.evaluate import in_chunks, toy_floor, toy_quality
from .quality.image_quality import ImageQuality
from .runtime import cache_dir

log = logging.getLogger("trainer")

FLOOR_REPEATS = 5  # real-vs-real measurements for the floor's mean and spread
SAMPLE_POINTS = 512  # real points drawn in a 2-D sample file


class Evaluator:
    def __init__(self, cfg: TrainConfig, data, training, run_dir: Path, rec, resume: bool):
        self.cfg, self.training, self.run_dir, self.rec = cfg, training, run_dir, rec
        device = training.fixed_noise.device
        n = cfg.eval_samples
        g = torch.Generator().manual_seed(cfg.seed + 2)
        self.z = torch.randn(n, cfg.latent_dim, generator=g).to(device)
        self.reference, others = data.evaluation_sets(n, FLOOR_REPEATS, g)
        self.held_out = data.held_out(n, g)
        self.real_points = self.reference[:SAMPLE_POINTS]
        self.quality: Optional[ImageQuality] = None
        self.unavailable = ""
        if cfg.is_toy:
            self.floor = toy_floor(cfg.data, self.reference, others)
            self.measure = "w1_exact"
        else:
            self.quality = ImageQuality(cfg.channels, cfg.image_size, device, cache_dir(run_dir),
                                        cfg.inception_weights, n=n)
            self.measure = "fid"
            if self.quality.available:
                self.quality.set_real(self.reference)
                self.floor = self.quality.floor(others)
                log.info("image quality: FID, KID and IS on %s features", self.quality.name)
            else:
                self.floor, self.unavailable = (math.nan, math.nan), self.quality.reason
                log.warning("%s", self.unavailable)
                rec.status(quality_unavailable=self.unavailable)
        if math.isfinite(self.floor[0]):
            log.info("noise floor of %s at n = %d: %.4g ± %.2g (real against real, %d repeats)",
                     self.measure, n, *self.floor, FLOOR_REPEATS)
        self.stop_called_at: Optional[int] = None  # where the advisor's current streak of stop calls began
        _, self.best_q, self.best_step = (best_quality(runfiles.read_evals(run_dir)) if resume
                                          else (None, math.nan, None))

    @torch.no_grad()
    def evaluate(self, step: int) -> dict:
        """Score the generator now; write the row; snapshot it when its quality is the best so far."""
        G, D, cfg = self.training.G, self.training.D, self.cfg
        G.eval()
        D.eval()
        try:
            fake = in_chunks(G, self.z)
            row: dict = {"floor": self.floor[0], "floor_sd": self.floor[1]}
            if self.training.objective.has_estimate:
                row["w_heldout"] = float(in_chunks(D, self.held_out).mean() - in_chunks(D, fake).mean())
            if cfg.is_toy:
                row.update(toy_quality(cfg.data, self.reference, fake))
            elif self.quality.available:
                row.update(self.quality.score(fake))
        finally:
            G.train()
            D.train()
        self.rec.evaluate(step, **row)
        q = row.get(self.measure, math.nan)
        if math.isfinite(q) and not (q >= self.best_q):  # also when best_q is still NaN
            self.best_q, self.best_step = q, step
            self.training.snapshot(self.run_dir, step, protect=(step,))
            self.rec.status(best_step=step)
        return row

    def kept(self) -> tuple[int, ...]:
        """Snapshots that thinning must keep: the best one."""
        return (self.best_step,) if self.best_step is not None else ()

    def early_stop_reason(self, step: int) -> Optional[str]:
        """Why --early-stop ends the run now (the advisor has said stop -- plateaued, converged or getting
        worse -- long enough), or None."""
        if not self.cfg.early_stop:
            return None
        a = advise(runfiles.read_metrics(self.run_dir), runfiles.read_evals(self.run_dir),
                   eval_samples=self.cfg.eval_samples, algo=self.cfg.algo)
        self.stop_called_at = stop_streak(self.stop_called_at, a.verdict, step, a.basis)
        if self.stop_called_at is None:
            return None
        flat = step - self.stop_called_at
        if flat < self.cfg.early_stop:
            return None
        best = (f"the best snapshot is step {self.best_step}" if self.best_step is not None
                else "no quality measure chose a best snapshot: the latest is kept")
        return f"early stop: the advisor has said stop for {flat} steps (now: {a.verdict}); {best}"
