"""What the stop advisor would do with another 2-D quality measure in the trainer's place.

    python -m bench.advisor_measures --runs DIR [--draws 4] [--early-stop 500]

DIR holds the 2-D runs of `python -m bench.advisor --out DIR` (snapshots every evaluation, and the
truth in each run's truth.json). For each run and each candidate measure, `--draws` independent
evaluators (each its own fixed real reference and fixed latents, and a floor from five real-vs-real
repeats, as trainer/evaluator.py does) score every snapshot; the advisor is replayed on each draw and
scored against the same truth as bench.advisor (exact W1 at n = 2,000, eight paired draws). Printed
per run and measure: one evaluation's time, how well one draw ranks the snapshots as the truth does
(Spearman), the level against the measure's own floor, and where `--early-stop` lands draw by draw.

The candidates spend the evaluation budget differently (the issue: "more points, repeated draws, or
a cheaper estimator where you show it agrees"): exact W1 at n = 1,000 (the trainer's), the mean of two
such pairs, sliced W1 at n = 20,000 over 64 fixed directions (sorting is cheap, so n can be large), and
exact W1 at n = 1,000 on *balanced* samples: a stratified reference (every mode n / K points; the swiss
roll one point per stratum of its length) and quasi-random latents (scrambled Sobol points through the
normal quantile), so that neither side carries the multinomial mode-weight noise that dominates W1
between two independent samples of a mixture; its floor is a balanced reference against other balanced
real samples, what a generator with the data's exact mode weights scores.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from bench.advisor import score  # noqa: E402
from bench.advisor_redraw import evaluator_draw  # noqa: E402
from bench.advisor_truth import scored_toy_runs, truth_curve  # noqa: E402
from wgan_watch import TrainConfig  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402
from wgan_watch.artifacts import load_generator  # noqa: E402
from wgan_watch.data import load_data  # noqa: E402
from wgan_watch.quality.evaluate import w1_exact  # noqa: E402
from wgan_watch.evaluator import FLOOR_REPEATS  # noqa: E402

DIRECTIONS = 64
_ANGLES = np.pi * np.arange(DIRECTIONS) / DIRECTIONS
_UNIT = np.stack([np.cos(_ANGLES), np.sin(_ANGLES)])  # (2, DIRECTIONS): evenly spaced, no Monte Carlo noise


def sliced_w1(a: np.ndarray, b: np.ndarray) -> float:
    """Sliced W1 of two equal-size 2-D point sets: the 1-D earth-mover distance of their projections
    (sorted values matched in order), averaged over DIRECTIONS evenly spaced directions."""
    return float(np.abs(np.sort(a @ _UNIT, axis=0) - np.sort(b @ _UNIT, axis=0)).mean())


def quasi_normal(n: int, dim: int, g: torch.Generator) -> torch.Tensor:
    """n latents that fill N(0, I) evenly: scrambled Sobol points (scramble seeded from g) through the
    normal quantile function."""
    seed = int(torch.randint(2 ** 31 - 1, (1,), generator=g))
    u = torch.quasirandom.SobolEngine(dim, scramble=True, seed=seed).draw(n, dtype=torch.float64)
    return (math.sqrt(2) * torch.erfinv(2 * u.clamp(1e-9, 1 - 1e-9) - 1)).float()


def balanced_draw(cfg: TrainConfig, data, g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                            list[torch.Tensor]]:
    """(latents, reference, FLOOR_REPEATS other real samples) as evaluator_draw, balanced: quasi-random
    latents, stratified real samples."""
    z = quasi_normal(n, cfg.latent_dim, g)
    return z, data.sample(n, g, balanced=True), [data.sample(n, g, balanced=True) for _ in range(FLOOR_REPEATS)]


# name: (distance, points per side, independent pairs averaged, balanced samples)
CANDIDATES: dict[str, tuple[Callable[[np.ndarray, np.ndarray], float], int, int, bool]] = {
    "exact W1, n = 1,000": (w1_exact, 1000, 1, False),
    "exact W1, 2 x 1,000": (w1_exact, 1000, 2, False),
    "sliced W1, n = 20,000": (sliced_w1, 20_000, 1, False),
    "exact W1, n = 1,000, balanced": (w1_exact, 1000, 1, True),
}


@torch.no_grad()
def draw_evals(run: Path, cfg: TrainConfig, ev: pd.DataFrame, steps: list[int], name: str,
               seed: int) -> tuple[pd.DataFrame, float]:
    """(the run's evals with w1_exact and the floor replaced by this draw of the candidate, seconds per
    evaluation). The candidate's values go in the w1_exact column: the advisor reads that column."""
    fn, n, pairs, balanced = CANDIDATES[name]
    data = load_data(cfg, torch.device("cpu"))
    g = torch.Generator().manual_seed(seed)
    sets = []
    for _ in range(pairs):
        z, reference, others = (balanced_draw if balanced else evaluator_draw)(cfg, data, g, n)
        sets.append((z, reference.double().numpy(), [o.double().numpy() for o in others]))
    floors = np.mean([[fn(ref, o) for o in others] for _, ref, others in sets], axis=0)
    values, seconds = [], []
    for s in steps:
        G = load_generator(run, step=s)
        t = time.perf_counter()
        values.append(np.mean([fn(ref, G(z).double().numpy()) for z, ref, _ in sets]))
        seconds.append(time.perf_counter() - t)
    out = ev[ev["step"].isin(steps)].copy()
    out["w1_exact"] = out["step"].map(dict(zip(steps, values)))
    out["floor"], out["floor_sd"] = float(np.mean(floors)), float(np.std(floors, ddof=1))
    return out.reset_index(drop=True), statistics.median(seconds)


def compare(run: Path, draws: int, early_stop: int, measures: list[str]) -> None:
    cfg = TrainConfig.load(run / "config.json").resolved()
    truth = truth_curve(run, cfg.data)
    ev = rf.read_evals(run)
    steps = [int(s) for s in truth.steps if s in set(ev["step"])]
    t = pd.Series(truth.means[np.searchsorted(truth.steps, steps)])
    for name in measures:
        rows, rhos, secs, levels = [], [], [], []
        for d in range(draws):
            table, sec = draw_evals(run, cfg, ev, steps, name, 20_000 + d)
            secs.append(sec)
            rhos.append(table["w1_exact"].corr(t, method="spearman"))
            levels.append((table["w1_exact"].iloc[-len(steps) // 3:].median(), table["floor"].iloc[0]))
            rows.append(score(cfg.algo, cfg.data, cfg.steps, run, cfg.eval_samples, early_stop, 0.0, evals=table))
        ok = sum(r.stop_ok for r in rows)
        stops = ", ".join(f"{r.early_stop_step:,}" if r.early_stop_step else "never" for r in rows)
        level, floor = np.median(levels, axis=0)
        print(f"| {run.name} | {name} | {statistics.median(secs) * 1000:.0f} ms | {np.median(rhos):.2f} | "
              f"{level:.4f} / {floor:.4f} | {stops} | {ok} of {draws} | "
              f"{min(r.saved for r in rows):.0%}-{max(r.saved for r in rows):.0%} | "
              f"{' '.join(str(r.premature_plateau) for r in rows)} |", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, required=True, help="bench.advisor's --out: runs with their truth.json")
    ap.add_argument("--draws", type=int, default=4, help="independent evaluators per measure")
    ap.add_argument("--early-stop", type=int, default=500)
    ap.add_argument("--measures", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES),
                    metavar="NAME", help="measures to compare (default: all): " + "; ".join(CANDIDATES))
    args = ap.parse_args(argv)
    try:
        runs = scored_toy_runs(args.runs)
    except ValueError as e:
        ap.error(str(e))
    print(f"The advisor with other 2-D measures: {platform.machine()}, {os.cpu_count()} cores, {args.draws} "
          f"draws each, --early-stop {args.early_stop}\n")
    print(f"| run | measure | one evaluation | rank corr. with the truth (one draw) | level / floor (last third) "
          f"| --early-stop {args.early_stop} stops at | within 10% / noise / floor | budget saved | premature stop calls |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        compare(run, args.draws, args.early_stop, args.measures)


if __name__ == "__main__":
    main()
