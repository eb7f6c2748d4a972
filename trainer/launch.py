"""`wgan-watch`: the dashboard, the trainer and the demo as one command, from any folder.

    wgan-watch                          the dashboard on ./runs (http://127.0.0.1:8501)
    wgan-watch --runs-dir DIR --port 8502 --host 127.0.0.1
    wgan-watch train --algo wgan-gp --data gaussians8     (= python -m wgan_watch ...)
    wgan-watch demo --data gaussians25                    (= python -m wgan_watch demo ...)
    wgan-watch import-tensorboard LOGDIR --map w_estimate=critic/wdist

Installed by `pip install -e .` (pyproject.toml). The dashboard's server settings are
passed as flags, so they hold wherever the command runs (`streamlit run app/main.py`
in the clone reads the same settings from .streamlit/config.toml; a test keeps the two equal).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

SERVER_SETTINGS = {  # .streamlit/config.toml, as flags
    "server.headless": "true",
    "server.enableXsrfProtection": "true",
    "server.enableCORS": "true",
    "server.runOnSave": "false",
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "browser.serverAddress": "localhost",
    "client.toolbarMode": "minimal",
    "runner.postScriptGC": "false",
}

COMMANDS = """commands:
  (none)               open the dashboard on --runs-dir (default ./runs)
  train ...            train a run: the trainer's flags (wgan-watch train --help)
  demo ...             start WGAN-GP, WGAN and the vanilla GAN on the same data, in the background
  study NAME ...       algorithms x settings x seeds, queued in Optuna (wgan-watch study --help)
  export-onnx RUN...   ONNX files for the Latent lab from older runs' snapshots
  import-tensorboard   turn TensorBoard logs into run folders (wgan-watch import-tensorboard --help)"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wgan-watch", allow_abbrev=False, epilog=COMMANDS,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                description="Watch Wasserstein GAN training: the dashboard, the trainer and the demo.")
    p.add_argument("--runs-dir", default="runs", help="the runs folder to show (default: ./runs)")
    p.add_argument("--port", type=int, default=8501, help="the dashboard's port (default: 8501)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1, this machine only; see SECURITY.md)")
    return p


def app_main() -> Path:
    """The dashboard's main.py: wgan_watch/app/ installed, the clone's app/ in an editable install."""
    return Path(importlib.util.find_spec("wgan_watch.app").origin).parent / "main.py"


def dashboard_command(runs_dir: str, port: int, host: str) -> list[str]:
    flags = [f"--{k}={v}" for k, v in SERVER_SETTINGS.items()]
    return [sys.executable, "-m", "streamlit", "run", str(app_main()), f"--server.address={host}",
            f"--server.port={port}", *flags, "--", "--runs-dir", str(Path(runs_dir).expanduser().resolve())]


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from .cli import main as trainer_main

    if argv[:1] == ["train"]:
        return trainer_main(argv[1:])
    if argv[:1] in (["demo"], ["import-tensorboard"], ["study"], ["export-onnx"]):
        return trainer_main(argv)
    ns = parser().parse_args(argv)
    if not 0 < ns.port < 65536:
        print(f"error: --port must be between 1 and 65535, got {ns.port}", file=sys.stderr)
        return 2
    cmd = dashboard_command(ns.runs_dir, ns.port, ns.host)
    print(f"WGAN Watch on http://{'localhost' if ns.host in ('127.0.0.1', 'localhost') else ns.host}:{ns.port} "
          f"showing {cmd[-1]}", flush=True)
    os.execv(sys.executable, cmd)  # the server in this process: Ctrl-C and signals reach it directly
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main())
