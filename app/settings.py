"""Where the dashboard looks for runs: `-- --runs-dir PATH`, else $WGAN_RUNS, else ./runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LIVE_REFRESH_S = 2.0  # how often a page showing a live run re-reads its files (the estimate, the Runs table)
DETAIL_REFRESH_S = 20.0  # the Compare and Study pages: each redraw of a changed chart costs the browser a Plotly
# plot from scratch, and a page open beside a trainer on a small machine slows it: Monitor open cost the trainer 31% of
# its steps/s at 10 s, 12% at 30 s (python -m bench.observer)

# The Monitor's slower parts, each on a timer of its own. The page's timers all start with its first run, and when
# two of them ask at once Streamlit (1.67) can drop one answer: it runs the second request in a new ScriptRunner if
# the first run has just ended, and ignores the old runner's events still unsent, that run's output among them (seen
# in a server log under 16 viewers: the estimate's chart, so the page waited a refresh more; bench/README).
# Half-second offsets keep each off the estimate's 2-s beat three times in four and off each other: half as many
# refreshes come with another part's (python -m bench.viewers counts them and the ones left unanswered).
VERDICT_REFRESH_S = 9.5  # the verdict: it moves with evaluations and windows of steps; its dozen elements cost
# the server and each viewer's browser at every refresh they are sent in
QUALITY_REFRESH_S = 10.5  # the quality measure's charts: they move with evaluations
MONITOR_DETAIL_REFRESH_S = 22.5  # the Monitor's other charts (losses, constraint, throughput, modes), below the screen
SAMPLES_REFRESH_S = 24.5  # the Monitor's samples
HOLD_RUNNER_S = 0.2  # how long the estimate's refresh holds its run open after its output is sent: a request that
# comes meanwhile is queued in the same ScriptRunner, so Streamlit has no runner to replace and no output to drop


def runs_dir() -> Path:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--runs-dir")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return Path(args.runs_dir or os.environ.get("WGAN_RUNS") or "runs").expanduser().resolve()
