import numpy as np
import pytest

from wgan_watch.app.series import downsample_indices, ema_debiased, median_filter, smooth


def tensorboard_ema(y, w):
    """TensorBoard's own loop (debiased EMA, non-finite points skipped)."""
    out, last, n = [], 0.0, 0
    for v in y:
        if np.isfinite(v):
            last = last * w + (1 - w) * v
            n += 1
        out.append(last / (1 - w ** n) if n else np.nan)
    return np.array(out)


@pytest.mark.parametrize("w", [0.0, 0.6, 0.9, 0.999])
def test_ema_matches_tensorboard(w):
    y = np.random.default_rng(0).standard_normal(3000).cumsum()
    np.testing.assert_allclose(ema_debiased(y, w), tensorboard_ema(y, w), rtol=1e-9, atol=1e-9)


def test_ema_skips_nan_like_tensorboard():
    y = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    np.testing.assert_allclose(ema_debiased(y, 0.5), tensorboard_ema(y, 0.5), rtol=1e-12)


def test_median_filter_removes_a_spike():
    y = np.zeros(101)
    y[50] = 100
    assert median_filter(y, 5).max() == 0
    assert smooth(y, "none", 0.6)[50] == 100


@pytest.mark.parametrize("n", [10, 1999, 2000, 2001, 123_457, 1_000_000])
def test_downsample_keeps_extremes_first_and_last(n):
    rng = np.random.default_rng(n)
    y = rng.standard_normal(n)
    y[n // 3] = 50.0
    y[(2 * n) // 3] = -50.0
    i = downsample_indices(y, 2000)
    assert len(i) <= 2000 and np.all(np.diff(i) > 0)
    assert i[0] == 0 and i[-1] == n - 1
    assert y[i].max() == y.max() and y[i].min() == y.min()


def test_downsample_with_nan():
    y = np.arange(10_000, dtype=float)
    y[::7] = np.nan
    i = downsample_indices(y, 500)
    assert len(i) <= 500 and i[-1] == 9999 and np.nanmax(y[i]) == np.nanmax(y)

