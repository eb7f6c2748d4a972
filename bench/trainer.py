"""Trainer vs a plain reference loop, same machine, same models, alternating runs.

    python -m bench.trainer [--pairs 3] [--scale 1.0] [--device cpu|cuda]

For each setting, runs (a) this trainer with all its logging, sampling, snapshots,
checkpoints and evaluations at their default intervals and (b) bench/plain.py's
loop, in alternation, and prints generator steps/s for each, their ratio (median of
the pairs) and the share of the trainer's time spent on logging and evaluation.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.plain import plain_loop  # noqa: E402
from wgan_watch import TrainConfig, train  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402

SETTINGS = [  # (algo, data, generator steps at --scale 1): 20-35 s of training each on a 2-core CPU,
    # each run pays for its first (cold) evaluation and its last, as a user's run does
    ("wgan-gp", "gaussians8", 500),
    ("wgan", "gaussians8", 500),
    ("wgan-gp", "digits", 250),
    ("wgan", "digits", 250),
    ("gan", "digits", 1000),
]


def trainer_rate(cfg: TrainConfig) -> tuple[float, float]:
    run = train(cfg)
    st = rf.read_json(run / "status.json")
    overhead = sum(st["overhead_s"].values())
    return cfg.steps / st["session_s"], overhead / st["session_s"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every setting's step count")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--only", help="run only settings whose 'algo data' contains this")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    os.environ.setdefault("WGAN_WATCH_CACHE", str(tmp / "cache"))
    print(f"Trainer vs plain loop: {platform.machine()}, {os.cpu_count()} cores, torch threads "
          f"{__import__('torch').get_num_threads()}, device {args.device}; median of {args.pairs} alternating pairs")
    print("| algo | data | steps | trainer steps/s | plain steps/s | ratio (median of pairs) | logging+eval share |")
    print("|---|---|---|---|---|---|---|")
    for algo, data, steps in SETTINGS:
        if args.only and args.only not in f"{algo} {data}":
            continue
        steps = max(30, int(steps * args.scale))
        t_rates, p_rates, ratios, shares = [], [], [], []
        for i in range(args.pairs):
            cfg = TrainConfig(algo=algo, data=data, steps=steps, device=args.device, progress=False,
                              run_dir=str(tmp / f"{algo}-{data}-{i}"))
            tr, share = trainer_rate(cfg)
            pr = plain_loop(cfg, steps, device=args.device)
            t_rates.append(tr), p_rates.append(pr), ratios.append(tr / pr), shares.append(share)
        print(f"| {algo} | {data} | {steps} | {statistics.median(t_rates):.2f} | {statistics.median(p_rates):.2f} | "
              f"{statistics.median(ratios):.3f} | {statistics.median(shares):.1%} |", flush=True)


if __name__ == "__main__":
    main()
