"""The Runs page's table: one row per run, from config.json and status.json alone, cached until they change.

A run's writer keeps its summary in status.json (wgan_watch.runs.summary); a run without one (older runs, other
tools) is summarised once from its tables and kept until they change. The whole table is plain columns (cheap
to filter and sort over 10,000 runs); the sparkline and the thumbnail are made only for the rows on screen.
A malformed run folder is one row that says what is wrong."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import streamlit as st

from wgan_watch.runs import runfiles as rf
from wgan_watch.runs.summary import Summary

from . import load
from . import runs_html as RH

COLUMNS = ["run", "state", "algo", "data", "group", "progress", "step", "quality", "measure", "steps/s",
           "updated", "problem"]
EXTRA_COLUMNS = ["of", "pid", "host", "state_raw", "has_summary", "study", "w"]
STATE_ORDER = ("running", "starting", "stopping", "lost", "failed", "diverged", "stopped", "finished")


# One row per run folder, kept until its config.json or status.json changes; what a run without a summary shows,
# until its tables change.
_ROWS = load.KeyedCache()
_FROM_TABLES = load.KeyedCache()


def _mtimes(d: str) -> tuple:
    """Changes when either file is replaced (the writers replace them atomically: a new inode) or touched."""
    out = []
    for f in ("config.json", "status.json"):
        try:
            st_ = os.stat(os.path.join(d, f))
            out.append((st_.st_mtime_ns, st_.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def _row(d: Path) -> dict:
    problem = ""
    cfg = rf.read_json(d / "config.json")
    status = rf.read_json(d / "status.json")
    if cfg is None and status is None:
        return {"run": d.name, "state_raw": "unreadable", "problem": "config.json and status.json are unreadable"}
    if cfg is None:
        problem = "config.json is missing or unreadable"
    cfg, status = cfg or {}, status or {}
    summary = status.get("summary") if isinstance(status.get("summary"), dict) else None
    step, of = status.get("step") or 0, cfg.get("steps")
    row = {"run": d.name, "state_raw": status.get("state"), "pid": status.get("pid"), "host": status.get("host"),
           "updated": status.get("updated_at"), "algo": cfg.get("algo"), "data": cfg.get("data"),
           "group": cfg.get("group") if isinstance(cfg.get("group"), str) else None,
           "study": isinstance(cfg.get("study_sample"), int),
           "step": int(step) if isinstance(step, (int, float)) else 0, "of": of if isinstance(of, int) else None,
           "problem": (status.get("message") if status.get("state") in ("failed", "diverged") else "") or problem,
           "has_summary": summary is not None}
    if summary is not None:
        row.update(quality=summary.get("quality"), measure=summary.get("measure"),
                   **{"steps/s": summary.get("steps_per_s"), "w": summary.get("w_estimate")})
    return row


def _from_tables(run_dir: Path) -> dict:
    """What a run without a summary shows, read from its tables (once per change of them)."""
    def make() -> dict:
        d = Summary.of_run(run_dir).as_dict()  # what the writer would have kept
        return {"quality": d["quality"], "measure": d["measure"], "steps/s": d["steps_per_s"],
                "estimate": d["estimate"] or None}

    key = load.run_key(run_dir)
    return _FROM_TABLES.get(key[0], key, make)


def table(root: Path, names: Optional[list[str]] = None) -> pd.DataFrame:
    """Every run in the folder, one row each (no pictures: those are made per page); `names`: the folder's
    rf.list_runs when the caller has just made it."""
    rows = []
    names = rf.list_runs(root) if names is None else names
    base = str(root)
    for name in names:
        try:
            d = os.path.join(base, name)
            row = dict(_ROWS.get(d, _mtimes(d), lambda d=d: _row(Path(d))))
        except Exception as e:  # noqa: BLE001 - a folder changing under us, or a file that is not JSON
            row = {"run": name, "state_raw": "unreadable", "problem": f"{type(e).__name__}: {e}"[:200]}
        if not row.get("has_summary", True):
            try:
                row.update({k: v for k, v in _from_tables(root / name).items() if k != "estimate"})
            except Exception as e:  # noqa: BLE001
                row["problem"] = f"tables unreadable: {e}"[:200]
        rows.append(row)
    if len(_ROWS) > 2 * len(names) + 1000:  # forget deleted runs (and other folders' runs) now and then
        keep = {os.path.join(base, n) for n in names}
        _ROWS.keep_only(keep)
        _FROM_TABLES.keep_only(keep)
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    # every column present even when no row has it (all folders unreadable, or none with a summary yet)
    df = pd.DataFrame(rows)
    df = df.reindex(columns=list(dict.fromkeys([*df.columns, *COLUMNS, *EXTRA_COLUMNS])))
    df["state"] = [_state(r) for r in rows]
    of = pd.to_numeric(df.get("of"), errors="coerce")
    df["progress"] = (pd.to_numeric(df["step"], errors="coerce") / of).clip(upper=1.0)
    return df


def _state(row: dict) -> str:
    """The shown state: 'lost' for a run whose process is gone while its status says it trains."""
    raw = row.get("state_raw")
    if raw == "unreadable":
        return "unreadable"
    return rf.effective_state({"state": raw, "pid": row.get("pid"), "host": row.get("host"),
                               "updated_at": row.get("updated")})


def pictures(root: Path, names: list[str]) -> dict[str, tuple[Optional[list], Optional[str]]]:
    """(sparkline of the estimate, thumbnail data URI) for the runs on screen."""
    from .thumbs import latest_sample

    out = {}
    for n in names:
        d = root / n
        status = rf.read_json(d / "status.json") or {}
        summary = status.get("summary") if isinstance(status.get("summary"), dict) else None
        spark = summary.get("estimate") if summary else None
        if summary is None:
            try:
                spark = _from_tables(d)["estimate"]
            except Exception:  # noqa: BLE001
                spark = None
        out[n] = (spark or None, latest_sample(d))
    return out


def page_rows(shown: pd.DataFrame, pics: dict) -> list[RH.Row]:
    """The rows on screen as the HTML table shows them (`pics`: from pictures())."""
    def text(v) -> Optional[str]:
        return v if isinstance(v, str) else None

    return [RH.Row(state=r["state"], run=r["run"], algo=text(r["algo"]), data=text(r["data"]),
                   progress=float(r["progress"]) if pd.notna(r["progress"]) else None,
                   estimate=pics[r["run"]][0], sample=pics[r["run"]][1], quality=number(r["quality"], "{:.4f}"),
                   speed=number(r["steps/s"], "{:.1f}"), age=age(r["updated"]), group=text(r["group"]))
            for _, r in shown.iterrows()]


def number(v, fmt: str) -> str:
    """A number as the table shows it; "—" where there is none (Streamlit would write None)."""
    return fmt.format(v) if isinstance(v, (int, float)) and np.isfinite(v) else "—"


def age(t) -> str:
    if not isinstance(t, (int, float)) or not np.isfinite(t):
        return "—"
    s = max(0.0, time.time() - t)
    for unit, n in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= n:
            return f"{s / n:.0f} {unit} ago"
    return f"{s:.0f} s ago"


def filtered(df: pd.DataFrame, states=(), algos=(), data=(), group: str = "", search: str = "") -> pd.DataFrame:
    """The rows that pass every filter given (empty: no filter); `search`: a case-insensitive part of the name."""
    keep = pd.Series(True, index=df.index)
    for col, wanted in (("state", states), ("algo", algos), ("data", data)):
        if wanted:
            keep &= df[col].isin(list(wanted))
    if group:
        keep &= df["group"] == group
    if search:
        keep &= df["run"].str.contains(search, case=False, regex=False)
    return df[keep]


def sorted_by(df: pd.DataFrame, column: str, descending: bool) -> pd.DataFrame:
    """Sorted on any column, missing values last either way."""
    if column == "state":
        key = {s: i for i, s in enumerate(STATE_ORDER)}
        return df.sort_values("state", key=lambda s: s.map(key).fillna(len(key)), ascending=not descending,
                              na_position="last", kind="stable")
    return df.sort_values(column, ascending=not descending, na_position="last", kind="stable")

