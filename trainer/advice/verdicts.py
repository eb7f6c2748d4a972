"""The stop advisor: is the run still improving, or is it time to stop? Pure functions on the metrics
and evals tables, shared by the dashboard and `--early-stop`; no torch.

The verdict comes from the independent quality measure (exact W1 on 2-D data, FID on images)
whenever the run has one, because it measures the samples: the critic's estimate keeps creeping
down after the samples stop improving, and early on it can even rise while they improve. The
estimate still decides when it is too early (its transient), and the advisor says so when the
two disagree. A run without a quality measure is judged by the estimate alone, and labelled so.
How each rule treats noise: quality_trend.py beside this file; the estimate's side: estimate_trend.py.
`bench/advisor.py` holds the verdicts against what happened to the samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np
import pandas as pd

from .estimate_trend import (UNSTABLE_WARNING, EstimateChange, decimate, estimate_at,
                             estimate_change, rank_correlation, rolling_median, warnings_for)
from .quality_trend import MIN_EVALS, QualityTrend, quality_column, quality_trend

MIN_ROWS = 100
"""Fewer generator steps than this: too early (the first steps are the critic catching up)."""

AGREE_RHO = 0.5
"""Below this rank correlation over the recent evaluations, estimate and quality disagree."""

VERDICTS = ("too early", "improving", "plateaued", "converged", "getting worse", "unstable", "diverged")
STOP_VERDICTS = ("plateaued", "converged", "getting worse")
"""What --early-stop counts: the verdicts that say more training will not give a better snapshot than
the best one kept (Keras' EarlyStopping likewise stops on 'no improvement', worse included)."""

UNLIKELY_TO_HELP = "Training longer is unlikely to help."
CLIPPED_PAUSES = ("But a WGAN with weight clipping often pauses and then improves again: in the benchmark, six of "
                  "its eight such runs ended 25% or more better than where `--early-stop 500` stopped them "
                  "(bench/README.md). Look at the samples, or train on with a longer patience.")
"""Measured, not assumed: bench/advisor.py's clipped WGANs (gaussians8 on three seeds and two decays, digits)
improved in slow drifts after pauses that the quality measure reads, correctly at the time, as plateaus."""
PAUSE_NOTE = "plateau may be a pause"
"""Advice.numbers' key (True) on such a plateau: the Monitor page shows it as a note, not as a call to stop."""


@dataclass
class Advice:
    verdict: str                     # one of VERDICTS
    headline: str                    # plain sentences
    since_step: Optional[int] = None
    numbers: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    basis: str = "quality"           # quality | estimate | none


def advise(metrics: pd.DataFrame, evals: Optional[pd.DataFrame] = None, snapshot_steps: Iterable[int] = (),
           state: Optional[str] = None, eval_samples: Optional[int] = None, algo: Optional[str] = None) -> Advice:
    """Is the run still improving? A verdict in plain words, with the numbers behind it (`algo`: the
    run's, for what is known to mislead on it)."""
    evals = evals if evals is not None else pd.DataFrame(columns=["step"])
    trend = quality_trend(evals)
    numbers = _quality_numbers(trend, set(snapshot_steps)) if trend else {}
    bad = _diverged_at(metrics)
    if state == "diverged" or bad is not None:
        return Advice("diverged", "The run diverged: a loss became NaN or infinite. Restart from a checkpoint "
                      "with a lower learning rate.", bad, numbers, basis="none")
    metrics = decimate(metrics)
    change = estimate_change(metrics)
    warnings = warnings_for(metrics, evals, change) if change else []
    if change:
        numbers.update({"estimate now": change.now, "relative change over window": change.rel,
                        "window (steps)": change.window, "noise (SD per step)": change.noise, "z": change.z})
    if len(metrics) < MIN_ROWS:
        return Advice("too early", f"Too early to tell: {len(metrics)} steps so far (the advisor starts at "
                      f"{MIN_ROWS}).", None, numbers, warnings, basis="none")
    if trend is None and quality_column(evals) is None:
        return _pause_caveat(_advise_on_estimate(metrics, change, numbers, warnings), algo)
    if trend is None or trend.n < MIN_EVALS:
        k = int(evals[quality_column(evals)].notna().sum()) if trend is None else trend.n  # (a trend needs 2)
        return Advice("too early", f"Too early to tell: {k} evaluation{'s' * (k != 1)} of the quality measure so "
                      f"far; the advisor needs {MIN_EVALS}.", None, numbers, warnings)
    if change and not change.past_transient and trend.n < MIN_EVALS + 2:
        return Advice("too early", f"Too early to tell: the critic's estimate is still in its early transient "
                      f"(it peaked at step {change.peak_step} and has not come down clearly yet).", None, numbers,
                      warnings)
    advice = _pause_caveat(_advise_on_quality(trend, metrics, numbers, warnings, eval_samples), algo)
    if advice.verdict == "converged" and change and change.unstable:
        # an estimate near zero whose noise exceeds it is what samples that match the data look like,
        # not a critic far from optimal, and its ranks are noise: neither a warning nor a disagreement
        advice.warnings = [w for w in advice.warnings if not w.startswith(UNSTABLE_WARNING)]
        return advice
    note = _disagreement(trend, metrics, change)
    if note:
        advice.headline += " " + note
        advice.numbers["estimate and quality agree"] = False
    return advice


def _diverged_at(metrics: pd.DataFrame) -> Optional[int]:
    """The first step where a loss logged densely (in 90% of rows or more) became NaN or infinite."""
    for col in ("loss_d", "loss_g"):
        if col not in metrics:
            continue
        v = metrics[col].to_numpy(np.float64)
        if np.isinf(v).any() or (np.isfinite(v).mean() >= 0.9 and not np.isfinite(v).all()):
            return int(metrics["step"].to_numpy()[np.argmax(~np.isfinite(v))])
    return None


def _pause_caveat(advice: Advice, algo: Optional[str]) -> Advice:
    """A clipped WGAN's plateau: what the benchmark found such plateaus to be, instead of 'unlikely to help'."""
    if advice.verdict == "plateaued" and algo == "wgan":
        advice.headline = advice.headline.replace(UNLIKELY_TO_HELP, CLIPPED_PAUSES)
        advice.numbers[PAUSE_NOTE] = True
    return advice


def _quality_numbers(t: QualityTrend, snaps: set[int]) -> dict:
    out = {"quality measure": t.column, "best quality": float(t.values.min()),
           "best at step": int(t.steps[int(np.argmin(t.values))]), "noise of one evaluation": t.noise,
           "last improvement at step": t.gain_step}
    out["snapshot at best step"] = out["best at step"] in snaps
    if np.isfinite(t.floor):
        out.update({"noise floor": t.floor, "noise floor SD": t.floor_sd})
    return out


def _advise_on_quality(t: QualityTrend, metrics: pd.DataFrame, numbers: dict, warnings: list,
                       eval_samples: Optional[int]) -> Advice:
    step, name, now = int(metrics["step"].iloc[-1]), t.column, float(t.smooth[-1])
    snap = ("a snapshot from then is kept" if numbers.get("snapshot at best step")
            else "no snapshot was kept at that step")
    best = f"best {numbers['best quality']:.4g} at step {numbers['best at step']} ({snap})"
    if t.floor_since is not None:
        at_n = f" at n = {eval_samples:,}" if eval_samples else ""
        return Advice("converged", f"Converged since step {t.floor_since}: the samples are as close to the data as "
                      f"{name} can tell{at_n} ({now:.3g}; real data against real data scores {t.floor:.3g} ± "
                      f"{t.floor_sd:.2g}). More training cannot be measured as better; stop, and keep the "
                      f"{best.split(' (')[0]}.", t.floor_since, numbers, warnings)
    if t.worse:
        return Advice("getting worse", f"Getting worse since step {t.best_step}: {name} was {t.best:.4g} there and "
                      f"is {now:.4g} now, beyond its noise (±{t.noise:.2g}); {snap.replace('then', 'step ' + str(t.best_step))}.",
                      t.best_step, numbers, warnings)
    if t.stalled:
        return Advice("plateaued", f"Plateaued since step {t.gain_step}: {name} has not improved by more than its "
                      f"noise (±{t.noise:.2g}) for {step - t.gain_step:,} steps; {best}. {UNLIKELY_TO_HELP}",
                      t.gain_step, numbers, warnings)
    i = int(np.searchsorted(t.steps, t.steps[-1] - t.patience(int(t.steps[-1])), side="left"))
    before = float(t.smooth[min(i, t.n - 2)])
    return Advice("improving", f"Still improving: {name} went from {before:.4g} to {now:.4g} over the last "
                  f"{int(t.steps[-1] - t.steps[min(i, t.n - 2)]):,} steps (last gain beyond its noise at step "
                  f"{t.gain_step}). Keep training.", None, numbers, warnings)


def _disagreement(t: QualityTrend, metrics: pd.DataFrame, change: Optional[EstimateChange]) -> str:
    """A sentence when the estimate and the quality measure tell different stories recently, else ''."""
    if change is None:
        return ""
    recent = slice(max(0, t.n - max(6, t.n // 2)), t.n)
    est = estimate_at(metrics, t.steps[recent])
    rho = rank_correlation(est, t.values[recent], 5)
    if not (rho < AGREE_RHO) or not (change.falling or change.rising or not t.stalled):
        return ""
    where = f"(rank correlation {rho:.2f} over the last {len(est)} evaluations)"
    if change.falling and t.stalled:
        return (f"The critic's estimate still falls ({change.rel:+.0%} over the last {change.window:,} steps) while "
                f"{t.column} has stopped improving {where}: the critic keeps sharpening after the samples stopped "
                f"getting better. This verdict goes by {t.column}.")
    return (f"The critic's estimate and {t.column} disagree {where}: the estimate moved {change.rel:+.0%} over the "
            f"last {change.window:,} steps. This verdict goes by {t.column}, which measures the samples directly.")


def _advise_on_estimate(metrics: pd.DataFrame, change: Optional[EstimateChange], numbers: dict,
                        warnings: list) -> Advice:
    """No quality measure: the estimate alone, said so in every verdict."""
    alone = " (Judged by the critic's estimate alone: this run has no independent quality measure.)"
    if change is None:
        return Advice("too early", "This run has neither a Wasserstein estimate nor a quality measure to judge by.",
                      None, numbers, warnings, basis="none")
    if not change.past_transient:
        return Advice("too early", f"Too early to tell: the estimate is still in its early transient (it peaked at "
                      f"step {change.peak_step})." + alone, None, numbers, warnings, basis="estimate")
    if change.unstable:
        return Advice("unstable", "Unstable: the estimate's noise is larger than the estimate, so it cannot tell "
                      "whether samples improve. See the warnings." + alone, None, numbers, warnings, basis="estimate")
    if change.falling:
        return Advice("improving", f"Still improving: the estimate fell {abs(change.rel):.0%} over the last "
                      f"{change.window:,} steps. Keep training." + alone, None, numbers, warnings, basis="estimate")
    y, steps = metrics["w_estimate"].to_numpy(np.float64), metrics["step"].to_numpy()
    if change.rising:
        since = int(steps[int(np.nanargmin(rolling_median(y, max(5, len(y) // 50))))])
        return Advice("getting worse", f"Getting worse since step {since}: the estimate rose {change.rel:.0%} over "
                      "the last part of the run." + alone, since, numbers, warnings, basis="estimate")
    # since the first step from which the (heavily) smoothed estimate stays in a band around its end
    k = max(5, len(y) // 10)
    s = rolling_median(y, k)
    tol = max(0.1 * abs(s[-1]), 2 * change.noise / np.sqrt(k))
    outside = np.nonzero(np.abs(s - s[-1]) > tol)[0]
    since = int(steps[outside[-1] + 1]) if len(outside) and outside[-1] + 1 < len(y) else int(steps[0])
    return Advice("plateaued", f"Plateaued since step {since}: the estimate moved {change.rel:+.1%} over the last "
                  f"{change.window:,} steps, within its noise. {UNLIKELY_TO_HELP}" + alone,
                  since, numbers, warnings, basis="estimate")


def best_quality(evals: pd.DataFrame) -> tuple[Optional[str], float, Optional[int]]:
    """(column, best value, its step) of the raw quality evaluations."""
    col = quality_column(evals)
    if col is None:
        return None, float("nan"), None
    q = evals[["step", col]].dropna()
    i = q[col].idxmin()
    return col, float(q.loc[i, col]), int(q.loc[i, "step"])


def stop_streak(began: Optional[int], verdict: str, step: int, basis: str = "quality") -> Optional[int]:
    """Where the current streak of stop calls began, after the verdict at this evaluation (None: no
    streak). `--early-stop N` counts from there, not from the step the plateau is dated to: a plateau
    dated back 1,000 steps would otherwise stop the run at the first call. 'Getting worse' counts only
    when the quality measure says so: a rising estimate alone can come with improving samples, and a run
    without a quality measure has no best snapshot to fall back to."""
    if verdict not in STOP_VERDICTS or (verdict == "getting worse" and basis != "quality"):
        return None
    return step if began is None else began


def estimate_tracks_quality(metrics: pd.DataFrame, evals: pd.DataFrame) -> tuple[float, float, Optional[str]]:
    """Spearman rank correlation of the (smoothed) estimate with the quality measure at the evaluation
    steps, over the whole run and over its second half. Near +1: the estimate falls as the samples improve."""
    q_col = quality_column(evals)
    if q_col is None or "w_estimate" not in metrics or metrics["w_estimate"].notna().sum() < 10:
        return float("nan"), float("nan"), q_col
    ev = evals[["step", q_col]].dropna()
    est = estimate_at(decimate(metrics), ev["step"])
    q = ev[q_col].to_numpy()
    half = len(q) // 2
    return rank_correlation(est, q, 4), rank_correlation(est[half:], q[half:], 4), q_col
