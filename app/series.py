"""Pure numeric helpers for drawing long series honestly: smoothing and downsampling."""

from __future__ import annotations

import numpy as np
import pandas as pd

SMOOTHING_METHODS = ("ema", "median", "none")


def ema_debiased(y: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an EMA with the start-up bias divided out.

    TensorBoard keeps last = w*last + (1-w)*y and shows last / (1 - w^n); that ratio
    equals sum(w^i y_{n-i}) / sum(w^i), which is pandas' adjusted EWM with alpha = 1-w.
    Non-finite points are skipped (the previous value carries on), as TensorBoard does.
    """
    y = np.asarray(y, dtype=np.float64)
    if weight <= 0 or len(y) == 0:
        return y.copy()
    finite = np.isfinite(y)
    if not finite.all():  # rare: pandas' EWM skips the gaps (5x slower than the filter below)
        s = pd.Series(np.where(finite, y, np.nan))
        return s.ewm(alpha=1.0 - weight, adjust=True, ignore_na=True).mean().to_numpy()
    from scipy.signal import lfilter

    num = lfilter([1.0 - weight], [1.0, -weight], y)  # last = w*last + (1-w)*y, from last = 0
    # divide out the zero start's bias 1 - w^n; past n = k it is 1 to double precision
    # (and computing w^n there would crawl through subnormal numbers)
    k = min(len(y), int(np.ceil(np.log(1e-17) / np.log(weight))) + 1)
    num[:k] /= 1.0 - weight ** np.arange(1, k + 1)
    return num


def median_filter(y: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median: robust to the critic's spikes (the WGAN authors' advice)."""
    y = np.asarray(y, dtype=np.float64)
    if window <= 1 or len(y) == 0:
        return y.copy()
    return pd.Series(y).rolling(window, center=True, min_periods=1).median().to_numpy()


def smooth(y: np.ndarray, method: str, weight: float) -> np.ndarray:
    """`weight` in [0, 1): the EMA weight, or for the median the window as a share of 100 points."""
    if method == "ema":
        return ema_debiased(y, weight)
    if method == "median":
        return median_filter(y, max(1, int(round(weight * 100)) | 1))
    return np.asarray(y, dtype=np.float64)


def downsample_indices(y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most `max_points` points that keep each bucket's minimum and maximum,
    the first and the last point, so spikes and the latest value survive downsampling."""
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    k = -(-n // buckets)  # bucket size, rounded up
    v = np.asarray(y, dtype=np.float64)
    m = (n // k) * k  # whole buckets: a reshaped view, no copy of the series
    parts = [np.array([0, n - 1])]
    finite = np.isfinite(v)
    if finite.all():
        blocks = v[:m].reshape(-1, k)
        offsets = np.arange(blocks.shape[0]) * k
        parts += [offsets + blocks.argmin(1), offsets + blocks.argmax(1)]
    else:  # NaN or inf present: the rare slow path, with them masked out
        lo = np.where(finite, v, np.inf)[:m].reshape(-1, k)
        hi = np.where(finite, v, -np.inf)[:m].reshape(-1, k)
        offsets = np.arange(lo.shape[0]) * k
        parts += [offsets + lo.argmin(1), offsets + hi.argmax(1)]
    if m < n:
        tail = v[m:]
        parts.append(m + np.array([np.nanargmin(tail) if np.isfinite(tail).any() else 0,
                                   np.nanargmax(tail) if np.isfinite(tail).any() else 0]))
    return np.unique(np.concatenate(parts))

