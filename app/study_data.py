"""What the Study page reads: the studies in the runs folder, and each of their runs as an analysis record.

A study is a group whose runs carry `study_sample` in config.json (python -m wgan_watch study); its design, when
the study command wrote it (`<runs>/.studies/<name>.json`), says how many runs are still to come. Each run's
record is cached on its files (load.run_key), so a refresh re-reads only the runs that changed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from wgan_watch.advice.estimate_trend import estimate_at
from wgan_watch.advice.quality_trend import quality_column
from wgan_watch.runs import runfiles as rf
from wgan_watch.runs.parts import read_table
from wgan_watch.runs.summary import METRIC_NEEDS
from wgan_watch.study.analysis import RunResult
from wgan_watch.study.design import Design

from . import load


def studies(root: Path, runs: list[str]) -> dict[str, list[str]]:
    """Study name -> its runs (those whose config.json has a study_sample), newest study first."""
    out: dict[str, list[str]] = {}
    for r in runs:
        cfg = load.config(rf.resolve_run(root, r)) or {}
        if isinstance(cfg.get("group"), str) and isinstance(cfg.get("study_sample"), int):
            out.setdefault(cfg["group"], []).append(r)
    return out


def design(root: Path, name: str) -> Optional[Design]:
    """The study's design as its command recorded it beside the runs, if it did."""
    raw = rf.read_json(root / ".studies" / f"{name}.json")
    try:
        return Design.from_dict(raw) if raw else None
    except Exception:
        return None


# Each run's record, kept until its files or its state change, the tables read only then: a refresh of a
# 72-run study reads nothing that did not change.
_RECORDS = load.KeyedCache()


def _record(key: tuple, _cfg: dict, _state: str, _m: pd.DataFrame, _ev: pd.DataFrame) -> tuple[RunResult, str]:
    col = quality_column(_ev)
    curve = pd.DataFrame(columns=["step", "elapsed", "quality", "estimate"])
    floor = float("nan")
    if col is not None:
        ev = _ev.dropna(subset=[col])
        steps = ev["step"].to_numpy()
        elapsed = np.interp(steps, _m["step"], _m["elapsed"]) if len(_m) else np.full(len(steps), np.nan)
        has_w = "w_estimate" in _m and _m["w_estimate"].notna().sum() > 10
        curve = pd.DataFrame({"step": steps, "elapsed": elapsed, "quality": ev[col].to_numpy(float),
                              "estimate": estimate_at(_m, steps) if has_w else np.nan})
        if "floor" in ev and ev["floor"].notna().any():
            floor = float(ev["floor"].dropna().iloc[-1])
    planned = _cfg.get("steps") if isinstance(_cfg.get("steps"), int) else None
    r = RunResult(key[0].rsplit("/", 1)[-1], str(_cfg.get("algo")), int(_cfg.get("study_sample") or 0),
                  int(_cfg.get("seed") or 0), _state, curve, planned, floor)
    return r, col or ""


def results(root: Path, names: list[str]) -> tuple[list[RunResult], str]:
    """(a record per run, the quality measure most of them have)."""
    out, measures = [], []
    for n in names:
        d = rf.resolve_run(root, n)
        state = load.status(d)["effective_state"]
        key = (*load.run_key(d), state)
        record, col = _RECORDS.get(key[0], key, lambda: _record(
            key, load.config(d) or {}, state, read_table(d / "metrics", METRIC_NEEDS), rf.read_evals(d)))
        out.append(record)
        measures.append(col)
    measure = max(set(measures), key=measures.count) if measures else ""
    return out, measure
