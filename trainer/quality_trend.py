"""What the independent quality measure says about a run: where it stopped improving, whether it
is at the measure's noise floor, whether it got worse. Pure functions on the evals table; no torch.

The quality of a snapshot (exact W1 on 2-D data, FID on images; lower is better) is a noisy
measurement, so nothing here trusts a single evaluation:

- values are smoothed by a running median of three before any comparison;
- the noise of one evaluation is measured, not assumed: the larger of the floor's spread (the
  measure between two real samples, drawn again and again) and the series' own jitter (the
  spread of its second differences, which a steady trend does not inflate);
- an improvement counts only when two evaluations in a row beat the level at the last counted
  improvement by more than its noise (and by REL_GAIN): slow steady gains add up until they
  count, one lucky evaluation does not;
- once the run has stalled for its patience, a new improvement must be larger still to count
  (EXIT_FACTOR): the hysteresis that keeps one lucky evaluation from flipping the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .runfiles import QUALITY_COLUMNS

MIN_EVALS = 4
"""Fewer evaluations than this: too early to say where quality is going."""

REL_GAIN = 0.05
"""An improvement smaller than 5% of the level is not worth more training, whatever its significance."""

GAIN_Z = 2.0
"""...and it must be 2 noise SDs: a median of three noisy values moves that far by chance rarely."""

EXIT_FACTOR = 1.5
"""After a stall, a new improvement must be 1.5 times that margin to count (hysteresis)."""

PATIENCE_EVALS = 3
"""A stall is called after at least three evaluations without a counted improvement ..."""

PATIENCE_FRAC = 0.25
"""... and at least a quarter of the steps it took to get there (a run that took 8,000 steps to its
best gets 2,000 steps to improve again; one that took 1,000 gets three evaluations)."""

FLOOR_BAND_SD = 2.0
"""Within 2 floor SDs of the floor, a generator scores like real data: the measure cannot tell more."""

REL_WORSE = 0.25
"""Getting worse: 25% above the best level (and 3 noise SDs), two evaluations in a row."""


@dataclass
class QualityTrend:
    column: str
    steps: np.ndarray
    values: np.ndarray
    smooth: np.ndarray
    noise: float  # SD of one evaluation
    floor: float  # the measure between two real samples (NaN when the run did not measure it)
    floor_sd: float
    best: float  # the best smoothed level
    best_step: int
    gain_step: int  # the last step where quality improved by more than its noise
    stalled: bool  # no counted improvement for the patience since gain_step
    floor_since: Optional[int]  # at the noise floor since this step (None: not at it now)
    worse: bool  # clearly worse than its best now, and at the evaluation before

    @property
    def n(self) -> int:
        return len(self.values)

    def patience(self, at_step: int) -> int:
        spacing = int(np.median(np.diff(self.steps))) if self.n > 1 else 0
        return max(PATIENCE_EVALS * spacing, int(PATIENCE_FRAC * at_step))


def quality_column(evals: pd.DataFrame) -> Optional[str]:
    """The independent quality measure a run has (lower is better), if any."""
    for col in QUALITY_COLUMNS:
        if col in evals and evals[col].notna().sum() >= 1:
            return col
    return None


def one_evaluation_noise(values: np.ndarray, floor_sd: float) -> float:
    """The SD of one evaluation: the floor's spread, or the series' own jitter if larger.

    The jitter is read off second differences (i.i.d. noise gives them variance 6 sigma^2; a
    straight trend, none) over the recent half of the run (at least 8 evaluations), as a root
    mean square with outliers clipped at 3 robust SDs: few points, so an efficient estimate."""
    recent = values[-max(8, len(values) // 2):]
    jitter = 0.0
    if len(recent) >= 4:
        d2 = recent[2:] - 2 * recent[1:-1] + recent[:-2]
        s0 = 1.4826 * np.median(np.abs(d2 - np.median(d2)))
        if s0 > 0:
            d2 = np.clip(d2, -3 * s0, 3 * s0)
        jitter = float(np.sqrt(np.mean(d2 ** 2) / 6))
    return max(jitter, floor_sd if np.isfinite(floor_sd) else 0.0)


def quality_trend(evals: pd.DataFrame) -> Optional[QualityTrend]:
    """The trend of the run's quality measure, or None without one (or with too few evaluations)."""
    col = quality_column(evals)
    if col is None:
        return None
    q = evals[["step", col] + [c for c in ("floor", "floor_sd") if c in evals]].dropna(subset=[col])
    if len(q) < 2:
        return None
    steps, values = q["step"].to_numpy(np.int64), q[col].to_numpy(np.float64)
    floor = float(q["floor"].dropna().iloc[-1]) if "floor" in q and q["floor"].notna().any() else np.nan
    floor_sd = float(q["floor_sd"].dropna().iloc[-1]) if "floor_sd" in q and q["floor_sd"].notna().any() else np.nan
    smooth = pd.Series(values).rolling(3, center=True, min_periods=1).median().to_numpy()
    noise = one_evaluation_noise(values, floor_sd)
    t = QualityTrend(col, steps, values, smooth, noise, floor, floor_sd, float(smooth.min()),
                     int(steps[int(np.argmin(smooth))]), int(steps[0]), False, None, False)
    _scan_gains(t)
    t.floor_since = _floor_since(t)
    t.worse = _worse(t)
    return t


def _scan_gains(t: QualityTrend) -> None:
    """Walk the evaluations in order: where quality last improved by more than its noise, and whether
    it has stalled since (with the hysteresis of EXIT_FACTOR once it had)."""
    level, gain, t.stalled = t.smooth[0], 0, False
    for i in range(1, t.n):
        if t.stalled:  # the plateau's own level: the median of everything since the last gain, not one value
            level = min(level, float(np.median(t.values[gain:i])))
        margin = max(REL_GAIN * abs(level), GAIN_Z * t.noise) * (EXIT_FACTOR if t.stalled else 1.0)
        if t.smooth[i] < level - margin and t.smooth[i - 1] < level - margin:  # held for two evaluations
            level, gain, t.stalled = max(t.smooth[i - 1], t.smooth[i]), i - 1, False
        else:
            t.stalled = t.steps[i] - t.steps[gain] >= t.patience(int(t.steps[gain]))
    t.gain_step = int(t.steps[gain])


def _floor_since(t: QualityTrend) -> Optional[int]:
    """The first step of the last stretch of evaluations within the floor's band, if the run is in it now.
    'Now' is the median of the last three evaluations, so one lucky value does not put a run there."""
    if not np.isfinite(t.floor) or t.n < 3:
        return None
    top = t.floor + FLOOR_BAND_SD * (t.floor_sd if np.isfinite(t.floor_sd) else 0.0)
    if np.median(t.values[-3:]) > top:
        return None
    inside = t.smooth <= top
    i = len(inside) - 1
    while i > 0 and inside[i - 1]:
        i -= 1
    return int(t.steps[i])


def _worse(t: QualityTrend) -> bool:
    if t.n < MIN_EVALS or t.floor_since is not None:
        return False
    limit = t.best + max(REL_WORSE * abs(t.best), 3 * t.noise)
    return bool(t.smooth[-1] > limit and t.smooth[-2] > limit and t.best_step < t.steps[-2])
