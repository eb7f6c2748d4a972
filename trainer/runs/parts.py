"""Tables as numbered Parquet parts: how metrics and evaluations reach the disk while a run trains.

A Parquet file cannot be appended to, and a reader cannot read one a writer holds
open, so each flush is a new part (`part-000001.parquet`, ...) put in place
atomically, merged now and then into one. Readers concatenate the parts in write
order and keep the last row for a step that appears twice (after a resume).
No torch import.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from . import atomic

_PART_RE = re.compile(r"^part-(\d{6,})\.parquet$")


def part_files(folder: str | os.PathLike) -> list[Path]:
    """The `part-*.parquet` files of a metrics or evals folder, in write order."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    parts = [(int(m.group(1)), n) for n in names if (m := _PART_RE.match(n))]
    return [Path(folder) / n for _, n in sorted(parts)]


def read_part(path: str | os.PathLike, columns: Optional[Iterable[str]] = None) -> pd.DataFrame:
    """One part as a DataFrame with exactly `columns` (missing ones are NaN; None: the part's own).
    Raises if unreadable."""
    f = pq.ParquetFile(path)
    names = f.schema_arrow.names
    if "step" not in names:
        raise ValueError("no 'step' column")
    if columns is None:
        return f.read().to_pandas()
    columns = list(columns)
    # Only the columns asked for are decoded (a run's summary needs 3 of its 14 metric columns).
    return f.read(columns=[c for c in columns if c in names]).to_pandas().reindex(columns=columns)


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


def read_parts(paths: Iterable[Path], columns: Iterable[str], problems: Optional[list[str]] = None) -> pd.DataFrame:
    """These parts merged in the given order; unreadable ones are skipped and reported."""
    columns = list(columns)
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


def read_table(folder: str | os.PathLike, columns: Iterable[str],
               problems: Optional[list[str]] = None) -> pd.DataFrame:
    """All parts of a folder merged; unreadable parts are skipped and reported."""
    return read_parts(part_files(folder), columns, problems)


class PartWriter:
    """Appends DataFrames to a folder as numbered Parquet parts, merging them now and then.

    When there are more than `max_parts`, the small parts written since the last big
    one are merged into one file that takes the newest part's number (os.replace), and
    the older ones are deleted afterwards: a reader in between sees some rows twice and
    keeps the last copy. Parts of `big_rows` rows or more are left alone, so a merge
    costs the same at step 10,000 and at step 10,000,000. Columns beyond `columns`
    (a user's own metrics) are kept: the writer's columns grow to include them.
    """

    def __init__(self, folder: str | os.PathLike, columns: Iterable[str], max_parts: int = 32,
                 big_rows: int = 100_000):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.columns = list(columns)
        self.max_parts, self.big_rows = max_parts, big_rows
        existing = part_files(self.folder)
        self._seq = int(_PART_RE.match(existing[-1].name).group(1)) if existing else 0
        if existing:  # a resumed folder: keep the extra columns its parts already hold
            try:
                self._grow(pq.read_schema(existing[-1]).names)
            except Exception:  # noqa: BLE001  (a torn part: the merge will drop it)
                pass

    def _grow(self, names: Iterable[str]) -> None:
        self.columns += [c for c in names if c not in self.columns and not c.startswith("__")]

    def write(self, df: pd.DataFrame) -> Path:
        self._grow(df.columns)
        self._seq += 1
        path = self.folder / f"part-{self._seq:06d}.parquet"
        atomic.atomic_write_parquet(path, df.reindex(columns=self.columns))
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
        atomic.atomic_write_parquet(parts[-1], df)
        for p in parts[:-1]:
            atomic.unlink_quietly(p)
