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
