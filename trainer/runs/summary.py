"""A run's one-row summary for the Runs page, kept current by its writer in status.json (the "summary" field,
an additive part of the contract: format 1).

A runs page of 10,000 runs cannot read 10,000 runs' tables on every visit (a run's whole metrics and evaluations
for one row: 9.7 s for 1,000 runs). The Recorder already rewrites status.json at every flush; beside the state
and step it keeps there what the row shows: the latest estimate, a sparkline of it (at most SPARK_POINTS
points, thinned evenly as the run grows, the newest always kept), the latest quality and its measure, and the
speed. A run without it (written before it existed, or by another tool) is summarised from its tables, once
per change of its files.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

SPARK_POINTS = 60
QUALITY_COLUMNS = ("w1_exact", "fid")


class Summary:
    """What the Runs page shows of a run, updated from each flushed frame and each evaluation."""

    def __init__(self, previous: Optional[dict] = None, through_step: Optional[int] = None):
        prev = previous or {}
        keep = [(s, v) for s, v in zip(prev.get("spark_steps") or [], prev.get("estimate") or [])
                if through_step is None or s <= through_step]
        self.steps = [int(s) for s, _ in keep]
        self.values = [float(v) for _, v in keep]
        self.quality: Optional[float] = prev.get("quality") if through_step is None else None
        self.measure: Optional[str] = prev.get("measure") if through_step is None else None
        self.rate: Optional[float] = prev.get("steps_per_s")
        self.last_w: Optional[float] = prev.get("w_estimate") if through_step is None else None

    def add_metrics(self, steps: np.ndarray, elapsed: np.ndarray, w: Optional[np.ndarray]) -> None:
        if len(steps) >= 2 and elapsed[-1] > elapsed[0]:
            self.rate = float((steps[-1] - steps[0]) / (elapsed[-1] - elapsed[0]))
        if w is None or not np.isfinite(w).any():
            return
        stride = max(1, len(steps) // SPARK_POINTS)
        idx = np.unique(np.r_[np.arange(0, len(steps), stride), len(steps) - 1])
        for i in idx:
            if math.isfinite(w[i]):
                self.steps.append(int(steps[i]))
                self.values.append(float(w[i]))
        while len(self.steps) > 2 * SPARK_POINTS:  # thin evenly, the newest kept
            self.steps = self.steps[-1::-2][::-1]
            self.values = self.values[-1::-2][::-1]
        fin = w[np.isfinite(w)]
        self.last_w = float(fin[-1])

    def add_evaluation(self, values: dict) -> None:
        for col in QUALITY_COLUMNS:
            v = values.get(col)
            if isinstance(v, (int, float)) and math.isfinite(v):
                self.quality, self.measure = float(v), col
                return

    def as_dict(self) -> dict:
        return {"w_estimate": self.last_w, "estimate": [round(v, 6) for v in self.values],
                "spark_steps": self.steps, "quality": self.quality, "measure": self.measure,
                "steps_per_s": None if self.rate is None else round(self.rate, 3)}
