"""How much a loss or estimate swings rather than trends: the Compare page's oscillation index. No torch."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .estimate_trend import robust_sd, rolling_median


def oscillation_index(y: Iterable[float]) -> float:
    """Spread of a series around its rolling median, relative to the range of that median.

    spread = robust SD of (y - rolling median); range = 5th-95th percentile range of the
    rolling median (the trend). A steadily falling WGAN estimate has a small spread and a
    large trend: index well below 1. A vanilla GAN's losses swing around a flat trend:
    index of several. The rolling window is 5% of the series (at least 11 points), so
    swings faster than that count as oscillation and slower ones as trend.
    """
    y = np.asarray(list(y) if not isinstance(y, (np.ndarray, pd.Series)) else y, dtype=np.float64)
    y = y[np.isfinite(y)]
    if len(y) < 20:
        return float("nan")
    trend = rolling_median(y, max(11, len(y) // 20))
    spread = robust_sd(y - trend)
    lo, hi = np.quantile(trend, [0.05, 0.95])
    return float(spread / max(hi - lo, 1e-12 * max(1.0, abs(float(np.median(y))))))


def normalised(y: Iterable[float]) -> np.ndarray:
    """Scale a series to its 5th-95th percentile range so losses of different size compare."""
    y = np.asarray(y, dtype=np.float64)
    f = y[np.isfinite(y)]
    if not len(f):
        return y
    lo, hi = np.quantile(f, [0.05, 0.95])
    return (y - lo) / (hi - lo if hi > lo else 1.0)


SMOOTH_WINDOW = 51
"""Steps in the running median before turns are counted: step-to-step noise is not oscillation."""

TURN_SD = 3.0
"""A turn counts when the smoothed series retraces 3 of its own noise SDs from its last extreme."""


def carrier(metrics: pd.DataFrame) -> str | None:
    """The series that carries a run's meaning: a WGAN's estimate, a vanilla GAN's Jensen-Shannon estimate
    (estimate_trend.with_js_estimate adds it), else its generator loss."""
    from .estimate_trend import has_estimate

    if has_estimate(metrics):
        return "w_estimate"
    for col in ("js_estimate", "loss_g"):
        if col in metrics and metrics[col].notna().any():
            return col
    return None


def turns(y: np.ndarray, window: int = SMOOTH_WINDOW) -> int:
    """Direction changes of the running median of y that retrace more than TURN_SD of its noise (a zigzag count)."""
    y = np.asarray(y, dtype=np.float64)
    y = y[np.isfinite(y)]
    if len(y) < 3 * window:
        return 0
    s = rolling_median(y, window)[window // 2: len(y) - window // 2]  # the ends see half a window
    noise = 1.2533 * robust_sd(y - rolling_median(y, window)) / np.sqrt(window)  # SD of a median of `window`
    delta = TURN_SD * max(noise, 1e-12)
    count, direction, extreme = 0, 0, s[0]
    for v in s[1:]:
        if direction == 0:
            if abs(v - s[0]) > delta:  # the first move that is not noise sets the direction
                direction, extreme = (1 if v > s[0] else -1), v
        elif (v - extreme) * direction > 0:  # further the same way
            extreme = v
        elif abs(v - extreme) > delta:  # back by more than its noise: a turn
            count, direction, extreme = count + 1, -direction, v
    return count


def steadiness(steps, y) -> float:
    """Turns per 1,000 steps (see `turns`): low for a trend, high for an oscillation."""
    steps = np.asarray(steps)
    span = float(steps[-1] - steps[0]) if len(steps) > 1 else 0.0
    return 1000.0 * turns(y) / span if span > 0 else float("nan")


def tracks_quality(metrics: pd.DataFrame, evals: pd.DataFrame, column: str) -> float:
    """Rank correlation of the column (smoothed) with the quality measure at the evaluations."""
    from .estimate_trend import rank_correlation
    from .quality_trend import quality_column

    q = quality_column(evals)
    if q is None:
        return float("nan")
    ev = evals[["step", q]].dropna()
    m = metrics[["step", column]].dropna()
    if len(m) < 10:
        return float("nan")
    at = np.interp(ev["step"], m["step"], rolling_median(m[column].to_numpy(np.float64), SMOOTH_WINDOW))
    return rank_correlation(at, ev[q].to_numpy(), 4)
