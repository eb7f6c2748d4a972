"""What the critic's Wasserstein estimate says: its change over the recent window, its noise, its early
transient, how it tracks the quality measure, and the warning signs. Pure functions; no torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
import pandas as pd

WINDOW_FRAC = 0.25
"""The estimate's change is measured over the last quarter of the run: long enough to average the
critic's noise away, short enough to notice when a run that was improving has stopped."""

Z_SIGNIFICANT = 3.0
"""A change counts when it is 3 standard errors from zero (noise alone: about 0.3% of the time)."""

REL_IMPROVING = 0.02
"""...and at least 2% of the level: a smaller fall over a quarter of the run is not worth the compute."""

REL_WORSE = 0.05
"""A rise must be 5% of the level to count: the estimate wanders up a little while the generator explores."""

NOISE_UNSTABLE = 1.0
"""Step-to-step noise larger than the estimate's own level: the critic is far from optimal."""

CLIP_WARN = 0.5
"""More than half the critic's weights at +-clip: the clip, not the data, shapes the critic."""

GP_WARN = 1.0
"""The penalty term larger than the estimate itself: the critic is busy with the constraint."""

UNSTABLE_WARNING = "The estimate jumps from step to step by more than its own size"
"""How the warning for an unstable estimate begins (the advisor drops it beside a 'converged' verdict)."""

OVERFIT_GAP = 0.2
"""Training estimate above the held-out one by 20% of its level, and the gap doubled: memorising."""


@dataclass
class EstimateChange:
    level: float  # median of the window's first half
    now: float  # median of its second half
    rel: float  # (now - level) / |level|
    z: float  # the change in standard errors
    noise: float  # step-to-step SD of one value
    window: int  # steps in the window
    peak_step: int  # where the smoothed estimate peaked in the run's first half (the early transient)
    past_transient: bool

    @property
    def falling(self) -> bool:
        return self.z < -Z_SIGNIFICANT and self.rel < -REL_IMPROVING

    @property
    def rising(self) -> bool:
        return self.z > Z_SIGNIFICANT and self.rel > REL_WORSE

    @property
    def unstable(self) -> bool:
        return self.noise > NOISE_UNSTABLE * max(abs(self.level), 1e-12)


def estimate_change(metrics: pd.DataFrame, min_window: int = 50) -> Optional[EstimateChange]:
    """The estimate's change over the last quarter (second half against first half), or None without one."""
    if not has_estimate(metrics):
        return None
    y = metrics["w_estimate"].to_numpy(dtype=np.float64)
    steps = metrics["step"].to_numpy()
    n = len(y)
    w = y[-max(min_window, int(WINDOW_FRAC * n)):]
    half = len(w) // 2
    a, b = w[:half], w[half:]
    level, now = float(np.nanmedian(a)), float(np.nanmedian(b))
    noise = robust_sd(np.diff(w)) / np.sqrt(2)
    se = 1.2533 * noise * np.sqrt(1 / max(len(a), 1) + 1 / max(len(b), 1))  # SE of a median difference
    z = (now - level) / se if se > 0 else 0.0
    s = rolling_median(y, max(5, n // 50))
    first = s[: max(1, n // 2)]
    peak = int(np.nanargmax(first)) if np.isfinite(first).any() else 0
    # past the transient: twice the peak's step, and the estimate has come down from it since
    past = steps[-1] >= 2 * steps[peak] and s[peak] - np.nanmin(s[peak:]) > 0.1 * abs(s[peak])
    return EstimateChange(level, now, (now - level) / abs(level) if level else 0.0, float(z), float(noise),
                          int(steps[-1] - steps[max(0, n - len(w))] + 1), int(steps[peak]), bool(past))


def with_js_estimate(metrics: pd.DataFrame) -> pd.DataFrame:
    """The metrics with `js_estimate` added where the run has a discriminator loss but no Wasserstein estimate (a
    vanilla GAN): log 2 - loss_d / 2, the Jensen-Shannon divergence its discriminator's loss (BCE on real plus
    BCE on fake) implies when the discriminator is optimal (loss_d = 2 log 2 - 2 JS). The WGAN paper plots it for
    a standard GAN (Arjovsky et al. 2017, Figure 4) to show that it does not track sample quality."""
    if has_estimate(metrics) or "loss_d" not in metrics or not metrics["loss_d"].notna().any():
        return metrics
    return metrics.assign(js_estimate=np.log(2.0) - metrics["loss_d"].to_numpy(np.float64) / 2)


def has_estimate(metrics: pd.DataFrame) -> bool:
    return "w_estimate" in metrics and metrics["w_estimate"].notna().sum() > len(metrics) // 2


def warnings_for(m: pd.DataFrame, evals: pd.DataFrame, change: EstimateChange) -> list[str]:
    """The known failure signs, in plain words with what to try."""
    out = []
    win = m.tail(max(50, int(WINDOW_FRAC * len(m))))
    if change.unstable:
        out.append(UNSTABLE_WARNING + ": the critic is far from "
                   "optimal. Give it more critic steps (--n-critic), a lower learning rate, or less momentum "
                   "(Adam beta1 0 or 0.5, or RMSprop).")
    if "clip_frac" in win and win["clip_frac"].notna().any() and win["clip_frac"].median() > CLIP_WARN:
        out.append(f"{win['clip_frac'].median():.0%} of the critic's weights sit at ±clip: the clipping, not the "
                   "data, shapes the critic. Try WGAN-GP, or a larger --clip.")
    level = change.level
    if "gp" in win and win["gp"].notna().any() and np.isfinite(level) and level != 0:
        penalty = (win["loss_d"] + win["w_estimate"]).median()  # loss_d = -W + lambda*gp
        if penalty > GP_WARN * abs(level):
            out.append(f"The gradient penalty ({penalty:.3g}) outweighs the estimate ({level:.3g}): the critic "
                       "is busy with the constraint. Lower --gp-lambda, or give the critic more capacity.")
    if "w_heldout" in evals and evals["w_heldout"].notna().sum() >= 4 and len(m):
        ev = evals.dropna(subset=["w_heldout"])
        train_w = estimate_at(m, ev["step"])
        gap = train_w - ev["w_heldout"].to_numpy()
        third = max(1, len(gap) // 3)
        early, late = np.mean(gap[:third]), np.mean(gap[-third:])
        if late > OVERFIT_GAP * abs(train_w[-1]) and late > 2 * max(early, 0):
            out.append(f"The critic scores its training data {late:.3g} higher than held-out data, and the gap is "
                       "growing: it is overfitting. Stop, or regularise the critic (more data, smaller width).")
    return out


def estimate_at(metrics: pd.DataFrame, steps: Iterable[int]) -> np.ndarray:
    """The smoothed estimate at the given steps (a running median of 25 rows, interpolated)."""
    m = metrics[["step", "w_estimate"]].dropna()
    return np.interp(np.asarray(list(steps), dtype=np.float64), m["step"],
                     rolling_median(m["w_estimate"].to_numpy(np.float64), 25))


def rank_correlation(a, b, min_pairs: int = 3) -> float:
    """Spearman's rank correlation of two aligned series (NaN pairs dropped); NaN if too few pairs."""
    df = pd.DataFrame({"a": np.asarray(a, dtype=np.float64), "b": np.asarray(b, dtype=np.float64)}).dropna()
    if len(df) < min_pairs:
        return float("nan")
    return float(df["a"].rank().corr(df["b"].rank()))


def decimate(metrics: pd.DataFrame, max_rows: int = 20_000) -> pd.DataFrame:
    """Block means of a long run (the last step of each block kept): verdicts are about trends,
    and block means keep the noise test consistent (it is measured on the same blocks)."""
    k = len(metrics) // max_rows
    if k < 2:
        return metrics
    cols = [c for c in ("w_estimate", "loss_d", "loss_g", "gp", "clip_frac") if c in metrics]
    n = len(metrics) - len(metrics) % k
    tail = metrics.iloc[len(metrics) - n:]
    out = {c: tail[c].to_numpy(np.float64).reshape(-1, k).mean(1) for c in cols}
    out["step"] = tail["step"].to_numpy().reshape(-1, k)[:, -1]
    return pd.DataFrame(out)


def robust_sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else float("nan")


def rolling_median(y: np.ndarray, window: int) -> np.ndarray:
    return pd.Series(y).rolling(window, center=True, min_periods=1).median().to_numpy()
