"""Many people watching one live run: the server's CPU per viewer and the delay to a new point, in Chromium.

    python -m bench.viewers [--viewers 1 4 16] [--seconds 30]

One live run gains a 100-row metrics part every second, as a flushing trainer's does. For each count V, V
Monitor pages on it, each in its own browser context (as V people), all on screen; after they have drawn
and settled, over --seconds: the dashboard server's CPU time (user + system, from /proc) per second and per
viewer, and for every part written, the delay from the part on disk to its last step in the estimate chart
of each page (each page records when it first showed a step, by its own clock: the machine's). The browser
shares the machine's cores with the server, as it would on a laptop that both trains and watches.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import W  # noqa: E402
from bench.browser_harness import Browser, Server, cpu_seconds  # noqa: E402
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


def browser_cpu_seconds() -> float:
    """CPU seconds so far of every Chromium process on the machine (the pages' renderers and their browser)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if b"chromium" in (d / "cmdline").read_bytes().split(b"\0")[0]:
                total += cpu_seconds(int(d.name))
        except (OSError, IndexError):
            continue
    return total


def delays(written: list, seen: list) -> list[float]:
    """For each part written, seconds until the page first showed its last step (parts never shown: skipped)."""
    out = []
    for step, t in written:
        shown = [ts / 1000 for s, ts in seen if s >= step]
        if shown:
            out.append(min(shown) - t)
    return out


def watch(browser: Browser, url: str, run: Path, server_pid: int, viewers: int, seconds: float) -> dict:
    with contextlib.ExitStack() as stack:
        pages = [stack.enter_context(browser.page(url, viewport=(1400, 1000))) for _ in range(viewers)]
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
        stop, written = threading.Event(), []
        feeder = threading.Thread(target=feed, args=(run, stop, written), daemon=True)
        feeder.start()
        pages[0].page.wait_for_timeout(2 * LIVE_REFRESH_S * 1000)  # settle: every page refreshing
        cpu0, b0, t0, n0 = cpu_seconds(server_pid), browser_cpu_seconds(), time.time(), len(written)
        pages[0].page.wait_for_timeout(seconds * 1000)
        cpu1, b1, t1, n1 = cpu_seconds(server_pid), browser_cpu_seconds(), time.time(), len(written)
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
        all_delays = []
        for i, p in enumerate(pages):
            shown = delays(timed, seen_parts(p.page))
            all_delays += shown
            if len(shown) < len(timed):  # say what a page that fell behind shows (to stderr: the table stays clean)
                with contextlib.suppress(PlaywrightError):
                    text = p.page.evaluate("document.body.innerText.slice(0, 300)").replace("\n", " | ")
                    where = p.page.evaluate("[location.href, document.readyState, "
                                            "document.querySelectorAll('*').length]")
                    print(f"page {i} showed {len(shown)} of {len(timed)} parts; at {where} it reads: {text}",
                          file=sys.stderr)
    missed = viewers * len(timed) - len(all_delays)
    return {"viewers": viewers, "cpu_ms_per_s": (cpu1 - cpu0) / (t1 - t0) * 1000, "hidden": hidden,
            "browser_cores": (b1 - b0) / (t1 - t0),
            "median": statistics.median(all_delays) if all_delays else float("nan"),
            "max": max(all_delays) if all_delays else float("nan"), "missed": missed, "parts": len(timed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--viewers", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=30.0)
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
                r = watch(browser, f"{server.url}/monitor?run={live.name}", live, server.pid, v, args.seconds)
                results.append({**r, "idle": idle})
            rf.write_status(live, state="finished")
    print(f"Viewers of a live run (a 100-row part every second; pages refresh every {LIVE_REFRESH_S:g} s): "
          f"Debian chromium headless, {platform.machine()}, {os.cpu_count()} cores, browser and server on them; "
          f"{args.seconds:g} s per count")
    print("| viewers | server CPU (ms per s) | per viewer (ms per s) | browser CPU (cores) | new point on screen: "
          "median / max (s) | parts missed | hidden pages |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        per = (r["cpu_ms_per_s"] - r["idle"]) / r["viewers"]
        print(f"| {r['viewers']} | {r['cpu_ms_per_s']:.0f} (idle {r['idle']:.0f}) | {per:.1f} | "
              f"{r['browser_cores']:.2f} | "
              f"{r['median']:.2f} / {r['max']:.2f} | {r['missed']} of {r['viewers'] * r['parts']} | {r['hidden']} |")


if __name__ == "__main__":
    main()
