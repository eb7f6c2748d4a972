"""Where the dashboard looks for runs: `-- --runs-dir PATH`, else $WGAN_RUNS, else ./runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LIVE_REFRESH_S = 2.0  # how often a page showing a live run re-reads its files (the estimate, the Runs table)
VERDICT_REFRESH_S = 10.0  # the Monitor's verdict and quality measure: they move with evaluations and windows of
# steps, and their dozen elements cost the server and each viewer's browser at every refresh they are sent in
DETAIL_REFRESH_S = 20.0  # the Monitor page's other charts and samples, and the Compare page: each redraw of a changed
# chart costs the browser a Plotly plot from scratch, and a page open beside a trainer on a small machine slows it:
# Monitor open cost the trainer 31% of its steps/s at 10 s, 12% at 30 s (python -m bench.observer)


def runs_dir() -> Path:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--runs-dir")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return Path(args.runs_dir or os.environ.get("WGAN_RUNS") or "runs").expanduser().resolve()
