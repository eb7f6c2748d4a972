"""What the sample size of a 2-D evaluation buys and what it costs against the 2% evaluation budget.

    python -m bench.toy_resolution --runs DIR [--repeat 12] [--sizes 500 1000 1500 2000 1000x2]

The trainer scores every snapshot with exact W1 (POT) between a fixed real reference and the
generator's samples from fixed latents, so what the stop advisor sees is the *change* of a paired
measurement. This bench asks, for each 2-D run in DIR (the runs of `python -m bench.advisor --out
DIR`, with their truth.json) and each sample size n ("1000x2": the mean of two such pairs):

- the floor: W1 between the reference and another real sample (what a perfect generator scores),
  mean ± SD over --repeat independent draws;
- the resolution: two real snapshots of the run, A (the first the truth puts within 25% of the best)
  and B (the truth's best), the last stretch of its improvement, scored as the trainer does: on the
  same reference and the same latents. The measured W1(A) - W1(B), mean ± SD over the draws, and
  its signal-to-noise ratio: how clearly one evaluation tells them apart;
- the cost: median seconds of one evaluation's W1 at n, and its share of the time when evaluating
  every 250 steps at that algorithm's step rate (bench.step's models and step, measured here). The
  trainer spaces evaluations out when one takes over 2% (trainer/schedule.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.advisor_truth import scored_toy_runs, truth_curve  # noqa: E402
from bench.step import FORMS, make, rate  # noqa: E402
from wgan_watch import TrainConfig  # noqa: E402
from wgan_watch.artifacts import load_generator  # noqa: E402
from wgan_watch.data import load_data  # noqa: E402
from wgan_watch.quality.evaluate import w1_exact  # noqa: E402
from wgan_watch.schedule import EVAL_BUDGET  # noqa: E402

EVERY = 250  # the trainer's evaluation interval before any spacing


def parse_size(text: str) -> tuple[int, int]:
    """'1500' -> (1500, 1); '1000x2' -> (1000, 2): n points, averaged over k pairs."""
    n, _, k = text.partition("x")
    return int(n), int(k or 1)


def snapshot_pair(run: Path) -> tuple[int, int] | None:
    """(A, B): the first snapshot the truth puts within 25% of the best level, and the best (the lowest
    running median of three, as bench.advisor has it); None when the best comes first (no gain to see)."""
    truth = truth_curve(run, TrainConfig.load(run / "config.json").data)
    steps, means = truth.steps, truth.means
    level = np.array([np.median(means[max(0, i - 1):i + 2]) for i in range(len(means))])
    best = int(np.argmin(level))
    first = next(i for i in range(len(means)) if means[i] <= 1.25 * level[best])
    return (int(steps[first]), int(steps[best])) if first < best else None


def resolution(run: Path, pair: tuple[int, int], n: int, k: int, repeat: int) -> dict:
    """Floor and paired change W1(A) - W1(B), over `repeat` independent draws of k pairs of n points."""
    cfg = TrainConfig.load(run / "config.json").resolved()
    sampler = load_data(cfg, torch.device("cpu"))
    a, b = (load_generator(run, step=s) for s in pair)
    g = torch.Generator().manual_seed(1)
    floors, changes, seconds = [], [], []
    for _ in range(repeat):
        f_sum = c_sum = 0.0
        for _ in range(k):
            ref, other = (sampler.sample(n, g).double().numpy() for _ in range(2))
            z = torch.randn(n, cfg.latent_dim, generator=g)
            with torch.no_grad():
                fa, fb = a(z).double().numpy(), b(z).double().numpy()
            t = time.perf_counter()
            f_sum += w1_exact(ref, other)
            seconds.append(time.perf_counter() - t)
            c_sum += w1_exact(ref, fa) - w1_exact(ref, fb)
        floors.append(f_sum / k)
        changes.append(c_sum / k)
    return {"floor": (np.mean(floors), np.std(floors, ddof=1)), "change": (np.mean(changes), np.std(changes, ddof=1)),
            "seconds": k * statistics.median(seconds)}


def step_rate(algo: str, data: str, n_steps: int) -> float:
    """Generator steps/s of a toy algorithm (default models, the trainer's optimizer form), median of 3."""
    step, cfg = make(algo, data, FORMS["fused"], torch.device("cpu"))
    return statistics.median(rate(step, cfg, n_steps) for _ in range(3))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, required=True, help="bench.advisor's --out: runs with their truth.json")
    ap.add_argument("--repeat", type=int, default=12, help="independent draws per size")
    ap.add_argument("--sizes", nargs="+", default=["500", "1000", "1500", "2000", "1000x2"])
    ap.add_argument("--steps", type=int, default=60, help="generator steps per rate measurement")
    args = ap.parse_args(argv)
    try:
        runs = scored_toy_runs(args.runs)
    except ValueError as e:
        ap.error(str(e))
    print(f"Exact W1 per evaluation: {platform.machine()}, {os.cpu_count()} cores, {args.repeat} draws per size")
    print("\n| run | A -> B (truth) | n | seconds | share at 250 steps | floor | W1(A) - W1(B) | signal/noise |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        cfg = TrainConfig.load(run / "config.json")
        pair = snapshot_pair(run)
        if pair is None:
            continue
        truth = truth_curve(run, cfg.data)
        ta, tb = (truth.means[list(truth.steps).index(s)] for s in pair)
        per_step = 1 / step_rate(cfg.algo, cfg.data, args.steps)
        for size in args.sizes:
            n, k = parse_size(size)
            r = resolution(run, pair, n, k, args.repeat)
            share = r["seconds"] / (EVERY * per_step)
            (fm, fs), (cm, cs) = r["floor"], r["change"]
            print(f"| {run.name} | {pair[0]:,} -> {pair[1]:,} ({ta:.3f} -> {tb:.3f}) | {size} | {r['seconds']:.3f} | "
                  f"{share:.1%}{'' if share <= EVAL_BUDGET else ' (spaced)'} | {fm:.4f} ± {fs:.4f} | "
                  f"{cm:.4f} ± {cs:.4f} | {cm / cs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
