"""What watching costs the trainer: its steps/s alone, and with a dashboard page open in Chromium beside it.

    python -m bench.observer [--window 20] [--repeat 3] [--threads N]

One trainer (WGAN-GP on gaussians8, the default model) trains on this machine; its steps per second
are counted from its own metrics rows over a window, alternating: alone, with the Monitor page open
on it, with the Runs page open, and with the Compare page open on a trio it belongs to (headless
Chromium through Playwright, the dashboard server on the same machine). Medians of --repeat.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser_harness import Browser, Server, cpu_seconds  # noqa: E402
from tests.fixtures import write_fixture_run  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402


def steps_per_s(run: Path, t0: float, t1: float) -> float:
    m = rf.read_metrics(run)
    n = int(((m["time"] >= t0) & (m["time"] < t1)).sum())
    return n / (t1 - t0)


def start_trainer(runs: Path, threads: int | None) -> tuple[subprocess.Popen, Path]:
    run = runs / "live-wgan-gp"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "--algo", "wgan-gp", "--data", "gaussians8",
                             "--steps", "10000000", "--run-dir", str(run), "--no-progress", "--group", "observer-trio"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and ((rf.read_json(run / "status.json") or {}).get("step") or 0) < 100:
        time.sleep(0.5)
    return proc, run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=float, default=20.0, help="seconds counted per measurement")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, help="OMP_NUM_THREADS for the trainer (default: its own choice)")
    args = ap.parse_args()
    runs = Path(tempfile.mkdtemp(prefix="bench-observer-")) / "runs"
    runs.mkdir()
    for algo in ("wgan", "gan"):  # the rest of the trio, finished
        d = write_fixture_run(runs, f"done-{algo}", algo=algo, n=2000)
        rf.atomic_write_json(d / "config.json", {**rf.read_json(d / "config.json"), "group": "observer-trio"})
    trainer, run = start_trainer(runs, args.threads)
    pages = {"Monitor": "/monitor?run=live-wgan-gp", "Runs": "/", "Compare (trio)": "/compare?group=observer-trio"}
    rates: dict[str, list[float]] = {"alone": [], **{k: [] for k in pages}}
    cpu: dict[str, list[float]] = {k: [] for k in rates}
    try:
        with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(runs)]) as server, Browser() as browser:
            for _ in range(args.repeat):
                time.sleep(3)
                t0 = time.time()
                s0 = cpu_seconds(server.pid)
                time.sleep(args.window)
                rates["alone"].append(steps_per_s(run, t0, time.time()))
                cpu["alone"].append(cpu_seconds(server.pid) - s0)
                for name, path in pages.items():
                    with browser.page(server.url + path) as p:
                        p.page.wait_for_timeout(5000)  # loaded and refreshing
                        t0, s0 = time.time(), cpu_seconds(server.pid)
                        p.page.wait_for_timeout(args.window * 1000)
                        rates[name].append(steps_per_s(run, t0, time.time()))
                        cpu[name].append(cpu_seconds(server.pid) - s0)
    finally:
        trainer.terminate()
        trainer.wait(timeout=60)
    alone = statistics.median(rates["alone"])
    print(f"Trainer beside the dashboard: WGAN-GP gaussians8, {platform.machine()}, {os.cpu_count()} cores, "
          f"trainer threads {args.threads or 'default'}; {args.window:.0f} s windows, median of {args.repeat}")
    print("| open in Chromium | trainer steps/s | cost to the trainer | dashboard server CPU s per window |")
    print("|---|---|---|---|")
    for name, xs in rates.items():
        r = statistics.median(xs)
        print(f"| {name} | {r:.1f} ({min(xs):.1f}–{max(xs):.1f}) | {1 - r / alone:.0%} | "
              f"{statistics.median(cpu[name]):.1f} |")


if __name__ == "__main__":
    main()
