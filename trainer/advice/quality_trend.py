"""What the independent quality measure says about a run: where it stopped improving, whether it
is at the measure's noise floor, whether it got worse. Pure functions on the evals table; no torch.

The quality of a snapshot (exact W1 on 2-D data, FID on images; lower is better) is a noisy
measurement, so nothing here trusts a single evaluation:

- the noise of one evaluation is measured, not assumed: the larger of the floor's spread (the
  measure between two real samples, drawn again and again) and the series' own jitter (the
  spread of its second differences, which a steady trend does not inflate);
- whether quality is improving is read off a least-squares line through a window of evaluations
  (at least WINDOW_EVALS + 1 of them, and a quarter of the run so far), never off two values: the
  fall along that line must exceed GAIN_Z times its standard error (from the noise) and REL_GAIN of
  the level. A slow steady gain that no two neighbouring evaluations resolve still shows in the
  line; a lucky evaluation moves it by a sixth at most;
- once the run has stalled, a new improvement must be EXIT_FACTOR times more significant to
  count: the hysteresis that keeps noise from flipping the verdict back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ..runs.runfiles import QUALITY_COLUMNS

WINDOW_EVALS = 5
"""A trend is read over at least five evaluation intervals (six evaluations): measured on real runs
(bench/advisor.py), four points could not tell WGAN-GP's steady gains on gaussians8 from noise."""

MIN_EVALS = WINDOW_EVALS + 1
"""Fewer evaluations than this: too early to say where quality is going."""

REL_GAIN = 0.05
"""An improvement smaller than 5% of the level is not worth more training, whatever its significance."""

GAIN_Z = 2.0
"""...and the fall along the line must be 2 of its standard errors (one-sided, about 2% by chance)."""

EXIT_FACTOR = 1.5
"""After a stall, a new improvement must be 1.5 times as significant to count (hysteresis)."""

WINDOW_FRAC = 0.25
"""The window also spans a quarter of the steps so far: a run at step 8,000 is judged over its last
2,000 steps, one at step 1,500 with evaluations every 250 over its last six evaluations."""

FLOOR_BAND_SD = 2.0
"""Within 2 floor SDs of the floor, a generator scores like real data: the measure cannot tell more."""

FLOOR_EXIT_SD = 1.0
"""...and a run at the floor leaves it only 1 floor SD above that band (hysteresis at the band's edge)."""

EARLY_FALL_RATIO = 1.5
"""The evaluations a run opens with at over 1.5 times today's level are its early fall, not its noise."""

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
    gain_step: int  # improving: the last step where it did by more than its noise; stalled: where the plateau began
    stalled: bool  # no counted improvement for the patience since gain_step
    floor_since: Optional[int]  # at the noise floor since this step (None: not at it now)
    worse: bool  # clearly worse than its best now, and at the evaluation before

    @property
    def n(self) -> int:
        return len(self.values)

    def patience(self, at_step: int) -> int:
        """The span of the window that decides whether quality still improves at this step."""
        spacing = int(np.median(np.diff(self.steps))) if self.n > 1 else 0
        return max(WINDOW_EVALS * spacing, int(WINDOW_FRAC * at_step))


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


def quality_column(evals: pd.DataFrame) -> Optional[str]:
    """The independent quality measure a run has (lower is better), if any."""
    for col in QUALITY_COLUMNS:
        if col in evals and evals[col].notna().sum() >= 1:
            return col
    return None


def one_evaluation_noise(values: np.ndarray, floor_sd: float) -> float:
    """The SD of one evaluation: the floor's spread, or the series' own jitter if larger.

    The jitter is read off second differences (i.i.d. noise gives them variance 6 sigma^2; a
    straight trend, none) over the recent half of the run (at least 8 evaluations), as a root mean
    square with outliers (the bend where a fall levels off) clipped at 3 robust SDs. The stretch it
    opens with while that is over half as high again as today's level is left out: the early fall of
    FID from the hundreds is a curve, not this run's noise now (on real digits it made the noise of an
    FID near 60 come out as 12 and hid a fall from 87 to 59 -- bench/advisor.py). Only an opening
    stretch: a high value later on is noise, and stays in."""
    recent = values[-max(8, len(values) // 2):]
    high = np.abs(recent) > EARLY_FALL_RATIO * abs(float(np.median(values[-3:])))
    opening = int(np.argmin(high)) if not high.all() else len(recent)
    if len(recent) - opening >= 5:
        recent = recent[opening:]
    jitter = 0.0
    if len(recent) >= 4:
        d2 = recent[2:] - 2 * recent[1:-1] + recent[:-2]
        s0 = 1.4826 * np.median(np.abs(d2 - np.median(d2)))
        if s0 > 0:
            d2 = np.clip(d2, -3 * s0, 3 * s0)
        # a 90% upper bound, not the estimate itself: from a dozen values it is often half the truth
        # (an SD estimated from k values scatters by about 1/sqrt(2k) of itself)
        jitter = float(np.sqrt(np.mean(d2 ** 2) / 6)) * (1 + 1.3 / np.sqrt(len(d2)))
    return max(jitter, floor_sd if np.isfinite(floor_sd) else 0.0)


def _scan_gains(t: QualityTrend) -> None:
    """Walk the evaluations in order: at each, does the line through its window fall by more than its
    noise? The last step where it did is where quality last improved; stalled when it does not now."""
    gain, gain_from, j, t.stalled = 0, 0, 0, False
    for i in range(MIN_EVALS - 1, t.n):
        j = int(np.searchsorted(t.steps, t.steps[i] - t.patience(int(t.steps[i])), side="left"))
        j = min(j, i - WINDOW_EVALS)
        fall, se = linear_fall(t.steps[j:i + 1], t.values[j:i + 1], t.noise)
        level = float(np.median(t.values[j:i + 1]))
        if fall > max(REL_GAIN * abs(level), GAIN_Z * se) * (EXIT_FACTOR if t.stalled else 1.0):
            gain, gain_from, t.stalled = i, j, False
        else:
            t.stalled = True
    if t.stalled:  # the plateau began where quality first came within its noise of the plateau's level: the
        # evaluation itself, and the median of three around it (a lucky neighbour alone does not date it earlier)
        top = float(np.median(t.values[j:])) + t.noise
        gain = next((k for k in range(gain_from, t.n) if t.values[k] <= top and t.smooth[k] <= top), gain)
    t.gain_step = int(t.steps[gain])


def linear_fall(steps: np.ndarray, values: np.ndarray, noise: float) -> tuple[float, float]:
    """How far a least-squares line through the values falls from the first step to the last, and the
    standard error of that fall when each value carries `noise` (independent)."""
    x = steps.astype(np.float64) - steps.mean()
    sxx = float((x ** 2).sum())
    if sxx == 0:
        return 0.0, float("inf")
    span = float(steps[-1] - steps[0])
    slope = float((x * (values - values.mean())).sum() / sxx)
    return -slope * span, noise * span / np.sqrt(sxx)


def _floor_since(t: QualityTrend) -> Optional[int]:
    """Where the run's current stay at the noise floor began, if it is at the floor now.

    'At the floor' is judged on the median of three evaluations, so one lucky value does not put a run
    there, with hysteresis: a run enters when that median comes within the band (FLOOR_BAND_SD floor
    SDs above the floor) and leaves only when it rises FLOOR_EXIT_SD further. A generator sitting at the
    band's edge would otherwise flip between 'converged' and 'plateaued' with the noise. The stay is
    dated back to the first evaluation of its stretch inside the band."""
    if not np.isfinite(t.floor) or t.n < 3:
        return None
    sd = t.floor_sd if np.isfinite(t.floor_sd) else 0.0
    top = t.floor + FLOOR_BAND_SD * sd
    at, entered = False, 0
    for i in range(2, t.n):
        was = at
        at = bool(np.median(t.values[i - 2:i + 1]) <= (top + FLOOR_EXIT_SD * sd if was else top))
        if at and not was:
            entered = i
    if not at:
        return None
    i = entered
    while i > 0 and t.smooth[i - 1] <= top:
        i -= 1
    return int(t.steps[i])


def _worse(t: QualityTrend) -> bool:
    if t.n < MIN_EVALS or t.floor_since is not None:
        return False
    limit = t.best + max(REL_WORSE * abs(t.best), 3 * t.noise)
    return bool(t.smooth[-1] > limit and t.smooth[-2] > limit and t.best_step < t.steps[-2])
