"""When the loop does what besides training: evaluations, samples, snapshots, checkpoints,
and how long all of that took.

Samples, snapshots and checkpoints come every `*_every` steps and at the last step.
Evaluations come every `eval_every` steps when it is given; by default every 250,
or the smallest multiple of 250 that keeps evaluating under EVAL_BUDGET of the time
(a digits FID is 0.1 s, a toy W1 0.13 s, an Inception FID on the CPU minutes), as long as
that leaves MIN_RUN_EVALS evaluations in the run.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass

from .config import TrainConfig

log = logging.getLogger("trainer")

EVAL_EVERY = 250  # default spacing of evaluations, in generator steps ...
EVAL_BUDGET = 0.02  # ... stretched (in multiples of it) so they take at most this share of the time
MIN_RUN_EVALS = 8
"""... but never to fewer than this many evaluations over the run's budget: the advisor needs 6 to judge, and the
vanilla GAN, fast enough (14 ms a step on the toys) that the 2% rule spaced it out to 4 evaluations in 2,000
steps, was never judged and drew its quality curve from four points. The price: 3.7% of its time, not 2%."""


@dataclass(frozen=True)
class Due:
    evaluate: bool = False
    samples: bool = False
    snapshot: bool = False
    checkpoint: bool = False

    def __bool__(self) -> bool:
        return self.evaluate or self.samples or self.snapshot or self.checkpoint


class Schedule:
    """What is due at a generator step. `fixed` keeps the evaluation spacing as given (under
    torchrun every rank must flush at the same steps, so it cannot follow one rank's clock)."""

    def __init__(self, cfg: TrainConfig, start: int, fixed: bool = False):
        self.cfg, self.start = cfg, start
        self.adaptive = cfg.eval_every is None and not fixed
        self.base = cfg.eval_every or EVAL_EVERY
        self.gap = self.base
        self.next_eval = (start // self.base + 1) * self.base
        self._last = (start, time.time())

    def due(self, step: int) -> Due:
        cfg, last = self.cfg, step == self.cfg.steps
        return Due(evaluate=step >= self.next_eval or last,
                   samples=step % cfg.sample_every == 0 or last,
                   snapshot=step % cfg.snapshot_every == 0 or last,
                   checkpoint=step % cfg.checkpoint_every == 0 or last)

    def evaluated(self, step: int, took: float) -> None:
        """An evaluation at `step` took `took` seconds: set the next one."""
        (prev_step, prev_t), now = self._last, time.time()
        self._last = (step, now)
        # a session's first evaluation is not timed (it warms up the feature extractor: 0.8 s vs 0.2 s)
        if self.adaptive and prev_step > self.start:
            per_step = max(now - prev_t - took, 1e-9) / (step - prev_step)  # training seconds per step
            gap = self.base * max(1, math.ceil(took / (EVAL_BUDGET * per_step * self.base)))
            gap = min(gap, max(self.base, self.cfg.steps // (MIN_RUN_EVALS * self.base) * self.base))
            if gap != self.gap:
                log.info("an evaluation takes %.2f s, %.1f%% of %d steps: evaluating every %d steps",
                         took, 100 * took / (per_step * self.base), self.base, gap)
                self.gap = gap
        self.next_eval = (step // self.base) * self.base + self.gap


class Overhead:
    """Seconds spent on everything but training, by kind (reported in status.json as overhead_s)."""

    KINDS = ("flush", "evaluate", "samples", "snapshot", "checkpoint")

    def __init__(self):
        self.seconds = {k: 0.0 for k in self.KINDS}

    @contextlib.contextmanager
    def timer(self, kind: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[kind] += time.perf_counter() - t

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.seconds.items()}
