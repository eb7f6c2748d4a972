"""Starting and stopping trainer processes from the dashboard (its only writes besides control.json).

A run is started as `python -m trainer` with an argument list built from a
validated TrainConfig: never a shell string. The process gets its own session so
it outlives the browser tab and the dashboard.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from trainer import runfiles as rf
from trainer.config import TrainConfig, data_slug

from .settings import REPO_ROOT

DEMO = (
    dict(algo="wgan-gp", data="gaussians8"),
    dict(algo="wgan", data="gaussians8"),
    dict(algo="gan", data="gaussians8"),
    dict(algo="wgan-gp", data="digits", steps=3000),
)


def cli_args(cfg: TrainConfig) -> list[str]:
    """Flags that reproduce `cfg`: every field that differs from TrainConfig's default."""
    default = TrainConfig()
    args: list[str] = []
    for f in dataclasses.fields(TrainConfig):
        v = getattr(cfg, f.name)
        if v == getattr(default, f.name) or f.name in ("run_dir", "runs_root"):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(v, bool):
            args.append(flag if v else "--no-" + f.name.replace("_", "-"))
        elif isinstance(v, tuple):
            args += [flag, *map(str, v)]
        else:
            args += [flag, str(v)]
    return args


def command_line(cfg: TrainConfig) -> str:
    return shlex.join(["python", "-m", "trainer", *cli_args(cfg)])


def start_run(runs_dir: Path, cfg: TrainConfig, threads: int | None = None) -> str:
    """Validate `cfg`, make its run folder and spawn the trainer; returns the run's name."""
    cfg = dataclasses.replace(cfg, run_dir=None, progress=False)
    cfg.resolved()  # raises ConfigError before anything is made
    run_dir = rf.new_run_dir(runs_dir, cfg.algo, data_slug(cfg.data))
    args = [sys.executable, "-m", "trainer", *cli_args(cfg), "--run-dir", str(run_dir), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    with open(run_dir / "launch.log", "ab") as out:
        proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    # the trainer takes a few seconds to import torch: say at once that the run exists
    rf.write_status(run_dir, state="starting", step=0, pid=getattr(proc, "pid", None), device=cfg.device,
                    started_at=time.time(), message="starting the trainer")
    return run_dir.name


def start_demo(runs_dir: Path, **overrides: Any) -> list[str]:
    """The embedded demo: WGAN-GP, WGAN and the vanilla GAN on gaussians8, and WGAN-GP on digits."""
    threads = max(1, (os.cpu_count() or 1) // len(DEMO))  # four trainers share the CPU fairly
    return [start_run(runs_dir, TrainConfig(**{**d, **overrides}), threads=threads) for d in DEMO]


def stop_run(run_dir: Path) -> None:
    rf.write_control(run_dir, "stop")
