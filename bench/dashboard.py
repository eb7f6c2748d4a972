"""How fast the Monitor page opens and refreshes on a big run.

    python -m bench.dashboard [--rows 1000000]

Writes a run of N metric rows (one merged part plus small recent parts, as a
long live run looks), then times the page through Streamlit's AppTest: the
first open (cold caches), a refresh with nothing new, and a refresh after the
trainer appended a part. Prints a table (median of --repeat tries).
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

from tests.fixtures import metrics_frame, write_fixture_run  # noqa: E402
from wgan_watch.runs import runfiles as rf  # noqa: E402


def make_run(runs: Path, rows: int) -> Path:
    d = write_fixture_run(runs, "big", n=1000, eval_every=100)
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
    w.merge(keep_through_step=0)
    w.write(metrics_frame(rows - 500))
    for k in range(5):  # the live tail: a few small parts since the last merge
        w.write(metrics_frame(100, start=rows - 500 + 1 + 100 * k))
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from streamlit.testing.v1 import AppTest

    tmp = Path(tempfile.mkdtemp())
    os.environ["WGAN_RUNS"] = str(tmp)
    d = make_run(tmp, args.rows)
    writer = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS, max_parts=10_000)
    assert len(rf.read_metrics(d)) == args.rows
    opens, idle, appended = [], [], []
    next_step = args.rows + 1
    for _ in range(args.repeat):
        import streamlit as st

        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
        at.query_params["run"] = "big"
        at.switch_page("views/monitor.py")
        t = time.perf_counter()
        at.run()
        opens.append(time.perf_counter() - t)
        assert not at.exception, at.exception
        t = time.perf_counter()
        at.run()
        idle.append(time.perf_counter() - t)
        writer.write(metrics_frame(100, start=next_step))
        next_step += 100
        t = time.perf_counter()
        at.run()
        appended.append(time.perf_counter() - t)
    print(f"Monitor page, {args.rows:,} metric rows, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; median of {args.repeat} (min-max), seconds")
    print(f"| {'what':<44} | {'median':>7} | {'range':>15} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 17}|")
    for name, xs in (("open (cold caches, whole page)", opens), ("refresh, nothing new", idle),
                     ("refresh after a new 100-row part", appended)):
        print(f"| {name:<44} | {statistics.median(xs):7.3f} | {min(xs):6.3f}-{max(xs):<8.3f} |")


if __name__ == "__main__":
    main()
