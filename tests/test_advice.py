import numpy as np
import pandas as pd
import pytest

from trainer.advice import advise, normalised, oscillation_index

N = 2000


def run(w, **extra):
    n = len(w)
    df = pd.DataFrame({"step": np.arange(1, n + 1), "w_estimate": w, "loss_d": -np.asarray(w), "loss_g": 0.0,
                       "gp": np.nan, "clip_frac": np.nan})
    for k, v in extra.items():
        df[k] = v
    return df


rng = np.random.default_rng(0)
steps = np.arange(1, N + 1)
FALLING = 1.0 * np.exp(-steps / 1500) + 0.1 + 0.01 * rng.standard_normal(N)
FLAT_AFTER = np.where(steps < 600, 1.0 - steps / 1000, 0.4) + 0.01 * rng.standard_normal(N)
NOISY_FLAT = 0.3 + 0.05 * rng.standard_normal(N)
RISING = np.where(steps < 1000, 1.0 - steps / 2000, 0.5 + (steps - 1000) / 1500) + 0.01 * rng.standard_normal(N)
OSCILLATING = 0.2 * np.sin(steps / 3) + 0.05 + 0.2 * rng.standard_normal(N)


def test_falling_series_is_improving():
    a = advise(run(FALLING))
    assert a.verdict == "improving", a
    assert a.numbers["relative change over window"] < -0.02


def test_series_that_stopped_falling_has_plateaued_since_about_then():
    a = advise(run(FLAT_AFTER))
    assert a.verdict == "plateaued", a
    assert 550 <= a.since_step <= 750


def test_noisy_flat_series_is_plateaued_not_improving():
    a = advise(run(NOISY_FLAT))
    assert a.verdict == "plateaued", a


def test_rising_series_is_getting_worse_since_its_minimum():
    a = advise(run(RISING))
    assert a.verdict == "getting worse", a
    assert 900 <= a.since_step <= 1100


def test_oscillating_estimate_is_unstable_with_a_warning():
    a = advise(run(OSCILLATING))
    assert a.verdict == "unstable", a
    assert any("critic is far from optimal" in w for w in a.warnings)


def test_nan_loss_is_diverged():
    m = run(FALLING.copy())
    m.loc[1500, "loss_d"] = np.nan
    a = advise(m)
    assert a.verdict == "diverged" and a.since_step == 1501
    assert advise(run(FALLING), state="diverged").verdict == "diverged"


def test_too_early():
    assert advise(run(FALLING[:50])).verdict == "too early"


def test_quality_getting_worse_beats_a_flat_estimate_and_names_the_snapshot():
    ev = pd.DataFrame({"step": [250, 500, 750, 1000, 1250, 1500, 1750, 2000],
                       "w1_exact": [0.3, 0.2, 0.1, 0.09, 0.15, 0.2, 0.21, 0.22]})
    a = advise(run(NOISY_FLAT), ev, snapshot_steps=[750, 1000, 2000])
    assert a.verdict == "getting worse" and a.since_step == 750  # best of 3-evaluation medians
    assert a.numbers["best quality"] == 0.09 and a.numbers["snapshot at best step"] is True
    assert "a snapshot from then exists" in a.headline
    ev.loc[7, "w1_exact"] = 0.09  # one lucky last evaluation does not hide the trend...
    assert advise(run(NOISY_FLAT), ev).verdict == "getting worse"
    ev.loc[4:, "w1_exact"] = [0.095, 0.15, 0.09, 0.1]  # ...and one unlucky one does not make a trend
    assert advise(run(NOISY_FLAT), ev).verdict == "plateaued"


def test_vanilla_gan_is_judged_by_quality():
    m = run(np.full(N, np.nan), loss_d=1.3)
    ev = pd.DataFrame({"step": np.arange(250, 2001, 250), "w1_exact": np.linspace(0.5, 0.1, 8)})
    assert advise(m, ev).verdict == "improving"
    ev["w1_exact"] = 0.2
    assert advise(m, ev).verdict == "plateaued"


def test_clip_and_penalty_and_overfitting_warnings():
    a = advise(run(FALLING, clip_frac=0.8))
    assert any("±clip" in w for w in a.warnings)
    m = run(FALLING, gp=5.0)
    m["loss_d"] = -m["w_estimate"] + 10 * 5.0  # the penalty term dwarfs the estimate
    assert any("gradient penalty" in w for w in advise(m).warnings)
    ev = pd.DataFrame({"step": np.arange(200, 2001, 200)})
    train_w = np.interp(ev["step"], steps, FALLING)
    ev["w_heldout"] = train_w - np.linspace(0.0, 0.3, len(ev))  # the gap grows
    assert any("overfitting" in w for w in advise(run(FALLING), ev).warnings)
    assert not advise(run(FALLING)).warnings


def test_oscillation_index_separates_steady_from_swinging():
    steady = oscillation_index(FALLING)
    swinging = oscillation_index(OSCILLATING)
    assert steady < 0.3 and swinging > 1.0
    assert np.isnan(oscillation_index([1.0, 2.0]))
    assert np.isnan(oscillation_index([np.nan] * 100))


def test_normalised_maps_the_bulk_to_unit_range():
    y = normalised(np.linspace(10, 20, 101))
    assert y[5] == pytest.approx(0.0) and y[95] == pytest.approx(1.0)


def test_estimate_tracks_quality_rank_correlation():
    from trainer.advice import estimate_tracks_quality

    ev = pd.DataFrame({"step": np.arange(100, 2001, 100)})
    ev["w1_exact"] = np.interp(ev["step"], steps, FALLING) * 0.3
    r_all, r_last, col = estimate_tracks_quality(run(FALLING), ev)
    assert col == "w1_exact" and r_all > 0.9 and r_last > 0.5
    ev["w1_exact"] = -ev["w1_exact"]
    assert estimate_tracks_quality(run(FALLING), ev)[0] < -0.9


def test_a_million_step_run_is_judged_like_its_short_self():
    long = np.repeat(FLAT_AFTER, 500)  # the same shape over 1,000,000 steps
    a = advise(run(long))
    assert a.verdict == "plateaued" and 550 * 500 <= a.since_step <= 750 * 500


def test_rank_correlation():
    from trainer.advice import rank_correlation

    a = np.arange(20.0)
    assert rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert np.isnan(rank_correlation(a[:2], a[:2]))
    assert pd.isna(rank_correlation(np.full(5, np.nan), a[:5]))
