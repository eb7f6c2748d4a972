"""The stop advisor and the oscillation index: pure functions on the metrics and evals tables.

Shared by the dashboard (the advisor card, the comparison page) and the trainer
(`--early-stop`). No torch. Every threshold below says why it is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np
import pandas as pd

MIN_ROWS = 100
"""Fewer generator steps than this: too early to say anything (the first steps of a WGAN
are dominated by the critic catching up, and the WGAN warm-up alone is 25 steps)."""

WINDOW_FRAC = 0.25
"""The verdict looks at the last quarter of the run: long enough to average the critic's
noise away, short enough to notice when a run that was improving has stopped."""

Z_SIGNIFICANT = 3.0
"""A change counts when it is 3 standard errors from zero: with a few hundred steps in the
window, noise alone passes this about 0.3% of the time."""

REL_IMPROVING = 0.02
"""...and when it is at least 2% of the level: a fall smaller than that over a quarter of
the run is not worth the compute (below this the run has plateaued)."""

REL_WORSE = 0.05
"""A rise must be 5% of the level to be called getting worse: the WGAN estimate wanders
up a little while the generator explores, so rising is called with a wider margin."""

NOISE_UNSTABLE = 1.0
"""Step-to-step noise larger than the estimate's own level means the critic is far from
optimal and its estimate says little about the distance: unstable."""

QUALITY_WORSE = 0.25
"""The quality measure 25% above its best over the last evaluations: samples got worse."""

CLIP_WARN = 0.5
"""More than half the critic's weights at +-clip: the clip, not the data, shapes the critic."""

GP_WARN = 1.0
"""The penalty term larger than the estimate itself: the critic spends its capacity on the
constraint rather than on telling real from fake."""

OVERFIT_GAP = 0.2
"""Training estimate above the held-out one by 20% of its level, and the gap doubled over
the run: the critic is memorising the training data (the WGAN-GP authors' sign)."""


@dataclass
class Advice:
    verdict: str                     # too early | improving | plateaued | getting worse | unstable | diverged
    headline: str                    # one plain sentence
    since_step: Optional[int] = None
    numbers: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


def _robust_sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else float("nan")


def rolling_median(y: np.ndarray, window: int) -> np.ndarray:
    return pd.Series(y).rolling(window, center=True, min_periods=1).median().to_numpy()


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
    spread = _robust_sd(y - trend)
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


def quality_column(evals: pd.DataFrame) -> Optional[str]:
    """The independent quality measure a run has (lower is better), if any."""
    for col in ("w1_exact", "fid"):
        if col in evals and evals[col].notna().sum() >= 1:
            return col
    return None


def best_quality(evals: pd.DataFrame) -> tuple[Optional[str], float, Optional[int]]:
    col = quality_column(evals)
    if col is None:
        return None, float("nan"), None
    q = evals[["step", col]].dropna()
    i = q[col].idxmin()
    return col, float(q.loc[i, col]), int(q.loc[i, "step"])


def _quality_worse(evals: pd.DataFrame, q_col: Optional[str]) -> Optional[tuple[int, float, float]]:
    """(best step, best, now) when the quality measure is clearly worse than its best.

    Each evaluation is itself noisy (W1 from 1,000 samples varies by ~0.02), so both the
    best and the latest are medians of three neighbouring evaluations: one lucky or
    unlucky evaluation neither sets the best nor calls the run worse."""
    if not q_col or evals[q_col].notna().sum() < 6:
        return None
    q = evals[["step", q_col]].dropna().reset_index(drop=True)
    med = q[q_col].rolling(3, center=True, min_periods=2).median().to_numpy()
    i = int(np.nanargmin(med))
    now = float(np.median(q[q_col].tail(3)))
    if i < len(q) - 3 and now > med[i] * (1 + QUALITY_WORSE):
        return int(q["step"].iloc[i]), float(med[i]), now
    return None


def _warnings(m: pd.DataFrame, evals: pd.DataFrame, win: pd.DataFrame, noise: float, level: float) -> list[str]:
    out = []
    y = win["w_estimate"].to_numpy(dtype=np.float64)
    if np.isfinite(y).sum() > 10 and noise > NOISE_UNSTABLE * max(abs(level), 1e-12):
        out.append("The estimate jumps from step to step by more than its own size: the critic is far from "
                   "optimal. Give it more critic steps (--n-critic), a lower learning rate, or less momentum "
                   "(Adam beta1 0 or 0.5, or RMSprop).")
    if "clip_frac" in win and win["clip_frac"].notna().any() and win["clip_frac"].median() > CLIP_WARN:
        out.append(f"{win['clip_frac'].median():.0%} of the critic's weights sit at ±clip: the clipping, not the "
                   "data, shapes the critic. Try WGAN-GP, or a larger --clip.")
    if win["gp"].notna().any() and np.isfinite(level) and level != 0:
        penalty = (win["loss_d"] + win["w_estimate"]).median()  # loss_d = -W + lambda*gp
        if penalty > GP_WARN * abs(level):
            out.append(f"The gradient penalty ({penalty:.3g}) outweighs the estimate ({level:.3g}): the critic "
                       "is busy with the constraint. Lower --gp-lambda, or give the critic more capacity.")
    if "w_heldout" in evals and evals["w_heldout"].notna().sum() >= 4 and len(m):
        ev = evals.dropna(subset=["w_heldout"])
        train_w = np.interp(ev["step"], m["step"], rolling_median(m["w_estimate"].to_numpy(np.float64), 25))
        gap = train_w - ev["w_heldout"].to_numpy()
        third = max(1, len(gap) // 3)
        early, late = np.mean(gap[:third]), np.mean(gap[-third:])
        if late > OVERFIT_GAP * abs(train_w[-1]) and late > 2 * max(early, 0):
            out.append(f"The critic scores its training data {late:.3g} higher than held-out data, and the gap is "
                       "growing: it is overfitting. Stop, or regularise the critic (more data, smaller width).")
    return out


def decimate(metrics: pd.DataFrame, max_rows: int = 20_000) -> pd.DataFrame:
    """Block means of a long run (the last step of each block kept): verdicts are about trends,
    and block means keep the noise test consistent (it is measured on the same blocks)."""
    k = len(metrics) // max_rows
    if k < 2:
        return metrics
    cols = ["w_estimate", "loss_d", "loss_g", "gp", "clip_frac"]
    n = len(metrics) - len(metrics) % k
    tail = metrics.iloc[len(metrics) - n:]
    out = {c: tail[c].to_numpy(np.float64).reshape(-1, k).mean(1) for c in cols}
    out["step"] = tail["step"].to_numpy().reshape(-1, k)[:, -1]
    return pd.DataFrame(out)


def rank_correlation(a, b, min_pairs: int = 3) -> float:
    """Spearman's rank correlation of two aligned series (NaN pairs dropped); NaN if too few pairs."""
    df = pd.DataFrame({"a": np.asarray(a, dtype=np.float64), "b": np.asarray(b, dtype=np.float64)}).dropna()
    if len(df) < min_pairs:
        return float("nan")
    return float(df["a"].rank().corr(df["b"].rank()))


def estimate_tracks_quality(metrics: pd.DataFrame, evals: pd.DataFrame) -> tuple[float, float, Optional[str]]:
    """Spearman rank correlation of the (smoothed) estimate with the quality measure at the
    evaluation steps: over the whole run and over its second half. Near +1: the estimate
    falls when the samples get better, as the WGAN paper claims."""
    q_col = quality_column(evals)
    if q_col is None or "w_estimate" not in metrics or metrics["w_estimate"].notna().sum() < 10:
        return float("nan"), float("nan"), q_col
    ev = evals[["step", q_col]].dropna()
    m = decimate(metrics)[["step", "w_estimate"]].dropna()  # a million rows: block means suffice
    est = np.interp(ev["step"], m["step"], rolling_median(m["w_estimate"].to_numpy(np.float64), 25))

    q = ev[q_col].to_numpy()
    half = len(q) // 2
    return rank_correlation(est, q, 4), rank_correlation(est[half:], q[half:], 4), q_col


def advise(metrics: pd.DataFrame, evals: Optional[pd.DataFrame] = None, snapshot_steps: Iterable[int] = (),
           state: Optional[str] = None) -> Advice:
    """Is the run still improving? A verdict in plain words, with the numbers behind it."""
    evals = evals if evals is not None else pd.DataFrame(columns=["step"])
    snaps = set(snapshot_steps)
    q_col, q_best, q_step = best_quality(evals)
    numbers: dict = {}
    if q_col:
        numbers.update({"quality measure": q_col, "best quality": q_best, "best at step": q_step,
                        "snapshot at best step": q_step in snaps})
    finite = np.isfinite(metrics[["loss_d", "loss_g"]].to_numpy(dtype=np.float64)).all(1)
    if state == "diverged" or not finite.all():
        bad = metrics[~finite]
        step = int(bad["step"].iloc[0]) if len(bad) else None
        return Advice("diverged", "The run diverged: a loss became NaN or infinite. Restart from a checkpoint "
                      "with a lower learning rate.", step, numbers)
    metrics = decimate(metrics)
    n = len(metrics)
    if n < MIN_ROWS:
        return Advice("too early", f"Too early to tell: {n} steps so far (the advisor starts at {MIN_ROWS}).",
                      None, numbers)
    has_w = metrics["w_estimate"].notna().sum() > n // 2
    col = "w_estimate" if has_w else None
    win = metrics.tail(max(MIN_ROWS // 2, int(WINDOW_FRAC * n)))
    if col is None:  # the vanilla GAN has no estimate: judge by the quality measure alone
        return _advise_on_quality(evals, q_col, numbers)
    y = metrics[col].to_numpy(dtype=np.float64)
    steps = metrics["step"].to_numpy()
    s = rolling_median(y, max(5, n // 50))
    w = win[col].to_numpy(dtype=np.float64)
    half = len(w) // 2
    a, b = w[:half], w[half:]
    level = float(np.nanmedian(a))
    change = float(np.nanmedian(b) - level)
    noise = _robust_sd(np.diff(w)) / np.sqrt(2)  # step-to-step noise of one value
    se = 1.2533 * noise * np.sqrt(1 / max(len(a), 1) + 1 / max(len(b), 1))  # SE of a median difference
    z = change / se if se > 0 else 0.0
    rel = change / abs(level) if level else 0.0
    numbers.update({"estimate now": float(np.nanmedian(b)), "relative change over window": rel,
                    "window (steps)": int(win["step"].iloc[-1] - win["step"].iloc[0] + 1), "noise (SD per step)": noise,
                    "z": z})
    warnings = _warnings(metrics, evals, win, noise, level)
    if noise > NOISE_UNSTABLE * max(abs(level), 1e-12):
        return Advice("unstable", "Unstable: the estimate's noise is larger than the estimate, so it cannot tell "
                      "whether samples improve. See the warnings.", None, numbers, warnings)
    worse = _quality_worse(evals, q_col)
    if worse is not None:
        best_step, best, now = worse
        snap = "a snapshot from then exists" if best_step in snaps else "no snapshot was kept at that step"
        return Advice("getting worse", f"Getting worse since step {best_step}: {q_col} was best there "
                      f"({best:.4g}) and is now {now:.4g}; {snap}.", best_step, numbers, warnings)
    if z < -Z_SIGNIFICANT and rel < -REL_IMPROVING:
        return Advice("improving", f"Still improving: the estimate fell {abs(rel):.0%} over the last "
                      f"{numbers['window (steps)']} steps. Keep training.", None, numbers, warnings)
    if z > Z_SIGNIFICANT and rel > REL_WORSE:
        since = int(steps[int(np.nanargmin(s))])
        return Advice("getting worse", f"Getting worse since step {since}: the estimate rose {rel:.0%} over the "
                      "last part of the run.", since, numbers, warnings)
    # plateaued: since the first step from which the smoothed estimate stays in a band around its end
    # (on a heavier smoothing than the verdict's: "since" is about the trend, not the wiggles)
    s = rolling_median(y, max(5, n // 10))
    tol = max(0.1 * abs(s[-1]), 2 * noise / np.sqrt(max(5, n // 10)))
    outside = np.nonzero(np.abs(s - s[-1]) > tol)[0]
    since = int(steps[outside[-1] + 1]) if len(outside) and outside[-1] + 1 < n else int(steps[0])
    return Advice("plateaued", f"Plateaued since step {since}: the estimate moved {rel:+.1%} over the last "
                  f"{numbers['window (steps)']} steps, within its noise. Training longer is unlikely to help; "
                  "keep the best snapshot.", since, numbers, warnings)


def _advise_on_quality(evals: pd.DataFrame, q_col: Optional[str], numbers: dict) -> Advice:
    if not q_col or evals[q_col].notna().sum() < 4:
        return Advice("too early", "This run has no Wasserstein estimate (vanilla GAN) and too few evaluations "
                      "to judge by quality yet.", None, numbers)
    q = evals[["step", q_col]].dropna()
    v, st = q[q_col].to_numpy(), q["step"].to_numpy()
    third = max(2, len(v) // 3)
    early, late = np.median(v[-2 * third:-third]) if len(v) >= 2 * third else v[0], np.median(v[-third:])
    rel = (late - early) / abs(early) if early else 0.0
    numbers["relative change of quality"] = float(rel)
    best_step = numbers["best at step"]
    if rel < -0.05:
        return Advice("improving", f"Still improving by {q_col} ({rel:.0%} over the last evaluations).", None, numbers)
    if v[-1] > numbers["best quality"] * (1 + QUALITY_WORSE) and best_step < st[-1]:
        return Advice("getting worse", f"Getting worse since step {best_step} by {q_col}.", best_step, numbers)
    return Advice("plateaued", f"Plateaued by {q_col} since about step {int(st[-2 * third]) if len(st) >= 2 * third else int(st[0])}.",
                  int(st[-2 * third]) if len(st) >= 2 * third else int(st[0]), numbers)
