"""The Runs page with many finished runs, in a real browser: cold (right after the server starts) and warm.

    python -m bench.runs_page [--runs 1000 10000] [--repeat 3] [--rows 5000] [--no-summary 1000]

N synthetic finished runs written straight from the contract: one run recorded through the Recorder (5,000
metric rows, an evaluation every 1,000 steps; its status.json keeps the summary the page reads), then copied N
times with its own config.json and status.json (the tables hard-linked: the same bytes, N folders). Each
time is navigation to the table on screen ("N of N runs" and its first row drawn) in a fresh browser context;
cold: the first visit after the server started, warm: later visits (median of --repeat, with the range),
and each later visit reloaded in its context (the browser's cache warm, as for a user coming back).
--no-summary N adds N runs whose status.json has no summary (written before it existed, or by another tool):
the page reads their tables once, then keeps the result until their files change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser_harness import Browser, Server  # noqa: E402
from tests.fixtures import metrics_frame  # noqa: E402
from wgan_watch import Recorder  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402


def template_run(root: Path, rows: int) -> Path:
    """One finished run of `rows` steps, written through the Recorder as any script would."""
    m = metrics_frame(rows)
    with Recorder(root / "template", algo="wgan-gp", data="gaussians8", steps=rows) as rec:
        for start in range(0, rows, 1000):
            chunk = m.iloc[start:start + 1000]
            for _, r in chunk.iterrows():
                rec.log(int(r["step"]), w_estimate=float(r["w_estimate"]), loss_d=float(r["loss_d"]),
                        loss_g=float(r["loss_g"]))
            rec.flush()
            rec.evaluate(int(chunk["step"].iloc[-1]), w1_exact=0.3 * 0.7 ** (start / 1000) + 0.05)
    return root / "template"


def copy_runs(template: Path, root: Path, n: int, prefix: str, summary: bool) -> None:
    """n copies of the template: their own config and status, the tables hard-linked."""
    cfg = rf.read_json(template / "config.json")
    status = rf.read_json(template / "status.json")
    if not summary:
        status.pop("summary", None)
    algos, datas = ("wgan-gp", "wgan", "gan"), ("gaussians8", "gaussians25", "swissroll")
    for i in range(n):
        d = root / f"{prefix}-{i:05d}"
        for src in template.rglob("*"):
            rel = src.relative_to(template)
            if src.is_dir():
                (d / rel).mkdir(parents=True, exist_ok=True)
            elif src.name not in ("config.json", "status.json"):
                (d / rel).parent.mkdir(parents=True, exist_ok=True)
                os.link(src, d / rel)
        c = {**cfg, "algo": algos[i % 3], "data": datas[(i // 3) % 3], "group": f"g{i // 12}", "seed": i % 4}
        (d / "config.json").write_text(json.dumps(c))
        (d / "status.json").write_text(json.dumps({**status, "updated_at": time.time() - i}))


def visit(browser: Browser, url: str, n: int) -> tuple[float, float]:
    """Seconds from navigation until the table says it shows n runs and its first row is drawn (n = 0: until the
    empty folder's "No runs yet", the page's floor: the same server and browser, nothing to read): in a fresh
    browser context (nothing cached), then reloaded in it (the browser's cache warm, as for a returning user)."""
    def shown(p) -> float:
        if n == 0:
            p.page.get_by_text("No runs yet", exact=False).first.wait_for(timeout=300_000)
        else:
            p.page.get_by_text(f"of {n:,} runs", exact=False).first.wait_for(timeout=300_000)
            p.page.locator('[data-testid="stHtml"] table td').first.wait_for(timeout=60_000)
        return p.page.evaluate("performance.now()") / 1000  # from the navigation's start, the page's own clock

    return browser.fresh_then_reloaded(url + "/", shown)


def measure(root: Path, n: int, repeat: int, browser: Browser) -> tuple[float, list[float], list[float]]:
    """(first visit after the server started, later visits in fresh contexts, later visits with a warm cache)."""
    with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(root)]) as server:
        cold, _ = visit(browser, server.url, n)
        warm = [visit(browser, server.url, n) for _ in range(repeat)]
    return cold, [w[0] for w in warm], [w[1] for w in warm]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[1000, 10_000], help="(an empty folder is measured too)")
    ap.add_argument("--rows", type=int, default=5000, help="metric rows per run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-summary", type=int, default=1000, help="also N runs without a summary (0: skip)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-runs-page-"))
    try:
        template = template_run(tmp / "template-root", args.rows)
        cases = [(0, True)] + [(n, True) for n in args.runs] + ([(args.no_summary, False)] if args.no_summary else [])
        results = []
        with Browser() as browser:
            for n, summary in cases:
                root = tmp / f"runs-{n}-{summary}"
                t = time.perf_counter()
                root.mkdir()
                copy_runs(template, root, n, "run", summary)
                print(f"wrote {n:,} runs in {time.perf_counter() - t:.0f} s", file=sys.stderr)
                results.append((n, summary, *measure(root, n, args.repeat, browser)))
                shutil.rmtree(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Runs page, Debian chromium headless, {platform.machine()}, {os.cpu_count()} cores; {args.rows:,} "
          f"metric rows per run; warm: median of {args.repeat} (range)")
    print("| runs | summary in status.json | cold: first visit after start (s) | warm server (s) | "
          "warm server and browser cache (s) |")
    print("|---|---|---|---|---|")
    for n, summary, cold, warm, cached in results:
        kind = "(none: the empty page, the floor)" if n == 0 else "yes" if summary else "no (read from the tables)"
        print(f"| {n:,} | {kind} | {cold:.2f} | "
              f"{statistics.median(warm):.2f} ({min(warm):.2f}–{max(warm):.2f}) | "
              f"{statistics.median(cached):.2f} ({min(cached):.2f}–{max(cached):.2f}) |")


if __name__ == "__main__":
    main()
