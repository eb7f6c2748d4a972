"""The run folder (see DESIGN.md): what a run writes and how to read it back, without torch.

This module is the contract's front door: the column names, readers of a run's
tables, listing and naming of run folders. The pieces behind it live beside it
and are re-exported here, so `from wgan_watch.runs import runfiles as rf` is all a
reader needs:

- atomic.py: atomic writes (temporary file, fsync, os.replace) and read_json;
- parts.py: tables as numbered Parquet parts (PartWriter, tolerant readers);
- runstatus.py: status.json (the heartbeat), control.json (stop) and the lock.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Optional

import pandas as pd

from .atomic import atomic_write_bytes, atomic_write_json, atomic_write_parquet, read_json  # noqa: F401
from .parts import PartWriter, combine_parts, part_files, read_part, read_parts, read_table  # noqa: F401
from .runstatus import (ACTIVE_STATES, STALE_HEARTBEAT_S, STATES, RunLockedError, acquire_lock,  # noqa: F401
                        clear_served_control, effective_state, pid_alive, read_control, release_lock,
                        write_control, write_status)

FORMAT_VERSION = 1
"""config.json's "format": the layout described in README "The run folder" (columns are only ever added)."""

METRIC_COLUMNS = ("step", "time", "elapsed", "w_estimate", "loss_d", "loss_g", "d_real", "d_fake",
                  "gp", "grad_norm", "clip_frac", "critic_iters", "samples_per_s")
EVAL_COLUMNS = ("step", "time", "w1_exact", "modes", "hq_frac", "fid", "kid", "w_heldout",
                "fid_features", "inception_score", "floor", "floor_sd")
"""`floor`, `floor_sd` (added in 0.2, format 1): the run's quality measure (w1_exact or fid) between
two independent real samples of the evaluation's size, mean and SD over repeats: what a perfect
generator would score. Measured once per run and repeated on every row."""
QUALITY_COLUMNS = ("w1_exact", "fid")  # the independent quality measure a run has, lower is better

_STEP_FILE_RE = re.compile(r"^step_(\d{8})\.(png|parquet|safetensors|onnx|json)$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def read_metrics(run_dir: str | os.PathLike, problems: Optional[list[str]] = None) -> pd.DataFrame:
    """The run's metrics, one row per generator step (columns: METRIC_COLUMNS)."""
    return read_table(Path(run_dir) / "metrics", METRIC_COLUMNS, problems)


def read_evals(run_dir: str | os.PathLike, problems: Optional[list[str]] = None) -> pd.DataFrame:
    """The run's evaluations, one row per evaluation (columns: EVAL_COLUMNS)."""
    return read_table(Path(run_dir) / "evals", EVAL_COLUMNS, problems)


# --- listing -------------------------------------------------------------------------

def step_name(step: int, ext: str) -> str:
    """`step_<8 digits>.<ext>`: the name of a sample, snapshot or exported generator."""
    return f"step_{step:08d}.{ext}"


def step_files(folder: str | os.PathLike, ext: str) -> list[tuple[int, Path]]:
    """(step, path) for `step_<8 digits>.<ext>` files in a folder, by step."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    out = [(int(m.group(1)), Path(folder) / n) for n in names
           if (m := _STEP_FILE_RE.match(n)) and m.group(2) == ext]
    return sorted(out)


def list_snapshots(run_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    return step_files(Path(run_dir) / "generator", "safetensors")


def is_valid_run_name(name: str) -> bool:
    return bool(_NAME_RE.match(name)) and ".." not in name


def resolve_run(runs_dir: str | os.PathLike, name: str) -> Path:
    """The folder of run `name` inside `runs_dir`, refusing anything that leads outside it."""
    if not isinstance(name, str) or not is_valid_run_name(name):
        raise ValueError(f"not a valid run name: {name!r}")
    root = Path(runs_dir).resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ValueError(f"run {name!r} leads outside the runs folder")
    return path


def new_run_dir(runs_root: str | os.PathLike, algo: str, data_slug: str) -> Path:
    """Create and return a fresh folder runs_root/<time>-<algo>-<data>[-N] (mkdir claims the name)."""
    root = Path(runs_root)
    root.mkdir(parents=True, exist_ok=True)
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{algo}-{data_slug}"
    for i in range(1, 1000):
        path = root / (base if i == 1 else f"{base}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot find a free run name for {base}")


def _first_existing(*paths: str) -> Optional[os.stat_result]:
    """The stat of the first of paths that exists."""
    for p in paths:
        try:
            return os.stat(p)
        except FileNotFoundError:
            continue
    return None


def list_runs(runs_dir: str | os.PathLike) -> list[str]:
    """Names of the run folders (those with a config.json or status.json), newest first: by the last write of
    status.json (else config.json), which a live run rewrites every few seconds. One stat per run (two for a run
    with only a config.json): the page that lists 10,000 runs calls this at every refresh."""
    root = Path(runs_dir)
    try:
        entries = list(os.scandir(root))
        real_root = root.resolve()
    except OSError:
        return []
    runs = []
    for e in entries:
        if not is_valid_run_name(e.name):
            continue
        try:
            # A plain folder's name has no separator or "..": it is inside the root. Only a link is resolved.
            path = str(resolve_run(real_root, e.name)) if e.is_symlink() else os.path.join(real_root, e.name)
            if not e.is_dir():
                continue
            found = _first_existing(os.path.join(path, "status.json"), os.path.join(path, "config.json"))
            if found is not None:
                runs.append((found.st_mtime, e.name))
        except (ValueError, OSError):  # not a run name, a link leading outside, or deleted meanwhile
            continue
    return [n for _, n in sorted(runs, reverse=True)]
