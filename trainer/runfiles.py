"""The run folder: atomic writers and tolerant readers (see DESIGN.md).

Everything the trainer and the dashboard exchange goes through here. Writers
put each file in place with `os.replace`, so a reader never sees half a file;
readers skip what they cannot read and say so instead of raising.

No torch import: the dashboard uses this module without it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

METRIC_COLUMNS = ("step", "time", "elapsed", "w_estimate", "loss_d", "loss_g", "d_real", "d_fake",
                  "gp", "grad_norm", "clip_frac", "critic_iters", "samples_per_s")
EVAL_COLUMNS = ("step", "time", "w1_exact", "modes", "hq_frac", "fid", "kid", "w_heldout",
                "fid_features", "inception_score")
STATES = ("starting", "running", "stopping", "finished", "stopped", "diverged", "failed")
ACTIVE_STATES = ("starting", "running", "stopping")
STALE_HEARTBEAT_S = 120.0  # a run on another host with no heartbeat for this long is lost

# pyarrow's default pool (mimalloc) keeps freed pages: with a Parquet part every 2 s a
# trainer's resident memory grew ~6 MB per 1,000 steps and did not level off; the system
# allocator returns them (bench/memory.py: flat). An explicit ARROW_DEFAULT_MEMORY_POOL wins.
if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
    pa.set_memory_pool(pa.system_memory_pool())

_PART_RE = re.compile(r"^part-(\d{6,})\.parquet$")
_STEP_FILE_RE = re.compile(r"^step_(\d{8})\.(png|parquet|safetensors)$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


# --- atomic writes -------------------------------------------------------------

def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then os.replace into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode())


def atomic_write_parquet(path: str | os.PathLike, df: pd.DataFrame) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def _unlink_quietly(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# --- tolerant reads --------------------------------------------------------------

def read_json(path: str | os.PathLike) -> Optional[dict]:
    """The JSON object in `path`, or None if it is missing, unreadable or not an object."""
    try:
        obj = json.loads(Path(path).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def part_files(folder: str | os.PathLike) -> list[Path]:
    """The `part-*.parquet` files of a metrics or evals folder, in write order."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    parts = [(int(m.group(1)), n) for n in names if (m := _PART_RE.match(n))]
    return [Path(folder) / n for _, n in sorted(parts)]


def read_part(path: str | os.PathLike, columns: Iterable[str]) -> pd.DataFrame:
    """One part as a DataFrame with exactly `columns` (missing ones are NaN). Raises if unreadable."""
    table = pq.read_table(path)
    df = table.to_pandas()
    if "step" not in df.columns:
        raise ValueError("no 'step' column")
    return df.reindex(columns=list(columns))


def combine_parts(frames: list[pd.DataFrame], columns: Iterable[str]) -> pd.DataFrame:
    """Concatenate parts in write order; for a step that appears twice keep the last row."""
    columns = list(columns)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype({"step": "int64"})
    if len(frames) == 1:
        df = frames[0]
    else:  # column by column: pd.concat on parquet-born frames copies block by block, 20x slower
        df = pd.DataFrame({c: np.concatenate([f[c].to_numpy() for f in frames]) for c in columns}, copy=False)
    if df["step"].dtype != "int64":
        df = df[pd.to_numeric(df["step"], errors="coerce").notna()]
        df = df.assign(step=df["step"].astype("int64"))
    steps = df["step"].to_numpy()
    if len(steps) > 1 and not (steps[1:] > steps[:-1]).all():  # a repeated step (resume) or out of order
        df = df.drop_duplicates("step", keep="last").sort_values("step", kind="stable")
    return df.reset_index(drop=True)


def read_table(folder: str | os.PathLike, columns: Iterable[str],
               problems: Optional[list[str]] = None) -> pd.DataFrame:
    """All parts of a folder merged; unreadable parts are skipped and reported."""
    return read_parts(part_files(folder), columns, problems)


def read_parts(paths: Iterable[Path], columns: Iterable[str], problems: Optional[list[str]] = None) -> pd.DataFrame:
    """These parts merged in the given order; unreadable ones are skipped and reported."""
    frames = []
    for p in paths:
        try:
            frames.append(read_part(p, columns))
        except FileNotFoundError:
            # a merge deleted it after we listed the folder: its rows are in the merged part,
            # which took the newest listed part's name and is read after it (see PartWriter)
            continue
        except Exception as e:  # any broken file: torn, empty, wrong schema, random bytes
            msg = f"skipped unreadable part {p.name}: {type(e).__name__}: {e}"
            if problems is not None:
                problems.append(msg)
            warnings.warn(msg, stacklevel=2)
    return combine_parts(frames, columns)


def read_metrics(run_dir: str | os.PathLike, problems: Optional[list[str]] = None) -> pd.DataFrame:
    """The run's metrics, one row per generator step (columns: METRIC_COLUMNS)."""
    return read_table(Path(run_dir) / "metrics", METRIC_COLUMNS, problems)


def read_evals(run_dir: str | os.PathLike, problems: Optional[list[str]] = None) -> pd.DataFrame:
    """The run's evaluations, one row per evaluation (columns: EVAL_COLUMNS plus any extra)."""
    return read_table(Path(run_dir) / "evals", EVAL_COLUMNS, problems)


# --- part writer -------------------------------------------------------------------

class PartWriter:
    """Appends DataFrames to a folder as numbered Parquet parts, merging them now and then.

    A Parquet file cannot be appended to, so each flush is a new part. When there
    are more than `max_parts`, the small parts written since the last big one are
    merged into one file that takes the newest part's number (os.replace), and the
    older ones are deleted afterwards: a reader in between sees some rows twice and
    keeps the last copy. Parts of `big_rows` rows or more are left alone, so a merge
    costs the same at step 10,000 and at step 10,000,000.
    """

    def __init__(self, folder: str | os.PathLike, columns: Iterable[str], max_parts: int = 32,
                 big_rows: int = 100_000):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.columns = list(columns)
        self.max_parts, self.big_rows = max_parts, big_rows
        existing = part_files(self.folder)
        self._seq = int(_PART_RE.match(existing[-1].name).group(1)) if existing else 0

    def write(self, df: pd.DataFrame) -> Path:
        self._seq += 1
        path = self.folder / f"part-{self._seq:06d}.parquet"
        atomic_write_parquet(path, df.reindex(columns=self.columns))
        if len(part_files(self.folder)) > self.max_parts:
            self.merge(since_last_big=True)
        return path

    def _rows(self, path: Path) -> int:
        try:
            return pq.read_metadata(path).num_rows
        except Exception:  # noqa: BLE001  (a torn part: let the merge skip it)
            return 0

    def merge(self, keep_through_step: Optional[int] = None, since_last_big: bool = False) -> None:
        """Rewrite parts as one (dropping steps after `keep_through_step` if given): all of them,
        or with `since_last_big` only those written after the last part of `big_rows` rows or more."""
        parts = part_files(self.folder)
        if since_last_big:
            first = len(parts)
            while first > 0 and self._rows(parts[first - 1]) < self.big_rows:
                first -= 1
            parts = parts[first:]
        if not parts or (len(parts) < 2 and keep_through_step is None):
            return
        df = read_parts(parts, self.columns)  # a torn or foreign part is dropped, as readers do
        if keep_through_step is not None:
            df = df[df["step"] <= keep_through_step]
        atomic_write_parquet(parts[-1], df)
        for p in parts[:-1]:
            _unlink_quietly(p)


# --- status, control, lock -------------------------------------------------------

def write_status(run_dir: str | os.PathLike, **fields: Any) -> dict:
    """Update status.json (merging with what is there) and stamp updated_at and host."""
    path = Path(run_dir) / "status.json"
    status = read_json(path) or {}
    status.update(fields)
    status["updated_at"] = time.time()
    status["host"] = socket.gethostname()
    atomic_write_json(path, status)
    return status


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_state(status: Optional[dict]) -> str:
    """The state to show: 'lost' for a run that says it is active but whose process is gone."""
    if not status:
        return "unknown"
    state = status.get("state")
    if state not in STATES:
        return "unknown"
    if state in ACTIVE_STATES:
        if status.get("host") == socket.gethostname():
            if not pid_alive(status.get("pid")):
                return "lost"
        else:
            updated = status.get("updated_at")
            if not isinstance(updated, (int, float)) or time.time() - updated > STALE_HEARTBEAT_S:
                return "lost"
    return state


def write_control(run_dir: str | os.PathLike, command: str = "stop") -> None:
    atomic_write_json(Path(run_dir) / "control.json", {"command": command, "time": time.time()})


def clear_served_control(run_dir: str | os.PathLike) -> None:
    """Forget a request the run's previous process has already served (it wrote its status after it).

    A stop written later (say, while a resumed trainer is starting) stays and is obeyed.
    """
    control = read_json(Path(run_dir) / "control.json")
    status = read_json(Path(run_dir) / "status.json") or {}
    asked, ended = (control or {}).get("time"), status.get("updated_at")
    if isinstance(asked, (int, float)) and isinstance(ended, (int, float)) and asked <= ended:
        _unlink_quietly(Path(run_dir) / "control.json")


def read_control(run_dir: str | os.PathLike) -> Optional[str]:
    obj = read_json(Path(run_dir) / "control.json")
    cmd = obj.get("command") if obj else None
    return cmd if isinstance(cmd, str) else None


class RunLockedError(RuntimeError):
    pass


def acquire_lock(run_dir: str | os.PathLike) -> Path:
    """Claim the run folder for this process; a lock from a dead process is taken over."""
    path = Path(run_dir) / "trainer.lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            held = read_json(path) or {}
            same_host = held.get("host") in (None, socket.gethostname())
            if held.get("pid") == os.getpid() or (same_host and not pid_alive(held.get("pid"))):
                _unlink_quietly(path)  # stale: its process is gone
                continue
            raise RunLockedError(f"run {Path(run_dir).name!r} is already being trained by process "
                                 f"{held.get('pid')} on {held.get('host')}") from None
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}, f)
        return path
    raise RunLockedError(f"could not lock run {Path(run_dir).name!r}")


def release_lock(run_dir: str | os.PathLike) -> None:
    path = Path(run_dir) / "trainer.lock"
    held = read_json(path) or {}
    if held.get("pid") == os.getpid():
        _unlink_quietly(path)


# --- listing -------------------------------------------------------------------------

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


def list_runs(runs_dir: str | os.PathLike) -> list[str]:
    """Names of the run folders (those with a config.json or status.json), newest first."""
    root = Path(runs_dir)
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    runs = []
    for e in entries:
        if not is_valid_run_name(e.name):
            continue
        try:
            path = resolve_run(root, e.name)
        except ValueError:
            continue
        if path.is_dir() and ((path / "config.json").exists() or (path / "status.json").exists()):
            runs.append((path.stat().st_mtime, e.name))
    return [n for _, n in sorted(runs, reverse=True)]
