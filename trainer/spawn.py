"""Starting trainer processes in the background: the dashboard's Start buttons and `python -m wgan_watch demo`.

A run is started as `python -m wgan_watch` with an argument list built from a
validated TrainConfig: never a shell string. The process gets its own session so
it outlives the browser tab and the dashboard. No torch import.
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

from .runs import runfiles as rf
from .config import IMAGE_EXTS, ConfigError, TrainConfig, data_slug

PACKAGE = __name__.split(".")[0]  # wgan_watch; `trainer` when a clone runs `python -m trainer`
REPO_ROOT = Path(__file__).resolve().parents[1]  # the package folder's parent

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
    return shlex.join(["python", "-m", "wgan_watch", *cli_args(cfg)])


def preflight(cfg: TrainConfig, look_at: int = 50) -> None:
    """Catch what the config alone cannot: a folder with no readable image among its first files."""
    if not cfg.data.startswith("folder:"):
        return
    from PIL import Image

    folder, seen = Path(cfg.data[len("folder:"):]), 0
    for path in folder.rglob("*"):
        if path.suffix.lower() not in IMAGE_EXTS or not path.is_file():
            continue
        seen += 1
        try:
            with Image.open(path) as im:
                im.verify()
            return
        except Exception:
            if seen >= look_at:
                break
    raise ConfigError(f"no readable images in {str(folder)[:80]!r}" + (f" (the first {seen} are broken)" if seen else ""))


def start_run(runs_dir: Path, cfg: TrainConfig, threads: int | None = None) -> str:
    """Validate `cfg`, make its run folder and spawn the trainer; returns the run's name."""
    cfg = dataclasses.replace(cfg, run_dir=None, progress=False)
    cfg.resolved()  # raises ConfigError before anything is made
    preflight(cfg)
    run_dir = rf.new_run_dir(runs_dir, cfg.algo, data_slug(cfg.data))
    proc = trainer_process([*cli_args(cfg), "--run-dir", str(run_dir), "--no-progress"], run_dir / "launch.log",
                           threads=threads)
    # the trainer takes a few seconds to import torch: say at once that the run exists
    rf.write_status(run_dir, state="starting", step=0, pid=getattr(proc, "pid", None), device=cfg.device,
                    started_at=time.time(), message="starting the trainer")
    return run_dir.name


def trainer_process(args: list[str], log: Path, threads: int | None = None, detach: bool = True,
                    env: dict | None = None) -> subprocess.Popen:
    """`python -m wgan_watch ARGS` with its console appended to `log`. Detached (its own session): it outlives
    the dashboard and the tab. Not detached (a study's worker): it shares the worker's Ctrl-C."""
    # the package's parent on the path (a clone's `trainer`, or an installed `wgan_watch`); the process runs in
    # the current folder, so relative paths (--data-root) mean what they mean to the user, never site-packages
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", PACKAGE, *args], cwd=os.getcwd(), env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=detach, close_fds=True)


def start_many(runs_dir: Path, configs: list[TrainConfig]) -> list[str]:
    """Start several runs at once, sharing the CPU fairly (validated all before any starts)."""
    for cfg in configs:
        cfg.resolved()
    threads = max(1, (os.cpu_count() or 1) // len(configs))
    return [start_run(runs_dir, cfg, threads=threads) for cfg in configs]


def new_group(kind: str, data: str) -> str:
    """A name for runs started together, recorded in their config.json: e.g. trio-gaussians8-20261124-221530."""
    return f"{kind}-{data_slug(data)}-{time.strftime('%Y%m%d-%H%M%S')}"


def start_demo(runs_dir: Path) -> list[str]:
    """The embedded demo: the trio on gaussians8 (one group, the Compare page's default), and WGAN-GP on digits."""
    group = new_group("demo", "gaussians8")
    return start_many(runs_dir, [TrainConfig(**{"group": group if d["data"] == "gaussians8" else None, **d})
                                 for d in DEMO])


def trio(data: str = "gaussians8", **overrides: Any) -> list[TrainConfig]:
    """The matched comparison: WGAN-GP, WGAN and the vanilla GAN on the same data, seed and models, in one group."""
    from .config import is_toy

    if not is_toy(data):
        overrides.setdefault("critic_norm", "layer")  # the one norm all three can use: same critic body
    overrides.setdefault("group", new_group("trio", data))
    return [TrainConfig(algo=a, data=data, **overrides) for a in ("wgan-gp", "wgan", "gan")]


