"""The stop advisor held against the truth: train long runs, replay the advisor at every evaluation on
exactly what a live dashboard had then, and compare its calls with what happened to the samples.

    python -m bench.advisor [--quick] [--only "wgan-gp gaussians8"] [--early-stop 500] [--seed 0]
                            [--draws 4] [--out DIR]
    python -m bench.advisor --seeds 5 [--out DIR]     # the runs that converge in budget, over seeds 0..4

Runs already finished in --out at the same budget are scored again, not trained again.

The truth is the quality measure recomputed afterwards on every snapshot with more samples and
more draws (exact W1 on 2-D data with POT at n = 2,000; FID on the digit classifier's features at
n = 2,000 against real digits; eight paired draws: bench/advisor_truth.py), independent of the run's
own evaluations. Quality "stopped improving" at the first snapshot within 10% of the run's best (or
within twice the standard error of its paired difference from the best), the best being the lowest
running median of three snapshots (the minimum of many noisy values is biased low). A snapshot is
"at the floor" when the measure the run has cannot tell it from real data: its mean over eight
paired draws at the run's own n (1,000) within FLOOR_BAND_SD SDs of what real data scores there (the
band in which the advisor calls a run converged; the issue's "or within the measure's noise floor").
Per run the table gives the best and its step, whether the run converges in its budget (the truth
within 10% of its best by half the budget and still there at the end: the runs the targets are for),
where the advisor first said stop (plateaued,
converged or getting worse),
where `--early-stop N` would have stopped, the quality lost there and in the snapshot the run keeps
as its best by then (what the user is left with), the share of the budget saved, verdict changes per
1,000 steps, false "getting worse" calls (quality within its noise of the best), and stop calls made
while quality still improved (by more than 10% and its noise, from where it was not at the floor).

A second table shows where `--early-stop` 500, 1,000 and 2,000 would stop each run (the price of
patience); a third replays the advisor on --draws other draws of each run's evaluations (the same
snapshots evaluated by independent evaluators: bench/advisor_redraw.py), so what evaluation noise
alone decides is seen: where `--early-stop` lands draw by draw, and how often "stop" went back to "go";
a fourth replays it on the truth itself in place of the run's evaluations (Truth.as_evals), so a miss
that no evaluator could have avoided, because quality itself had paused, is told from one that better
evaluations would have.
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
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.advisor_redraw import redrawn_evals  # noqa: E402
from bench.advisor_row import Row  # noqa: E402
from bench.advisor_tables import (print_noise_table, print_patience_table, print_seeds_table, print_table,  # noqa: E402
                                  print_truth_table)
from bench.advisor_truth import truth_curve  # noqa: E402
from wgan_watch import TrainConfig, train  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402
from wgan_watch.advice import STOP_VERDICTS, advise, best_quality, stop_streak  # noqa: E402
from wgan_watch.advice.quality_trend import FLOOR_BAND_SD  # noqa: E402

# (algo, data, budget in generator steps, extra settings): budgets of 2-3x where quality stops improving
FULL = [
    ("wgan-gp", "gaussians8", 5000, {}),
    ("wgan", "gaussians8", 10000, {}),  # clipping: a slow second fall after 3,500 (5,000 ended in it)
    ("wgan", "gaussians8", 10000, {"seed": 1}),  # ...the same on other seeds and with a longer decay
    ("wgan", "gaussians8", 10000, {"lr_decay_steps": 4000}),
    ("wgan", "gaussians8", 10000, {"lr_decay_steps": 4000, "seed": 1}),
    ("wgan", "gaussians8", 10000, {"lr_decay_steps": 4000, "seed": 2}),
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
# the settings whose seed-0 run converges in its budget (the first table's "converges in budget": yes), which
# --seeds trains again on other seeds: one seed's stop says little about the advisor on the next run
CONVERGING = [FULL[0], FULL[1], FULL[7], FULL[9], FULL[10]]
REL_TOL = 0.10  # "within 10% of the run's best"
PATIENCES = (500, 1000, 2000)  # --early-stop N values whose trade-off the second table shows


def stop_flips(verdicts: list[str]) -> int:
    """How often the answer to "should I stop?" went back from yes (plateaued, converged, getting worse) to no."""
    return sum(a in STOP_VERDICTS and b not in STOP_VERDICTS for a, b in zip(verdicts, verdicts[1:]))


def draw_summary(r: Row) -> dict:
    """What one draw of a run's evaluations made of it: the figures the noise table compares."""
    return {"stop": r.early_stop_step, "lost": r.lost, "ok": r.stop_ok,
            "saved": r.saved, "premature": r.premature_plateau, "flips": stop_flips(r.verdicts),
            "false_worse": r.false_worse, "changes_per_1k": r.changes_per_1k}


def replay(run: Path, n: int, evals: pd.DataFrame | None = None) -> list[tuple[int, str, str]]:
    """(step, verdict, basis) at every evaluation, from the tables as they stood then (the run's own
    evaluations, or `evals`: another draw of them)."""
    m, ev = rf.read_metrics(run), rf.read_evals(run) if evals is None else evals
    snaps = [s for s, _ in rf.list_snapshots(run)]
    out = []
    for step in ev["step"]:
        a = advise(m[m.step <= step], ev[ev.step <= step], [s for s in snaps if s <= step], "running",
                   eval_samples=n)
        out.append((int(step), a.verdict, a.basis))
    return out


def score(algo: str, data: str, budget: int, run: Path, n: int, early_stop: int, seconds: float,
          evals: pd.DataFrame | None = None) -> Row:
    """The advisor's calls on this run against the truth; `evals`: score another draw of its evaluations."""
    truth = truth_curve(run, data)
    steps, q, measure, floor = truth.steps, truth.means, truth.name, truth.floor
    band = floor + FLOOR_BAND_SD * truth.floor_sd  # what one real-vs-real measurement at N scores

    def at_floor(i: int) -> bool:  # the run's own measure (at its n) cannot tell snapshot i from real data
        return truth.at_measure_floor(i, FLOOR_BAND_SD)
    # the run's best is a level the truth holds, not one lucky draw: the minimum of 20 noisy values is
    # biased low (it can fall below the real-vs-real floor), so "best" is the lowest running median of three
    level = np.array([np.median(q[max(0, i - 1):i + 2]) for i in range(len(q))])
    best_i = int(np.argmin(level))
    best = float(level[best_i])

    def near_best(i: int, value: float | None = None) -> bool:  # within 10% of the best, or within its noise
        v = q[i] if value is None else value
        return bool(v <= best + max(REL_TOL * best, 2 * truth.diff_se(i, best_i)))

    converged = int(steps[next(i for i in range(len(q)) if near_best(i) and near_best(i, level[i]))])
    # the runs the targets are for: a budget of at least twice where quality stopped improving,
    # with quality still near its best at the end (not a run that peaked and then fell apart)
    converges = converged <= budget // 2 and near_best(len(q) - 1, level[-1])
    verdicts = replay(run, n, evals)
    stops = [s for s, v, _ in verdicts if v in STOP_VERDICTS]
    first_stop = stops[0] if stops else None
    es = early_stop_step(verdicts, early_stop)
    i_at = min(int(np.searchsorted(steps, es)), len(steps) - 1) if es else len(steps) - 1
    at = float(q[i_at])
    # what the user is left with: the evaluator keeps the snapshot its own evaluations scored best
    ev = rf.read_evals(run) if evals is None else evals
    _, _, kept = best_quality(ev[ev.step <= (es or budget)])
    i_kept = min(int(np.searchsorted(steps, kept)), len(steps) - 1)
    changes = sum(a[1] != b[1] for a, b in zip(verdicts, verdicts[1:]))
    false_worse = sum(v == "getting worse" and near_best(min(int(np.searchsorted(steps, s)), len(q) - 1))
                      for s, v, _ in verdicts)
    premature = 0
    for s in stops:  # a stop call while quality still improved afterwards by more than 10% and its noise,
        j = int(np.searchsorted(steps, s))  # from where the run's measure could still tell it from real data
        if j < len(q):
            k = j + int(np.argmin(level[j:]))
            premature += bool(level[j] - level[k] > max(REL_TOL * level[k], 2 * truth.diff_se(j, k))
                              and not at_floor(j))
    patience = {}  # the same calls under other --early-stop N: where it stops, and whether that is fine
    for N in PATIENCES:
        s = early_stop_step(verdicts, N)
        i = min(int(np.searchsorted(steps, s)), len(steps) - 1) if s else len(steps) - 1
        patience[N] = {"stop": s, "lost": float(q[i]) / best - 1, "ok": near_best(i) or at_floor(i),
                       "saved": 1 - (s or budget) / budget}
    return Row(algo, data, budget, measure, best, int(steps[best_i]), floor, band, converged, first_stop, es, at,
               at / best - 1, near_best(i_at), at_floor(i_at), kept, float(q[i_kept]) / best - 1, near_best(i_kept),
               at_floor(i_kept),
               1 - (es or budget) / budget,
               1000 * changes / budget, false_worse, premature, [v for _, v, _ in verdicts], seconds,
               converges=converges, patience=patience)


def early_stop_step(verdicts: list[tuple[int, str, str]], early_stop: int) -> int | None:
    """Where `--early-stop N` ends the run, as the evaluator does: N steps into a streak of stop calls."""
    streak = None
    for s, v, basis in verdicts:
        streak = stop_streak(streak, v, s, basis)
        if streak is not None and s - streak >= early_stop:
            return s
    return None


def bench_one(algo: str, data: str, budget: int, extra: dict, out: Path, early_stop: int,
              seed: int = 0) -> Row:
    every = extra.pop("eval_every", 250)
    seed = extra.pop("seed", seed)
    changed = list(extra.items()) + ([("seed", seed)] if seed else [])  # what the row changes
    cfg = TrainConfig(algo=algo, data=data, steps=budget, eval_every=every, snapshot_every=every,
                      max_snapshots=budget // every + 2, sample_every=max(every, budget // 20), progress=False,
                      run_dir=str(out / "-".join([algo, data] + [f"{k.replace('_', '-')}{v}" for k, v in changed])),
                      seed=seed, **extra)
    run, t = Path(cfg.run_dir), time.time()
    done = rf.read_json(run / "status.json") if (run / "status.json").exists() else {}
    if done.get("state") == "finished" and done.get("step") == budget:  # trained before: score it again
        row = score(algo, data, budget, run, cfg.eval_samples, early_stop, float(done.get("session_s", 0)))
    else:
        shutil.rmtree(run, ignore_errors=True)
        train(cfg)
        row = score(algo, data, budget, run, cfg.eval_samples, early_stop, time.time() - t)
    row.run = str(run)
    row.variant = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in changed)
    return row


def rescored(row: Row, evals: pd.DataFrame, early_stop: int) -> dict:
    """The row's run replayed on another evaluation table and scored: draw_summary of its calls."""
    n = TrainConfig.load(Path(row.run) / "config.json").eval_samples
    return draw_summary(score(row.algo, row.data, row.budget, Path(row.run), n, early_stop, 0.0, evals=evals))


def score_on_truth(row: Row, early_stop: int) -> None:
    """The advisor replayed on the truth in place of the run's evaluations (Truth.as_evals): a stop that
    misses here is not the run's evaluation noise, since the truth itself had not moved by then."""
    run = Path(row.run)
    row.on_truth = rescored(row, truth_curve(run, row.data).as_evals(rf.read_evals(run)), early_stop)


def score_draws(row: Row, draws: int, early_stop: int) -> None:
    """The run's own evaluations and `draws` others (bench/advisor_redraw.py), each replayed and scored."""
    row.draws = [draw_summary(row)] + [rescored(row, ev, early_stop) for ev in redrawn_evals(Path(row.run), draws)]


def main(argv=None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one short WGAN-GP run on gaussians8 (a slow test)")
    ap.add_argument("--only", help="settings whose 'algo data' contains this")
    ap.add_argument("--early-stop", type=int, default=500, help="the --early-stop N to evaluate (steps)")
    ap.add_argument("--seed", type=int, default=0, help="train with this seed (the same runs, other draws)")
    ap.add_argument("--out", type=Path, help="keep the runs and a JSON of the results here")
    ap.add_argument("--draws", type=int, default=4,
                    help="other draws of each run's evaluations to replay (0: the run's own only)")
    ap.add_argument("--seeds", type=int, default=0, help="train the settings that converge in their budget on "
                    "seeds 0..N-1 and report the stop over seeds: median and range (no redraws, no truth replay)")
    args = ap.parse_args(argv)
    if args.seeds:
        return over_seeds(args)
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
        if args.draws:
            score_draws(r, args.draws, args.early_stop)
        score_on_truth(r, args.early_stop)
    print()
    print_table(rows, args.early_stop)
    print("\nThe price of patience: the same calls under other --early-stop N (ok: within 10% of the best, "
          "its noise, or at the floor)\n")
    print_patience_table(rows)
    if args.draws:
        print(f"\nEvaluation noise alone: each run's own evaluations, then {args.draws} other draws of them "
              "(bench/advisor_redraw.py)\n")
        print_noise_table(rows, args.early_stop)
    print("\nThe advisor on the truth itself: each run's evaluations replaced by the truth's means (twice the "
          "samples, eight paired draws)\n")
    print_truth_table(rows, args.early_stop)
    (out / "advisor.json").write_text(json.dumps([asdict(r) for r in rows], indent=1, default=float))
    return rows


def over_seeds(args) -> list[Row]:
    """--seeds N: the stop step, the quality lost there and the budget saved, over seeds, per setting."""
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-advisor-seeds-"))
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WGAN_WATCH_CACHE", str(out / ".cache"))
    settings = [s for s in CONVERGING if not args.only or args.only in f"{s[0]} {s[1]}"]
    print(f"Stop advisor over seeds 0..{args.seeds - 1}: {platform.machine()}, {os.cpu_count()} cores, "
          f"--early-stop {args.early_stop}; runs in {out}", flush=True)
    rows = []
    for algo, data, budget, extra in settings:
        for seed in range(args.seeds):
            r = bench_one(algo, data, budget, {**extra, "seed": seed}, out, args.early_stop)
            r.variant = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in extra.items() if k != "eval_every")
            rows.append(r)
            print(f"{algo} {data} seed {seed}: {r.seconds:.0f} s, stops at {r.early_stop_step}, "
                  f"{r.lost:+.1%}, saves {r.saved:.0%}, converges in budget: {r.converges}", flush=True)
    print()
    print_seeds_table(rows, args.early_stop, args.seeds)
    (out / "advisor-seeds.json").write_text(json.dumps([asdict(r) for r in rows], indent=1, default=float))
    return rows


if __name__ == "__main__":
    main()
