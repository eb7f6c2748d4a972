"""A run's one-row summary for the Runs page, kept current by its writer in status.json (the "summary" field,
an additive part of the contract: format 1).

A runs page of 10,000 runs cannot read 10,000 runs' tables on every visit (a run's whole metrics and evaluations
for one row: 9.7 s for 1,000 runs). The Recorder already rewrites status.json at every flush; beside the state
and step it keeps there what the row shows: the latest estimate, a sparkline of it over the whole run (at most
2 x SPARK_POINTS points, evenly spaced in steps: when it fills, every other point goes and the spacing doubles),
the latest quality and its measure, and the speed. A resumed run's summary is rebuilt from its tables, so it
never covers only the part since the resume. A run without it (written before it existed, or by another tool)
is summarised from its tables by the page, once per change of its files.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from .parts import read_table
from .runfiles import QUALITY_COLUMNS

SPARK_POINTS = 60
METRIC_NEEDS = ("step", "elapsed", "w_estimate")
RATE_ROWS = 200  # steps/s over the latest rows (a resumed run's first flush is not its whole history)


def as_float(v: Any) -> Optional[float]:
    """A finite float from a Python or numpy number or a one-element array; None for anything else."""
    try:
        a = np.asarray(v, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None
    return float(a[0]) if a.size == 1 and math.isfinite(a[0]) else None


class Summary:
    """What the Runs page shows of a run, updated from each flushed frame and each evaluation."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: list[float] = []
        self.spacing = 1  # steps between sparkline points
        self.quality: Optional[float] = None
        self.measure: Optional[str] = None
        self.rate: Optional[float] = None
        self.last: Optional[tuple[int, float]] = None  # the latest finite estimate: (step, value)

    @classmethod
    def from_tables(cls, metrics: pd.DataFrame, evals: pd.DataFrame) -> "Summary":
        """The summary of a run's tables as they stand (a resume, a rewind, or a run written before summaries)."""
        s = cls()
        if len(metrics):
            tail = metrics.tail(RATE_ROWS)
            s.add_metrics(metrics["step"].to_numpy(), metrics["elapsed"].to_numpy(np.float64),
                          metrics["w_estimate"].to_numpy(np.float64) if "w_estimate" in metrics else None)
            s.rate = cls._rate(tail["step"].to_numpy(), tail["elapsed"].to_numpy(np.float64))
        for col in QUALITY_COLUMNS:
            if col in evals and evals[col].notna().any():
                s.quality, s.measure = float(evals[col].dropna().iloc[-1]), col
                break
        return s

    @classmethod
    def of_run(cls, run_dir: str | os.PathLike) -> "Summary":
        """from_tables on a run folder, reading only the columns a summary needs."""
        d = Path(run_dir)
        return cls.from_tables(read_table(d / "metrics", METRIC_NEEDS),
                               read_table(d / "evals", ("step",) + QUALITY_COLUMNS))

    @staticmethod
    def _rate(steps: np.ndarray, elapsed: np.ndarray) -> Optional[float]:
        if len(steps) >= 2 and np.isfinite(elapsed[[0, -1]]).all() and elapsed[-1] > elapsed[0]:
            return float((steps[-1] - steps[0]) / (elapsed[-1] - elapsed[0]))
        return None

    def add_metrics(self, steps: np.ndarray, elapsed: np.ndarray, w: Optional[np.ndarray]) -> None:
        self.rate = self._rate(steps, elapsed) or self.rate
        if w is None:
            return
        ok = np.isfinite(w)
        steps, w = steps[ok], w[ok]
        if not len(steps):
            return
        self.last = (int(steps[-1]), float(w[-1]))
        i = 0
        while i < len(steps):
            nxt = self.steps[-1] + self.spacing if self.steps else steps[0]
            i = int(np.searchsorted(steps, nxt, side="left"))
            if i >= len(steps):
                break
            self.steps.append(int(steps[i]))
            self.values.append(float(w[i]))
            if len(self.steps) > 2 * SPARK_POINTS:  # every other point goes; the spacing doubles
                self.steps, self.values, self.spacing = self.steps[::2], self.values[::2], 2 * self.spacing

    def add_evaluation(self, values: dict) -> None:
        for col in QUALITY_COLUMNS:
            v = as_float(values.get(col))
            if v is not None:
                self.quality, self.measure = v, col
                return

    def as_dict(self) -> dict:
        steps, values = list(self.steps), list(self.values)
        if self.last is not None and (not steps or self.last[0] > steps[-1]):
            steps.append(self.last[0])  # the sparkline ends where the run is
            values.append(self.last[1])
        return {"w_estimate": None if self.last is None else self.last[1],
                "estimate": [round(v, 6) for v in values], "spark_steps": steps, "quality": self.quality,
                "measure": self.measure, "steps_per_s": None if self.rate is None else round(self.rate, 3)}
