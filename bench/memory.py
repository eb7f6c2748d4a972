"""The trainer's resident memory over a long run.

    python -m bench.memory [--steps 20000] [--algo wgan-gp] [--data gaussians8] [--every 2] [-- TRAINER FLAGS]

Starts `python -m trainer` as a child process with everything at its defaults
(logging, evaluations, samples, snapshots, checkpoints), reads its resident set
size from /proc every `--every` seconds together with the step in status.json, and
prints RSS at a few points and the growth per 1,000 steps over the second half
(after warm-up allocations have settled). Flat memory means that growth is ~0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def current_step(run: Path) -> int:
    try:
        return int(json.loads((run / "status.json").read_text()).get("step") or 0)
    except (OSError, ValueError):
        return 0


def slope_per_1000(points: list[tuple[int, float]]) -> float:
    """Least-squares MiB per 1,000 steps."""
    n = len(points)
    if n < 2:
        return float("nan")
    mx = sum(s for s, _ in points) / n
    my = sum(m for _, m in points) / n
    sxx = sum((s - mx) ** 2 for s, _ in points)
    return 1000 * sum((s - mx) * (m - my) for s, m in points) / sxx if sxx else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--algo", default="wgan-gp")
    ap.add_argument("--data", default="gaussians8")
    ap.add_argument("--every", type=float, default=2.0, help="seconds between readings")
    ap.add_argument("trainer_args", nargs="*", help="more trainer flags, after --")
    args = ap.parse_args()
    run = Path(tempfile.mkdtemp()) / "run"
    cmd = [sys.executable, "-m", "trainer", "--algo", args.algo, "--data", args.data, "--steps", str(args.steps),
           "--device", "cpu", "--no-progress", "--run-dir", str(run), *args.trainer_args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "WGAN_WATCH_CACHE": str(run.parent / "cache")})
    t0 = time.time()
    points: list[tuple[int, float]] = []
    while proc.poll() is None:
        try:
            points.append((current_step(run), rss_mb(proc.pid)))
        except OSError:
            break
        time.sleep(args.every)
    if proc.returncode:
        sys.exit(f"the trainer exited with code {proc.returncode}")
    wall = time.time() - t0
    print(f"Trainer resident memory: {' '.join(cmd[2:10])}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{len(points)} readings over {wall:.0f} s")
    print("| step | RSS MiB |")
    print("|---|---|")
    marks = [m for m in (100, 1000, 2000, 5000, 10000, 15000, 20000, 50000, 100000) if m <= args.steps]
    for mark in marks:
        at = [m for s, m in points if s >= mark]
        if at:
            print(f"| {mark} | {at[0]:.0f} |")
    second_half = [(s, m) for s, m in points if s >= args.steps // 2]
    late = [m for _, m in second_half]
    if late:
        print(f"\nsecond half: min {min(late):.0f} MiB, max {max(late):.0f} MiB, "
              f"growth {slope_per_1000(second_half):+.2f} MiB per 1,000 steps; peak overall {max(m for _, m in points):.0f} MiB")


if __name__ == "__main__":
    main()
