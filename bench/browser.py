"""What a user waits for in a real browser: Monitor against the stack's floor (and TensorBoard).

    python -m bench.browser [--repeat 5] [--live 20] [--no-tensorboard]

Debian's Chromium, headless, driven by Playwright; each load in a fresh browser context (cold
cache), the pages in alternation, medians of --repeat. For each page: time from navigation to
the Wasserstein chart drawn, to every chart drawn, and the bytes that reached the browser
(HTTP and the websocket). For a live run (a part of 100 rows written every second): the
websocket bytes and the dashboard server's CPU time per refresh, and the delay from a new
metrics part on disk to its point on the screen. TensorBoard 2.x on the same 1,000,000-step
series when the `tensorboard` package is installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser_harness import Browser, Server, cpu_seconds, tensorboard_version, write_tensorboard  # noqa: E402
from tests.fixtures import metrics_frame, write_fixture_run  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402

W = "W estimate (critic)"


def make_runs(root: Path) -> None:
    write_fixture_run(root, "small", n=1000)
    big = write_fixture_run(root, "big", n=1000, eval_every=10_000)
    w = rf.PartWriter(big / "metrics", rf.METRIC_COLUMNS, max_parts=10_000)
    w.merge(keep_through_step=0)
    w.write(metrics_frame(1_000_000))
    for i in range(4):
        d = write_fixture_run(root, f"four-{i}", n=1000)
        w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS, max_parts=10_000)
        w.merge(keep_through_step=0)
        w.write(metrics_frame(100_000, seed=i))
    live = write_fixture_run(root, "live", n=1000, state="running")
    rf.write_status(live, pid=os.getpid())  # alive while this benchmark runs


def feed(run: Path, stop: threading.Event, every_s: float = 1.0, rows: int = 100) -> None:
    """Append a metrics part of `rows` steps every `every_s`, as a trainer flushing does."""
    w = rf.PartWriter(run / "metrics", rf.METRIC_COLUMNS, max_parts=10_000)
    step = int(rf.read_metrics(run)["step"].max()) + 1
    while not stop.wait(every_s):
        w.write(metrics_frame(rows, start=step))
        rf.write_status(run, step=step + rows - 1)
        step += rows


def measure_live(browser: Browser, url: str, run: Path, server_pid: int, seconds: float) -> dict:
    """Bytes and server CPU per refresh, and the delay from a part on disk to its point on the screen."""
    stop = threading.Event()
    t = threading.Thread(target=feed, args=(run, stop), daemon=True)
    with browser.page(url) as p:
        p.wait_chart(W)
        p.stop_recording()  # (the delays below are found by wait_x_at_least; the recorder would only cost CPU)
        t.start()
        p.page.wait_for_timeout(3000)  # (not time.sleep: Playwright delivers the byte counts while it waits)
        ws0, cpu0, t0 = p.ws_bytes(), cpu_seconds(server_pid), time.time()
        p.page.wait_for_timeout(seconds * 1000)
        ws1, cpu1, t1 = p.ws_bytes(), cpu_seconds(server_pid), time.time()
        refreshes = (t1 - t0) / 2.0  # LIVE_REFRESH_S
        delays = []
        for _ in range(5):
            last = int(rf.read_metrics(run)["step"].max())
            written = time.time()
            delays.append(p.wait_x_at_least(W, last) - written)
        stop.set()
    return {"ws_bytes_per_refresh": (ws1 - ws0) / refreshes, "server_cpu_per_refresh": (cpu1 - cpu0) / refreshes,
            "delay_median": statistics.median(delays), "delay_max": max(delays)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--live", type=float, default=20.0, help="seconds of the live measurement (0: skip)")
    ap.add_argument("--no-tensorboard", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    runs = tmp / "runs"
    runs.mkdir()
    make_runs(runs)
    pages = {}
    with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(runs)]) as monitor, \
            Server([str(ROOT / "bench" / "floor_page.py")]) as floor, Browser() as browser:
        pages["floor: one Plotly chart"] = (floor.url, "floor · " + W)
        pages["Monitor, 1,000 steps"] = (monitor.url + "/monitor?run=small", "small · " + W)
        pages["Monitor, 1,000,000 steps"] = (monitor.url + "/monitor?run=big", "big · " + W)
        pages["Monitor, four runs overlaid"] = (
            monitor.url + "/monitor?" + "&".join(f"run=four-{i}" for i in range(4)), "four-0 · " + W)
        tb = None
        if not args.no_tensorboard:
            tb = write_tensorboard(tmp / "tb")
        results: dict[str, list[dict]] = {k: [] for k in pages}
        tb_times = []
        for _ in range(args.repeat):
            for name, (url, marker) in pages.items():
                results[name].append(browser.load(url, marker))
            if tb:
                tb_times.append(browser.load_tensorboard(tb))
        live = measure_live(browser, monitor.url + "/monitor?run=live", runs / "live", monitor.pid,
                            args.live) if args.live else None
    report(results, tb_times, live, args.repeat)


def report(results: dict, tb_times: list, live: dict | None, repeat: int) -> None:
    import plotly
    import streamlit

    print(f"Browser: Debian chromium headless, {platform.machine()}, {os.cpu_count()} cores; "
          f"median of {repeat} cold loads, alternating; streamlit {streamlit.__version__}, plotly "
          f"{plotly.__version__}, tensorboard {tensorboard_version()}")
    ok = [t for t in tb_times if t is not None]
    tb = statistics.median(ok) if ok else None
    print("| page | estimate chart (s) | every chart (s) | vs floor (estimate / every) | vs TensorBoard (estimate / "
          "every) | HTTP KiB | websocket KiB |")
    print("|---|---|---|---|---|---|---|")
    floor = statistics.median(r["chart"] for r in results["floor: one Plotly chart"])
    for name, rs in results.items():
        chart, every = statistics.median(r["chart"] for r in rs), statistics.median(r["every"] for r in rs)
        http, ws = statistics.median(r["http"] for r in rs) / 1024, statistics.median(r["ws"] for r in rs) / 1024
        vs_tb = f"{chart / tb:.2f} / {every / tb:.2f}" if tb else "–"
        print(f"| {name} | {chart:.2f} ({min(r['chart'] for r in rs):.2f}–{max(r['chart'] for r in rs):.2f}) | "
              f"{every:.2f} | {chart / floor:.2f} / {every / floor:.2f} | {vs_tb} | {http:.0f} | {ws:.0f} |")
    if tb_times:
        print(f"| TensorBoard, 1,000,000 steps (its own server, SVG line drawn) | {tb:.2f} ({min(ok):.2f}–{max(ok):.2f})"
              f" | – | {tb / floor:.2f} | 1 | – | – |" if ok
              else "| TensorBoard | not measured (its line was not found) | | | | | |")
    if live:
        print(f"\nLive run (a 100-row part every second, refresh every 2 s): {live['ws_bytes_per_refresh'] / 1024:.1f} "
              f"KiB over the websocket and {live['server_cpu_per_refresh'] * 1000:.0f} ms of server CPU per refresh; "
              f"a new part on the screen {live['delay_median']:.2f} s after it was written (max {live['delay_max']:.2f})")


if __name__ == "__main__":
    main()
