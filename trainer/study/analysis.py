"""What a study shows, from its run folders' tables alone: pure functions (numpy, pandas), no torch, no optuna.

The measures follow the papers that asked the same questions: each run's best quality and its distribution
(Lucic et al. 2018); success rates at fixed thresholds with Wilson intervals, and, for settings samples run
under two algorithms, how many succeeded under only one, both or neither (the WGAN-GP paper's 200
architectures); the expected best quality against the number of settings tried, with a bootstrap band (Lucic
et al.'s budget curve); the share of runs that reached a threshold by wall-clock time or generator step, runs
still training censored (Kaplan-Meier); seeds of one setting as a median with an interquartile band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
import pandas as pd

ENDED = ("finished", "diverged", "stopped")
Z95 = 1.959964


@dataclass
class RunResult:
    """One run of a study as the analysis sees it."""

    run: str
    algo: str
    sample: int
    seed: int
    state: str  # the run folder's state (running, finished, diverged, ...; lost when its process is gone)
    curve: pd.DataFrame = field(repr=False)  # step, elapsed, quality (and estimate when the run has one)
    planned: Optional[int] = None  # the run's budget in generator steps
    floor: float = float("nan")  # its quality measure between real samples

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def best(self) -> float:
        q = self.curve["quality"].to_numpy(dtype=float) if len(self.curve) else np.array([])
        return float(np.nanmin(q)) if np.isfinite(q).any() else float("nan")

    def succeeded(self, threshold: float) -> bool:
        """Reached the threshold, and did not diverge (a diverged run fails whatever it reached first)."""
        return self.state != "diverged" and self.best <= threshold

    def first_reached(self, threshold: float, by: str = "elapsed") -> Optional[float]:
        hit = self.curve[self.curve["quality"] <= threshold]
        return float(hit[by].iloc[0]) if len(hit) and self.state != "diverged" else None


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials (95% by default); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def success_table(results: Sequence[RunResult], thresholds: Sequence[float]) -> pd.DataFrame:
    """Per algorithm and threshold: runs ended, successes, rate and its 95% interval."""
    rows = []
    for algo in _algos(results):
        ended = [r for r in results if r.algo == algo and r.ended]
        for t in thresholds:
            k = sum(r.succeeded(t) for r in ended)
            lo, hi = wilson(k, len(ended))
            rows.append({"algo": algo, "threshold": t, "succeeded": k, "runs": len(ended),
                         "rate": k / len(ended) if ended else float("nan"), "low": lo, "high": hi})
    return pd.DataFrame(rows)


def pair_table(results: Sequence[RunResult], a: str, b: str, threshold: float) -> dict[str, int]:
    """Settings samples run under both algorithms (same sample, same seed, both ended): how many succeeded under
    only `a`, only `b`, both, neither."""
    def ended(algo):
        return {(r.sample, r.seed): r for r in results if r.algo == algo and r.ended}

    ra, rb = ended(a), ended(b)
    out = {f"only {a}": 0, f"only {b}": 0, "both": 0, "neither": 0}
    for key in sorted(set(ra) & set(rb)):
        sa, sb = ra[key].succeeded(threshold), rb[key].succeeded(threshold)
        out["both" if sa and sb else f"only {a}" if sa else f"only {b}" if sb else "neither"] += 1
    return out


def setting_quality(results: Sequence[RunResult], algo: str) -> pd.Series:
    """Each settings sample's quality for one algorithm: the median over its ended seeds of their best. A run
    that diverged counts with the best it reached before (its best snapshot is what it leaves behind); one
    with no evaluation at all as never good (+inf)."""
    rows = [(r.sample, r.best if np.isfinite(r.best) else np.inf) for r in results if r.algo == algo and r.ended]
    if not rows:
        return pd.Series(dtype=float)
    df = pd.DataFrame(rows, columns=["sample", "best"])
    return df.groupby("sample")["best"].median()


def expected_best(values: Iterable[float]) -> pd.DataFrame:
    """The expected best (lowest) of k settings drawn without replacement from these, for k = 1..n: exact over
    all k-subsets (order statistics), not simulated. A setting that never worked counts as +inf."""
    v = np.sort(np.asarray(list(values), dtype=float))
    return pd.DataFrame({"k": np.arange(1, len(v) + 1), "expected": _expected_min(v[None, :])[0]})


def _order_weights(n: int) -> np.ndarray:
    """W[k-1, i]: the chance that the i-th smallest of n values is the minimum of k drawn without replacement,
    C(n-1-i, k-1) / C(n, k)."""
    return np.array([[math.comb(n - 1 - i, k - 1) / math.comb(n, k) for i in range(n)] for k in range(1, n + 1)])


def _expected_min(sorted_rows: np.ndarray) -> np.ndarray:
    """Each row (sorted ascending) -> the expected minimum of k draws for k = 1..n (+inf where an infinite
    value has a chance of being the minimum)."""
    w = _order_weights(sorted_rows.shape[1])
    finite = np.where(np.isfinite(sorted_rows), sorted_rows, 0.0)
    out = finite @ w.T
    out[(~np.isfinite(sorted_rows)).astype(float) @ w.T > 0] = np.inf
    return out


def expected_best_band(values: Iterable[float], draws: int = 1000, seed: int = 0,
                       level: float = 0.95) -> pd.DataFrame:
    """expected_best with a bootstrap band: the settings resampled with replacement `draws` times."""
    v = np.asarray(list(values), dtype=float)
    base = expected_best(v)
    if len(v) < 2:
        return base.assign(low=base["expected"], high=base["expected"])
    rng = np.random.default_rng(seed)
    curves = _expected_min(np.sort(rng.choice(v, (draws, len(v))), axis=1))
    a = (1 - level) / 2
    return base.assign(low=np.quantile(curves, a, axis=0), high=np.quantile(curves, 1 - a, axis=0))


def time_to_quality(results: Sequence[RunResult], threshold: float, by: str = "elapsed") -> pd.DataFrame:
    """Kaplan-Meier: the share of runs that reached the threshold by each time (or step). A run still training
    is censored at its last evaluation; a run that ended without reaching it never does (it stays in the
    risk set, so it counts against the share at every time)."""
    events, censored = [], []
    for r in results:
        t = r.first_reached(threshold, by)
        if t is not None:
            events.append(t)
        elif not r.ended and len(r.curve):
            censored.append(float(r.curve[by].iloc[-1]))
    n = len(results)
    times = sorted(set(events))
    at_risk, surv, rows = n, 1.0, [{by: 0.0, "reached": 0.0, "at_risk": n}]
    for t in times:
        at_risk = n - sum(e < t for e in events) - sum(c < t for c in censored)
        d = sum(e == t for e in events)
        if at_risk > 0:
            surv *= 1 - d / at_risk
        rows.append({by: t, "reached": 1 - surv, "at_risk": at_risk})
    return pd.DataFrame(rows)


def median_time(km: pd.DataFrame, by: str = "elapsed") -> Optional[float]:
    """When half the runs had reached the threshold (Kaplan-Meier), or None if they never did."""
    hit = km[km["reached"] >= 0.5]
    return float(hit[by].iloc[0]) if len(hit) else None


def seed_band(curves: Sequence[pd.DataFrame], x: str = "step", y: str = "quality",
              max_points: Optional[int] = None) -> pd.DataFrame:
    """Several seeds' curves as one: at each x that any has (or `max_points` of them, evenly spread), the median
    and interquartile range of those that reach that far (each interpolated between its own points), and how
    many."""
    curves = [c[[x, y]].dropna().sort_values(x) for c in curves if len(c[[x, y]].dropna())]
    if not curves:
        return pd.DataFrame(columns=[x, "median", "q25", "q75", "n"])
    grid = np.unique(np.concatenate([c[x].to_numpy(dtype=float) for c in curves]))
    if max_points and len(grid) > max_points:  # thinned before the work, not after: 1M-step runs stay cheap
        grid = grid[np.unique(np.linspace(0, len(grid) - 1, max_points).astype(int))]
    vals = np.full((len(curves), len(grid)), np.nan)
    for i, c in enumerate(curves):
        cx, cy = c[x].to_numpy(dtype=float), c[y].to_numpy(dtype=float)
        inside = (grid >= cx[0]) & (grid <= cx[-1])
        vals[i, inside] = np.interp(grid[inside], cx, cy)
    q25, med, q75 = nanquantiles(vals, (0.25, 0.5, 0.75))
    return pd.DataFrame({x: grid, "median": med, "q25": q25, "q75": q75, "n": np.isfinite(vals).sum(0)})


def nanquantiles(vals: np.ndarray, qs: Sequence[float]) -> list[np.ndarray]:
    """np.nanquantile(vals, q, axis=0) (linear interpolation) for each q, vectorised: numpy's own loops over
    the columns in Python when there are NaNs (4 s for 12 runs of 2,000 steps; this: milliseconds). Equal to
    numpy's for finite values with NaN gaps (tested); an infinite value counts as a value, and a quantile
    between it and a finite one is infinite (numpy gives NaN for some of those)."""
    n = (~np.isnan(vals)).sum(0)  # only NaN is missing (an infinite value counts, as in numpy)
    s = np.sort(vals, axis=0)  # NaN sorts last in each column
    out = []
    for q in qs:
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        a = np.take_along_axis(s, lo[None], 0)[0]
        b = np.take_along_axis(s, hi[None], 0)[0]
        with np.errstate(invalid="ignore"):
            v = np.where((hi > lo) & (b != a), a + (b - a) * (pos - lo), a)  # (b == a: also inf == inf)
            v = np.where(np.isinf(a), a, np.where((hi > lo) & np.isinf(b), b, v))
        out.append(np.where(n > 0, v, np.nan))
    return out


def rank_correlations(results: Sequence[RunResult]) -> pd.Series:
    """Each run's Spearman correlation between its critic's estimate and its quality at the evaluations."""
    out = {}
    for r in results:
        c = r.curve.dropna(subset=["quality"]) if "estimate" in r.curve else r.curve.iloc[:0]
        c = c.dropna(subset=["estimate"]) if len(c) else c
        if len(c) >= 4:
            out[r.run] = float(c["estimate"].rank().corr(c["quality"].rank()))
    return pd.Series(out, dtype=float)


def default_thresholds(results: Sequence[RunResult], measure: str) -> list[float]:
    """Two or three thresholds worth asking about. Exact W1 has a floor (real against real): 1.5, 2 and 3
    times it. FID's floor is far below what most runs reach, so its thresholds are the quartiles of all runs'
    best values (relative: they rank the algorithms, they do not certify a quality)."""
    floors = [r.floor for r in results if np.isfinite(r.floor)]
    if measure == "w1_exact" and floors:
        f = float(np.median(floors))
        return [_round2(m * f) for m in (1.5, 2.0, 3.0)]
    best = [r.best for r in results if r.ended and np.isfinite(r.best)]
    if not best:
        return []
    return sorted({_round2(float(np.quantile(best, q))) for q in (0.25, 0.5, 0.75)})


def _round2(x: float) -> float:
    return float(f"{x:.2g}") if x > 0 and math.isfinite(x) else x


def _algos(results: Sequence[RunResult]) -> list[str]:
    order = {"wgan-gp": 0, "wgan": 1, "gan": 2}
    return sorted({r.algo for r in results}, key=lambda a: (order.get(a, 9), a))


NAMES = {"wgan-gp": "WGAN-GP", "wgan": "WGAN (clipping)", "gan": "the vanilla GAN"}


def caption(table: pd.DataFrame, threshold: float, measure: str) -> str:
    """The success rates at one threshold in plain words with their intervals, and what they let one say:
    which algorithm succeeds more often where the intervals do not overlap, else that there are not enough
    runs to tell."""
    rows = table[table["threshold"] == threshold].to_dict("records")
    rows = [r for r in rows if r["runs"] > 0]
    if not rows:
        return "No run of this study has ended yet."
    said = [f"{NAMES.get(r['algo'], r['algo'])} reached {measure} ≤ {threshold:g} in {r['succeeded']} of "
            f"{r['runs']} run{'s' * (r['runs'] != 1)}" + (f" (95% CI {r['low']:.0%}–{r['high']:.0%})"
                                                          if r["runs"] > 1 else " (one run: it says nothing "
                                                          "about the algorithm)") for r in rows]
    text = _join(said) + "."
    apart = [(a, b) for a in rows for b in rows if a is not b and a["low"] > b["high"]]
    if len(rows) < 2:
        return text
    if not apart:
        return text + " Not enough runs to tell the algorithms apart: their intervals overlap."
    better = _join([f"{NAMES.get(a['algo'], a['algo'])} succeeds more often than {NAMES.get(b['algo'], b['algo'])}"
                    for a, b in apart])
    pairs = len(rows) * (len(rows) - 1) // 2
    rest = "" if len(apart) == pairs else "; the other differences are within them"
    return f"{text} {better[0].upper()}{better[1:]}: their intervals do not overlap{rest}."


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
