"""The stop advisor held against the truth: train long runs, replay the advisor at every evaluation on
exactly what a live dashboard had then, and compare its calls with what happened to the samples.

    python -m bench.advisor [--quick] [--only "wgan-gp gaussians8"] [--early-stop 500] [--seed 0] [--out DIR]

Runs already finished in --out at the same budget are scored again, not trained again.

The truth is the quality measure recomputed afterwards on every snapshot with more samples and
fresh draws (exact W1 on 2-D data with POT at n = 2,000; FID on the digit classifier's features at
n = 2,000 against real digits; four draws each: bench/advisor_truth.py), independent of the run's own
evaluations. Quality "stopped improving" at the first snapshot within 10% of the run's best (or
within the measure's noise of it), the best being the lowest running median of three snapshots (the
minimum of many noisy values is biased low). A snapshot is "at the floor" when the truth cannot tell
it from real data: within FLOOR_BAND_SD SDs of the truth's own real-vs-real floor (the band in which
the advisor calls a run converged; the issue's "or within the measure's noise floor"). Per run the
table gives the best and its step, where the advisor first said plateaued or converged, where
`--early-stop N` would have stopped, the quality lost there and in the snapshot the run keeps as its
best by then (what the user is left with), the share of the budget saved, verdict changes per 1,000
steps, false "getting worse" calls (quality within its noise of the best), and plateau calls made
while quality still improved.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.advisor_truth import truth_curve  # noqa: E402
from trainer import TrainConfig, train  # noqa: E402
from trainer import runfiles as rf  # noqa: E402
from trainer.advice import STOP_VERDICTS, advise, best_quality, stop_streak  # noqa: E402
from trainer.quality_trend import FLOOR_BAND_SD  # noqa: E402

# (algo, data, budget in generator steps, extra settings): budgets of 2-3x where quality stops improving
FULL = [
    ("wgan-gp", "gaussians8", 5000, {}),
    ("wgan", "gaussians8", 10000, {}),  # clipping: a slow second fall after 3,500 (5,000 ended in it)
    ("gan", "gaussians8", 4000, {}),
    ("wgan-gp", "gaussians25", 6000, {}),
    ("wgan", "gaussians25", 4000, {}),
    ("wgan-gp", "swissroll", 4000, {}),
    ("wgan", "swissroll", 4000, {}),
    ("wgan-gp", "digits", 4000, {}),
    ("wgan", "digits", 12000, {}),  # clipping: best still at the last step of 6,000
    ("gan", "digits", 4000, {}),
]
QUICK = [("wgan-gp", "gaussians8", 5000, {"eval_every": 250})]
REL_TOL = 0.10  # "within 10% of the run's best"


@dataclass
class Row:
    algo: str
    data: str
    budget: int
    measure: str
    best: float
    best_step: int
    floor: float  # the truth's real-vs-real floor at its n
    floor_band: float  # ... its top: FLOOR_BAND_SD above the floor, what real data scores
    converged_step: int  # truth: first snapshot within 10% of the best (or its noise)
    first_stop_call: int | None  # first evaluation where the advisor said plateaued/converged
    early_stop_step: int | None  # where --early-stop N stops
    quality_at_stop: float
    lost: float  # quality at the stop relative to the best (0.05 = 5% worse)
    within_noise: bool  # the quality at the stop is within the truth's noise of the best
    at_floor: bool  # ... or the truth cannot tell it from real data
    kept_step: int  # the snapshot the run keeps as its best by then (its own evaluations' lowest)
    kept_lost: float  # that snapshot's quality relative to the best
    kept_within_noise: bool
    kept_at_floor: bool
    saved: float  # share of the budget not trained
    changes_per_1k: float
    false_worse: int
    premature_plateau: int  # stop calls while the truth still improved by more than 10% and its noise
    verdicts: list
    seconds: float


def replay(run: Path, n: int) -> list[tuple[int, str, int | None]]:
    """(step, verdict, since) at every evaluation, from the tables as they stood then."""
    m, ev = rf.read_metrics(run), rf.read_evals(run)
    snaps = [s for s, _ in rf.list_snapshots(run)]
    out = []
    for step in ev["step"]:
        a = advise(m[m.step <= step], ev[ev.step <= step], [s for s in snaps if s <= step], "running",
                   eval_samples=n)
        out.append((int(step), a.verdict, a.since_step))
    return out


def score(algo: str, data: str, budget: int, run: Path, n: int, early_stop: int, seconds: float) -> Row:
    steps, q, se, measure, (floor, floor_sd) = truth_curve(run, data)
    band = floor + FLOOR_BAND_SD * floor_sd
    # the run's best is a level the truth holds, not one lucky draw: the minimum of 20 noisy values is
    # biased low (it can fall below the real-vs-real floor), so "best" is the lowest running median of three
    level = np.array([np.median(q[max(0, i - 1):i + 2]) for i in range(len(q))])
    best_i = int(np.argmin(level))
    best = float(level[best_i])

    def near_best(i: int, value: float | None = None) -> bool:  # within 10% of the best, or within its noise
        v = q[i] if value is None else value
        return bool(v <= best + max(REL_TOL * best, 2 * np.hypot(se[i], se[best_i])))

    converged = int(steps[next(i for i in range(len(q)) if near_best(i) and near_best(i, level[i]))])
    verdicts = replay(run, n)
    stops = [s for s, v, _ in verdicts if v in STOP_VERDICTS]
    first_stop = stops[0] if stops else None
    es, streak = None, None  # as the evaluator: N steps after the first call of a streak of stop calls
    for s, v, _ in verdicts:
        streak = stop_streak(streak, v, s)
        if streak is not None and s - streak >= early_stop:
            es = s
            break
    i_at = min(int(np.searchsorted(steps, es)), len(steps) - 1) if es else len(steps) - 1
    at = float(q[i_at])
    # what the user is left with: the evaluator keeps the snapshot its own evaluations scored best
    ev = rf.read_evals(run)
    _, _, kept = best_quality(ev[ev.step <= (es or budget)])
    i_kept = min(int(np.searchsorted(steps, kept)), len(steps) - 1)
    changes = sum(a[1] != b[1] for a, b in zip(verdicts, verdicts[1:]))
    false_worse = sum(v == "getting worse" and near_best(min(int(np.searchsorted(steps, s)), len(q) - 1))
                      for s, v, _ in verdicts)
    premature = 0
    for s in stops:  # a stop call while quality still improved afterwards by more than 10% and its noise
        j = int(np.searchsorted(steps, s))
        if j < len(q):
            k = j + int(np.argmin(level[j:]))
            premature += bool(level[j] - level[k] > max(REL_TOL * level[k], 2 * np.hypot(se[j], se[k])))
    return Row(algo, data, budget, measure, best, int(steps[best_i]), floor, band, converged, first_stop, es, at,
               at / best - 1, near_best(i_at), at <= band, kept, float(q[i_kept]) / best - 1, near_best(i_kept),
               float(q[i_kept]) <= band,
               1 - (es or budget) / budget,
               1000 * changes / budget, false_worse, premature, [v for _, v, _ in verdicts], seconds)


def bench_one(algo: str, data: str, budget: int, extra: dict, out: Path, early_stop: int,
              seed: int = 0) -> Row:
    every = extra.pop("eval_every", 250)
    cfg = TrainConfig(algo=algo, data=data, steps=budget, eval_every=every, snapshot_every=every,
                      max_snapshots=budget // every + 2, sample_every=max(every, budget // 20), progress=False,
                      run_dir=str(out / f"{algo}-{data}" if seed == 0 else out / f"{algo}-{data}-seed{seed}"),
                      seed=seed, **extra)
    run, t = Path(cfg.run_dir), time.time()
    done = rf.read_json(run / "status.json") if (run / "status.json").exists() else {}
    if done.get("state") == "finished" and done.get("step") == budget:  # trained before: score it again
        return score(algo, data, budget, run, cfg.eval_samples, early_stop, float(done.get("session_s", 0)))
    shutil.rmtree(run, ignore_errors=True)
    train(cfg)
    return score(algo, data, budget, run, cfg.eval_samples, early_stop, time.time() - t)


def noted(within_noise: bool, at_floor: bool) -> str:
    """How a quality lost reads in the table: in the best's noise, or where real data scores."""
    return " (in noise)" if within_noise else " (at the floor)" if at_floor else ""


def print_table(rows: list[Row], early_stop: int) -> None:
    print(f"| algo | data | budget | measure | best (step) | truth: within 10% from | first stop call | "
          f"--early-stop {early_stop} stops at | quality lost there | best snapshot kept then: lost | budget saved | "
          f"verdict changes / 1k steps | false 'worse' | premature stop calls |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        stop = f"{r.early_stop_step:,}" if r.early_stop_step else "never"
        lost = f"{r.lost:+.1%}" + noted(r.within_noise, r.at_floor)
        kept = f"{r.kept_step:,}: {r.kept_lost:+.1%}" + noted(r.kept_within_noise, r.kept_at_floor)
        print(f"| {r.algo} | {r.data} | {r.budget:,} | {r.measure} | {r.best:.4g} ({r.best_step:,}) | "
              f"{r.converged_step:,} | {r.first_stop_call or 'never'} | {stop} | {lost} | {kept} | {r.saved:.0%} | "
              f"{r.changes_per_1k:.2f} | {r.false_worse} | {r.premature_plateau} |", flush=True)


def main(argv=None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one short WGAN-GP run on gaussians8 (a slow test)")
    ap.add_argument("--only", help="settings whose 'algo data' contains this")
    ap.add_argument("--early-stop", type=int, default=500, help="the --early-stop N to evaluate (steps)")
    ap.add_argument("--seed", type=int, default=0, help="train with this seed (the same runs, other draws)")
    ap.add_argument("--out", type=Path, help="keep the runs and a JSON of the results here")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-advisor-"))
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WGAN_WATCH_CACHE", str(out / ".cache"))
    settings = [s for s in (QUICK if args.quick else FULL) if not args.only or args.only in f"{s[0]} {s[1]}"]
    print(f"Stop advisor against the truth: {platform.machine()}, {os.cpu_count()} cores, "
          f"--early-stop {args.early_stop}; runs in {out}", flush=True)
    rows = []
    for algo, data, budget, extra in settings:
        rows.append(bench_one(algo, data, budget, dict(extra), out, args.early_stop, args.seed))
        r = rows[-1]
        print(f"{algo} {data}: {r.seconds:.0f} s; verdicts at each evaluation: {' '.join(v[:4] for v in r.verdicts)}",
              flush=True)
    print()
    print_table(rows, args.early_stop)
    (out / "advisor.json").write_text(json.dumps([asdict(r) for r in rows], indent=1, default=float))
    return rows


if __name__ == "__main__":
    main()
