"""What a Recorder.log call costs the loop that makes it, flushes included.

    python -m bench.recorder [--calls 200000] [--repeat 5]

Times rec.log(step, w_estimate=..., loss_d=..., loss_g=..., gp=...) in a tight loop with
Python floats, with 0-d CPU tensors, and the trainer's batched form (one 1-D tensor per
step); every flush (each 2 s, or 4,096 rows) is inside the timing, so the figure is what a
training loop pays per step on average. Median and spread of --repeat, microseconds per call.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wgan_watch import Recorder  # noqa: E402


def per_call_us(kind: str, calls: int, where: Path) -> float:
    import torch

    row = torch.tensor([0.5, -0.4, 0.1, 0.2, 0.3, 0.01, 1.0, float("nan")])
    names = ("w_estimate", "loss_d", "loss_g", "d_real", "d_fake", "gp", "grad_norm", "clip_frac")
    w, d, g, p = torch.tensor(0.5), torch.tensor(-0.4), torch.tensor(0.1), torch.tensor(0.01)
    with Recorder(where, algo="wgan-gp") as rec:
        t = time.perf_counter()
        if kind == "floats":
            for s in range(1, calls + 1):
                rec.log(s, w_estimate=0.5, loss_d=-0.4, loss_g=0.1, gp=0.01)
        elif kind == "tensors":
            for s in range(1, calls + 1):
                rec.log(s, w_estimate=w, loss_d=d, loss_g=g, gp=p)
        else:
            for s in range(1, calls + 1):
                rec.log_row(s, names, row, critic_iters=5)
        rec.flush()
        return (time.perf_counter() - t) / calls * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-recorder-"))
    print(f"Recorder.log: {args.calls:,} calls per measurement, flushes included; {platform.machine()}, "
          f"{os.cpu_count()} cores; median (min-max) of {args.repeat}, microseconds per call")
    print("| values | µs per call |")
    print("|---|---|")
    for kind, label in (("floats", "4 Python floats"), ("tensors", "4 0-d CPU tensors"),
                        ("row", "one 1-D tensor of 8 (the trainer's form)")):
        xs = [per_call_us(kind, args.calls, tmp / f"{kind}-{i}") for i in range(args.repeat)]
        print(f"| {label} | {statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f}) |", flush=True)


if __name__ == "__main__":
    main()
