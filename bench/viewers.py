"""Many people watching one live run: the server's CPU per viewer and the delay to a new point, in Chromium.

    python -m bench.viewers [--viewers 1 4 16] [--seconds 30]

One live run gains a 100-row metrics part every second, as a flushing trainer's does. For each count V, V
Monitor pages on it, each in its own browser context (as V people), all on screen; after they have drawn
and settled, over --seconds: the dashboard server's CPU time (user + system, from /proc) per second and per
viewer, and for every part written, the delay from the part on disk to its last step in the estimate chart
of each page (each page records when it first showed a step, by its own clock: the machine's). The browser
shares the machine's cores with the server, as it would on a laptop that both trains and watches.

Where the delay goes, from each page's websocket frames (decoded by bench/viewer_frames.py after the window): when
the new point's chart reached the page's renderer; how long after the page's refresh request it came (the server's
work, plus any wait for a busy renderer); and how far apart a page's refresh requests are (its fragment's timer
runs in the page, so a page short of CPU asks late); and how many refresh requests got no chart before the next,
and how many of those came with a request for another part of the page (bench/viewer_frames.py). --nice-browsers N
sets every Chromium thread to niceness N, so the server's work is not kept waiting by the pages' drawing, as with
viewers on machines of their own. Beside them: the benchmark's own CPU (this process, with the thread that writes
the parts, and Playwright's driver), and the machine's idle CPU and the CPU its host took for other guests
(/proc/stat), in cores. --no-capture opens the pages without the DevTools capture of their websocket frames (it
costs the benchmark about 0.04 cores at 16 viewers): the delay on screen only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import W  # noqa: E402
from bench.browser_harness import (Browser, Server, chromium_pids, cpu_seconds, driver_pids,  # noqa: E402
                                   machine_cpu, renice_chromium)
from bench.viewer_frames import delay_parts, delays  # noqa: E402
from tests.fixtures import metrics_frame, write_fixture_run  # noqa: E402
from wgan_watch.app.settings import LIVE_REFRESH_S  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402

# Every time the page's estimate chart first shows a larger last step: [[step, Date.now()], ...]. It looks when
# the page's DOM changes (a chart redrawn), not on a timer: polling every 50 ms cost each page ~20 ms of CPU
# per second.
RECORD_STEPS = """m => { window.__seen = JSON.parse(sessionStorage.getItem('__seen') || '[]');
  window.__last = window.__seen.length ? window.__seen[window.__seen.length - 1][0] : -1;
  const look = () => {
    let mx = -1;
    document.querySelectorAll('.js-plotly-plot').forEach(el => (el._fullData || []).forEach(t => {
      if ((t.name || '').includes(m) && t.x && t.x.length) mx = Math.max(mx, Number(t.x[t.x.length - 1])); }));
    if (mx > window.__last) {
      window.__last = mx; window.__seen.push([mx, Date.now()]);
      sessionStorage.setItem('__seen', JSON.stringify(window.__seen));  // kept if the page reloads itself
    }
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true, attributes: true});
  look(); }"""
# the same recorder on any later load of a page (one that reloaded itself after an error of Streamlit's frontend),
# which also stops the chart recorder there at DOMContentLoaded (it looks at every frame; only a first load needs it)
RECORD_STEPS_AGAIN = ("""document.addEventListener("DOMContentLoaded", () => {"""
                      """ window.__recording = false; (%s)(%s); });""")


def feed(run: Path, stop: threading.Event, written: list, every_s: float = 1.0, rows: int = 100) -> None:
    """A metrics part of `rows` steps every `every_s`; `written` gets (last step, time.time()) of each."""
    w = rf.PartWriter(run / "metrics", rf.METRIC_COLUMNS, max_parts=100_000)
    step = int(rf.read_metrics(run)["step"].max()) + 1
    while not stop.wait(every_s):
        w.write(metrics_frame(rows, start=step))
        rf.write_status(run, step=step + rows - 1)
        written.append((step + rows - 1, time.time()))
        step += rows


def seen_parts(page) -> list:
    """[last step, ms] of each new point a page showed, from its sessionStorage: kept when the page reloaded itself
    (a page caught mid-reload has no context to ask: the next one has the same record)."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(3):
        try:
            return page.evaluate("JSON.parse(sessionStorage.getItem('__seen') || '[]')")
        except PlaywrightError:
            page.wait_for_load_state()
    return []


def processes_cpu_seconds(pids: list[int] | None = None) -> float:
    """CPU seconds so far of `pids`, or of every Chromium process on the machine (the pages' renderers and their
    browser)."""
    total = 0.0
    for pid in chromium_pids() if pids is None else pids:
        with contextlib.suppress(OSError):  # gone meanwhile
            total += cpu_seconds(pid)
    return total


def cpu_counters(server_pid: int, bench: list[int]) -> dict[str, float]:
    """Every CPU counter a window reports (seconds so far: the server's, the browsers', the benchmark's, the
    machine's idle and stolen core-seconds) and the time."""
    machine = machine_cpu()
    return {"t": time.time(), "server": cpu_seconds(server_pid), "browser": processes_cpu_seconds(),
            "bench": processes_cpu_seconds(bench), "idle": machine["idle"], "steal": machine["steal"]}


def median_max(values: list) -> tuple[float, float]:
    return (statistics.median(values), max(values)) if values else (float("nan"), float("nan"))


def watch(browser: Browser, url: str, run: Path, server_pid: int, viewers: int, seconds: float,
          nice_browsers: int = 0, capture: bool = True) -> dict:
    with contextlib.ExitStack() as stack:
        pages = [stack.enter_context(browser.page(url, viewport=(1400, 1000), keep_frames_over=10_000,
                                                  capture=capture))
                 for _ in range(viewers)]
        for i, p in enumerate(pages):
            p.page.on("crash", lambda _, i=i: print(f"page {i}: its renderer crashed", file=sys.stderr))
            # an uncaught error in Streamlit's frontend empties the page and ends its refreshes: say which
            p.page.on("pageerror", lambda e, i=i: print(f"page {i}: page error: {e}", file=sys.stderr))
            p.page.on("framenavigated", lambda f, i=i, page=p.page: print(f"page {i}: navigated to {f.url}",
                                                                          file=sys.stderr)
                      if f == page.main_frame else None)
        for p in pages:
            p.wait_chart(W)
            p.stop_recording()
            p.page.evaluate(RECORD_STEPS, W)
            p.page.context.add_init_script(RECORD_STEPS_AGAIN % (RECORD_STEPS, json.dumps(W)))
        hidden = sum(p.page.evaluate("document.visibilityState") != "visible" for p in pages)
        if nice_browsers:
            renice_chromium(nice_browsers)
        stop, written = threading.Event(), []
        feeder = threading.Thread(target=feed, args=(run, stop, written), daemon=True)
        feeder.start()
        pages[0].page.wait_for_timeout(2 * LIVE_REFRESH_S * 1000)  # settle: every page refreshing
        bench = driver_pids()
        if len(bench) == 1:
            print("Playwright's driver not found among this process's children: bench CPU is this process's only",
                  file=sys.stderr)
        before, n0, window_start = cpu_counters(server_pid, bench), len(written), time.monotonic()
        pages[0].page.wait_for_timeout(seconds * 1000)
        after, n1, window_end = cpu_counters(server_pid, bench), len(written), time.monotonic()
        per_s = {k: (after[k] - before[k]) / (after["t"] - before["t"]) for k in before if k != "t"}
        timed = written[n0:n1]
        # the last timed part reaches every screen (or 30 s pass): a part still on its way is late, not missed,
        # and left out it would take the slowest delays out of the median and the max
        from playwright.sync_api import Error as PlaywrightError, TimeoutError as PlaywrightTimeout

        deadline = time.time() + 30
        for p in pages:
            while time.time() < deadline:
                try:
                    p.page.wait_for_function("s => window.__last >= s", arg=timed[-1][0] if timed else 0,
                                             timeout=max(1, deadline - time.time()) * 1000, polling=250)
                    break
                except PlaywrightTimeout:  # a page that never gets there: missed, said below
                    break
                except PlaywrightError:  # it reloaded while waited on: wait in its new document
                    time.sleep(0.25)  # (not at once: a page that crashed fails every wait at once)
        stop.set()
        feeder.join()
        all_delays, at_renderer, turnaround, gaps, answers = [], [], [], [], np.zeros(4, dtype=int)
        for i, p in enumerate(pages):
            shown = delays(timed, seen_parts(p.page))
            all_delays += shown
            parts = delay_parts(p.counters, timed, window_start, window_end)
            at_renderer, turnaround, gaps = at_renderer + parts[0], turnaround + parts[1], gaps + parts[2]
            answers += parts[3]
            if len(shown) < len(timed):  # say what a page that fell behind shows (to stderr: the table stays clean)
                with contextlib.suppress(PlaywrightError):
                    text = p.page.evaluate("document.body.innerText.slice(0, 300)").replace("\n", " | ")
                    where = p.page.evaluate("[location.href, document.readyState, "
                                            "document.querySelectorAll('*').length]")
                    print(f"page {i} showed {len(shown)} of {len(timed)} parts; at {where} it reads: {text}",
                          file=sys.stderr)
    missed = viewers * len(timed) - len(all_delays)
    return {"viewers": viewers, "cpu_ms_per_s": per_s["server"] * 1000, "hidden": hidden,
            "browser_cores": per_s["browser"], "bench_cores": per_s["bench"],
            "idle_cores": per_s["idle"], "steal_cores": per_s["steal"],
            "delay": median_max(all_delays), "missed": missed, "parts": len(timed),
            "received": median_max(at_renderer), "turnaround": median_max(turnaround), "gaps": median_max(gaps),
            "answers": answers.tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--viewers", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--nice-browsers", type=int, default=0, metavar="N",
                    help="run Chromium at niceness N: the server then waits less on the pages' drawing, as with "
                         "viewers on machines of their own (the pages still share what is left of the cores)")
    ap.add_argument("--no-capture", action="store_true",
                    help="no DevTools network capture (it copies every websocket frame of every page to this "
                         "process, on the same cores): only the delay on screen, without where it went")
    args = ap.parse_args()
    runs = Path(tempfile.mkdtemp(prefix="bench-viewers-")) / "runs"
    runs.mkdir()
    results = []
    with Browser() as browser:
        for v in args.viewers:
            live = runs / f"live-{v}"
            write_fixture_run(runs, live.name, n=1000, state="running")
            rf.write_status(live, pid=os.getpid())  # alive while this benchmark runs
            with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(runs)]) as server:
                cpu_idle0, t_idle0 = cpu_seconds(server.pid), time.time()
                time.sleep(5)
                idle = (cpu_seconds(server.pid) - cpu_idle0) / (time.time() - t_idle0) * 1000
                r = watch(browser, f"{server.url}/monitor?run={live.name}", live, server.pid, v, args.seconds,
                          args.nice_browsers, capture=not args.no_capture)
                results.append({**r, "idle": idle})
            rf.write_status(live, state="finished")
    print(f"Viewers of a live run (a 100-row part every second; pages refresh every {LIVE_REFRESH_S:g} s): "
          f"Debian chromium headless, {platform.machine()}, {os.cpu_count()} cores, browser and server on them; "
          f"{args.seconds:g} s per count" + (f"; Chromium at nice {args.nice_browsers}" if args.nice_browsers else "")
          + ("; no DevTools capture (its columns: –)" if args.no_capture else ""))
    print_table(results, captured=not args.no_capture)


def print_table(results: list[dict], captured: bool) -> None:
    def pair(v: tuple) -> str:
        return f"{v[0]:.2f} / {v[1]:.2f}" if captured else "–"

    print("| viewers | server CPU (ms per s) | per viewer (ms per s) | browser CPU (cores) | bench CPU (cores) | "
          "machine idle / stolen by the host (cores) | new point on screen: "
          "median / max (s) | chart at the renderer: median / max (s) | refresh request to chart at the renderer: "
          "median / max (s) | between a page's refresh requests: median / max (s) | "
          "refreshes unanswered | refreshes near another part's: all / unanswered | parts missed | hidden pages |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        per = (r["cpu_ms_per_s"] - r["idle"]) / r["viewers"]
        print(f"| {r['viewers']} | {r['cpu_ms_per_s']:.0f} (idle {r['idle']:.0f}) | {per:.1f} | "
              f"{r['browser_cores']:.2f} | {r['bench_cores']:.2f} | {r['idle_cores']:.2f} / {r['steal_cores']:.2f} | "
              f"{r['delay'][0]:.2f} / {r['delay'][1]:.2f} | {pair(r['received'])} | "
              f"{pair(r['turnaround'])} | {pair(r['gaps'])} | "
              + (f"{r['answers'][1]} of {r['answers'][0]} | {r['answers'][2]} / {r['answers'][3]} | " if captured
                 else "– | – | ")
              + f"{r['missed']} of {r['viewers'] * r['parts']} | {r['hidden']} |")


if __name__ == "__main__":
    main()
