"""Cached readers over runs/, keyed on file names, sizes and mtimes.

A refresh stats the run's files and re-reads only the parts that changed.
Tables are cached with st.cache_resource rather than st.cache_data: the
frames are shared read-only, and cache_data would copy a million-row frame on
every hit. Nothing here unpickles or writes anything.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np
import pandas as pd
import streamlit as st

from wgan_watch.runs import runfiles as rf
from wgan_watch.config import ConfigError, TrainConfig

Signature = tuple[tuple[str, int, int], ...]


def signature(folder: Path) -> Signature:
    """(name, size, mtime_ns) of each part: changes whenever a part is added, merged or rewritten."""
    out = []
    for p in rf.part_files(folder):
        try:
            s = p.stat()
        except OSError:
            continue
        out.append((p.name, s.st_size, s.st_mtime_ns))
    return tuple(out)


@st.cache_resource(max_entries=4096, show_spinner=False)
def _part(path: str, size: int, mtime_ns: int, columns: tuple[str, ...]) -> Optional[pd.DataFrame]:
    try:
        return rf.read_part(path, columns)
    except Exception:
        return None  # reported by _GrowingTable._read


class _GrowingTable:
    """One run folder's table, kept in arrays with spare room so a new part is appended in
    place: a refresh costs the new rows, not a copy of the million before them."""

    def __init__(self, columns: tuple[str, ...]):
        self.columns, self.lock = columns, threading.Lock()
        self.sig: Signature = ()
        self.arrays: dict[str, np.ndarray] = {}
        self.n = 0
        self.frame = rf.combine_parts([], columns)
        self.problems: tuple[str, ...] = ()

    def update(self, folder: str) -> tuple[pd.DataFrame, tuple[str, ...], Signature]:
        """(the table as the folder's files are now, its problems, the signature of the files it holds). The
        files are listed under the lock: a session that listed them before another session's update would
        otherwise rebuild the table back to its older list."""
        with self.lock:
            sig = signature(Path(folder))
            if sig != self.sig:
                grows = self.sig and sig[: len(self.sig)] == self.sig
                if not (grows and self._append(folder, sig[len(self.sig):])):
                    self._rebuild(folder, sig)
                self.sig = sig
            return self.frame, self.problems, self.sig

    def _read(self, folder: str, sig: Signature) -> tuple[list[pd.DataFrame], list[str]]:
        frames, problems = [], []
        for name, size, mtime in sig:
            df = _part(os.path.join(folder, name), size, mtime, self.columns)
            if df is None:
                problems.append(f"skipped unreadable file {name}")
            else:
                frames.append(df)
        return frames, problems

    def _rebuild(self, folder: str, sig: Signature) -> None:
        frames, problems = self._read(folder, sig)
        df = rf.combine_parts(frames, self.columns)
        self.n = len(df)
        room = self.n + self.n // 4 + 4096  # spare rows for the parts still to come
        self.arrays = {}
        for c in self.columns:
            v = df[c].to_numpy()
            self.arrays[c] = np.empty(room, dtype=v.dtype)
            self.arrays[c][: self.n] = v
        self.problems = tuple(problems)
        self._publish()

    def _append(self, folder: str, new: Signature) -> bool:
        frames, problems = self._read(folder, new)
        df = rf.combine_parts(frames, self.columns)
        last = self.arrays["step"][self.n - 1] if self.n else -1
        if len(df) and df["step"].iloc[0] <= last:
            return False  # steps overlap (a resume): rebuild with last-row-wins
        need = self.n + len(df)
        for c in self.columns:
            a, v = self.arrays[c], df[c].to_numpy()
            if need > len(a) or a.dtype != v.dtype:
                grown = np.empty(max(need, int(len(a) * 1.5) + 1024), dtype=np.result_type(a.dtype, v.dtype))
                grown[: self.n] = a[: self.n]
                self.arrays[c] = a = grown
            a[self.n: need] = v
        self.n = need
        self.problems += tuple(problems)
        self._publish()
        return True

    def _publish(self) -> None:
        # views on the arrays: rows below n never change, so earlier frames stay valid
        self.frame = pd.DataFrame({c: a[: self.n] for c, a in self.arrays.items()}, copy=False)


@st.cache_resource(max_entries=64, show_spinner=False)
def _growing(folder: str, columns: tuple[str, ...]) -> _GrowingTable:
    return _GrowingTable(columns)


def _table(folder: Path, columns: tuple[str, ...]) -> tuple[pd.DataFrame, tuple[str, ...], Signature]:
    return _growing(str(folder), columns).update(str(folder))


def metrics(run_dir: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    return _table(run_dir / "metrics", rf.METRIC_COLUMNS)[:2]


def evals(run_dir: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    return _table(run_dir / "evals", rf.EVAL_COLUMNS)[:2]


class RunTables(NamedTuple):
    metrics: pd.DataFrame
    evals: pd.DataFrame
    problems: tuple[str, ...]
    key: tuple  # run_key of exactly these tables


def run_tables(run_dir: Path) -> RunTables:
    """The run's metrics and evaluations with the cache key of exactly what they hold. A key from a second look
    at the files (run_key) can name a part that arrived after the tables were read: what is cached under it then
    lacks that part until the next one comes, and for good if it was a finished run's last."""
    m, m_problems, m_sig = _table(run_dir / "metrics", rf.METRIC_COLUMNS)
    ev, ev_problems, ev_sig = _table(run_dir / "evals", rf.EVAL_COLUMNS)
    return RunTables(m, ev, m_problems + ev_problems, (str(run_dir), m_sig, ev_sig))


def status(run_dir: Path) -> dict:
    st_ = rf.read_json(run_dir / "status.json") or {}
    return {**st_, "effective_state": rf.effective_state(st_)}


def config(run_dir: Path) -> Optional[dict]:
    return rf.read_json(run_dir / "config.json")


def train_config(run_dir: Path) -> Optional[TrainConfig]:
    raw = config(run_dir)
    try:
        return TrainConfig.from_dict(raw).resolved() if raw else None
    except ConfigError:
        return None


def is_live(run_dir: Path) -> bool:
    return status(run_dir)["effective_state"] in rf.ACTIVE_STATES


@st.cache_resource(max_entries=256, show_spinner=False)
def _toy_sample(path: str, mtime_ns: int) -> Optional[pd.DataFrame]:
    try:
        return pd.read_parquet(path)
    except Exception:
        return None


def toy_sample(path: Path) -> Optional[pd.DataFrame]:
    try:
        return _toy_sample(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


@st.cache_resource(max_entries=64, show_spinner=False)
def _toy_figure(path: str, mtime_ns: int, title: str):
    from . import charts

    df = _toy_sample(path, mtime_ns)
    return None if df is None else charts.toy_samples_figure(df, title)


def toy_figure(path: Path, title: str):
    """charts.toy_samples_figure of a saved toy sample (None if unreadable), made once per file and title and
    shared between sessions (28 ms: the critic's map is drawn as a picture). Not to be changed: copy it first."""
    try:
        return _toy_figure(str(path), path.stat().st_mtime_ns, title)
    except OSError:
        return None


def log_tail(run_dir: Path, lines: int = 30, max_bytes: int = 64_000) -> str:
    """The last lines of trainer.log (reads at most max_bytes from its end)."""
    path = run_dir / "trainer.log"
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class KeyedCache:
    """Values kept per name until their key (files' mtimes, a signature) changes, shared by every session. A plain
    dict, not st.cache_*: that hashes its arguments, 200 us a call, 2 s per visit of a 10,000-run page."""

    def __init__(self) -> None:
        self._d: dict[str, tuple[tuple, object]] = {}

    def get(self, name: str, key: tuple, make):
        hit = self._d.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = make()
        self._d[name] = (key, value)
        return value

    def keep_only(self, names: set[str]) -> None:
        """Forget every other name (deleted runs); iterates a copy, as other sessions' threads insert."""
        for k in [k for k in list(self._d) if k not in names]:
            self._d.pop(k, None)

    def __len__(self) -> int:
        return len(self._d)


def run_key(run_dir: Path) -> tuple:
    """Changes whenever the run's metrics or evals change: a cache key for what is read from the files after it
    (what is drawn from tables already read takes run_tables' key)."""
    return (str(run_dir), signature(run_dir / "metrics"), signature(run_dir / "evals"))


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(builder: str, key: tuple, options_key: str, _frames: dict, _columns: list, _options: dict):
    from . import charts

    return getattr(charts, builder)(_frames, _columns, **_options)


def figure(builder: str, key: tuple, frames: dict, columns, **options):
    """charts.<builder>(frames, columns, **options), built once per change of the runs' files.

    Smoothing and downsampling a million points per series is the page's main cost; a
    refresh that finds no new part reuses the figure. `key` must change with the frames
    (run_tables' key of each run)."""
    # `overlay` (evaluation tables) changes with `key` already: leave it out of the hashed part
    options_key = repr((list(columns), sorted((k, v) for k, v in options.items() if k != "overlay")))
    return _figure(builder, key, options_key, frames, list(columns), options)


@st.cache_resource(max_entries=64, show_spinner=False)
def _advice(key: tuple, snaps: tuple[int, ...], state: str, n: Optional[int], algo: Optional[str],
            _m: pd.DataFrame, _ev: pd.DataFrame):
    from wgan_watch.advice import advise, estimate_tracks_quality
    from wgan_watch.advice.estimate_trend import decimate

    m = decimate(_m)  # once: both would otherwise reduce the same million rows (a no-op when short)
    return (advise(m, _ev, snapshot_steps=snaps, state=state, eval_samples=n, algo=algo),
            estimate_tracks_quality(m, _ev))


def advice(run_dir: Path):
    """(Advice, (rank corr. over the run, over its second half, quality column)) for a run."""
    m, ev, _, key = run_tables(run_dir)
    snaps = tuple(s for s, _ in rf.list_snapshots(run_dir))
    st_ = status(run_dir)
    state = "diverged" if st_.get("diverged_at") is not None else st_["effective_state"]
    cfg = config(run_dir) or {}
    n, algo = cfg.get("eval_samples"), cfg.get("algo")  # "as close as the measure can tell at n = ..."
    return _advice(key, snaps, state, n if isinstance(n, int) else None,
                   algo if isinstance(algo, str) else None, m, ev)
