"""What the Compare page reads: the default set of runs, and one table row per run (cached on its files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from wgan_watch.runs import runfiles as rf

from . import load
from .frame_html import Column

COLUMNS = {  # how the page's table shows the rows of comparison()
    "seed": Column(number="{:.0f}"),  # (a float column where a run has none)
    "step": Column(number="{:,}"),
    "series": Column("measured on"),
    "steadiness": Column(
        "direction changes per 1,000 steps", number="{:.1f}",
        tip="How often the series that carries the run's meaning (a WGAN's estimate, a vanilla GAN's "
            "Jensen–Shannon estimate) turns from falling to rising or back, per 1,000 steps, after smoothing away "
            "step-to-step noise: a steady trend turns rarely, an oscillating series often."),
    "tracks quality": Column(
        "ρ with quality", number="{:.2f}",
        tip="Rank correlation of that series with the independent quality measure at the evaluations: near +1, "
            "the number falls as the samples get better; near 0, it says little about them."),
    "sparkline": Column("that series", sparkline=True),
    "modes": Column(number="{:g}"),
    "hq_frac": Column(number="{:.2f}"),
    "w1_exact": Column(number="{:.4f}"),
    "fid": Column(number="{:.1f}"),
}


def group_members(root: Path, runs: list[str], group) -> list[str]:
    """The runs whose config.json names this group (a Runs page link), newest first."""
    if not isinstance(group, str) or not group:
        return []
    return [r for r in runs if (load.config(rf.resolve_run(root, r)) or {}).get("group") == group]


def default_comparison(root: Path, runs: list[str]) -> list[str]:
    """The newest set of runs started together (same `group` in config.json); else the newest run and others
    on its data."""
    groups: dict[str, list[tuple[float, str]]] = {}
    for r in runs:
        d = rf.resolve_run(root, r)
        group = (load.config(d) or {}).get("group")
        if isinstance(group, str):
            started = (load.status(d).get("started_at") or 0.0)
            groups.setdefault(group, []).append((started if isinstance(started, (int, float)) else 0.0, r))
    if groups:
        newest = max(groups.values(), key=lambda members: max(t for t, _ in members))
        return [r for _, r in sorted(newest, key=lambda m: runs.index(m[1]))]
    cfgs = {r: (load.config(rf.resolve_run(root, r)) or {}) for r in runs}
    first = cfgs[runs[0]].get("data")
    return [r for r in runs if cfgs[r].get("data") == first][:3]


@st.cache_resource(max_entries=64, show_spinner=False)
def _row(key: tuple, _m: pd.DataFrame, _ev: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    from wgan_watch.advice.estimate_trend import with_js_estimate
    from wgan_watch.advice.oscillation import carrier, steadiness, tracks_quality

    from .series import downsample_indices

    _m = with_js_estimate(_m)
    frame = pd.DataFrame({c: _m[c] for c in ("step", "elapsed", "time", "loss_d", "loss_g", "w_estimate")})
    column = carrier(_m)
    y = _m[column].to_numpy(dtype=float) if column else pd.Series(dtype=float).to_numpy()
    idx = downsample_indices(y, 120)
    row = {"series": {"w_estimate": "W estimate", "js_estimate": "JS estimate", "loss_g": "generator loss"}.get(
               column, "—"),
           "steadiness": steadiness(_m["step"], y) if column else float("nan"),
           "tracks quality": tracks_quality(_m, _ev, column) if column else float("nan"),
           "sparkline": [float(v) for v in y[idx]]}
    for col in ("modes", "hq_frac", "w1_exact", "fid"):
        if col in _ev and _ev[col].notna().any():
            row[col] = float(_ev[col].dropna().iloc[-1])
    return frame, row


def comparison(run_dir: Path) -> tuple[pd.DataFrame, dict]:
    """(the run's losses and estimate, one table row) for a run."""
    m, ev, _, key = load.run_tables(run_dir)
    return _row(key, m, ev)


SEED_FREE = {"seed", "run_dir", "runs_root", "group", "progress", "format", "version", "device", "flush_secs",
             "study_sample", "writer", "user_config"}


def seed_groups(configs: dict[str, dict]) -> dict[str, list[str]]:
    """Runs that differ only in their seed (and where they were written) as one group: label -> runs, in the
    order given. Labels name the algorithm, numbered when one algorithm comes with several settings."""
    keyed: dict[str, list[str]] = {}
    for run, cfg in configs.items():
        key = repr(sorted((k, repr(v)) for k, v in cfg.items() if k not in SEED_FREE))
        keyed.setdefault(key, []).append(run)
    from .charts import algo_labels

    labels = algo_labels({members[0]: configs[members[0]].get("algo") for members in keyed.values()})
    return {labels[members[0]]: members for members in keyed.values()}


def band(frames: list[pd.DataFrame], column: str, x: str, method: str = "ema", weight: float = 0.6,
         points: int = 600) -> pd.DataFrame:
    """Several seeds' `column` (each smoothed over its own full series first) as a median with an interquartile
    band along x (step, or elapsed for "relative"), thinned to about `points` for drawing."""
    from wgan_watch.study.analysis import seed_band

    from .series import smooth

    xcol = "elapsed" if x == "relative" else "step"
    curves = [pd.DataFrame({xcol: f[xcol].to_numpy(), column: smooth(f[column].to_numpy(float), method, weight)})
              for f in frames if column in f and f[column].notna().any()]
    return seed_band(curves, x=xcol, y=column, max_points=points).rename(columns={xcol: "x"})


def caption(rows: list[dict], seeds: int = 1) -> str:
    """What this comparison shows, in words, from the numbers in its table: the claim, or what it shows instead.
    `seeds`: runs per algorithm and setting (1: said to be one run, which shows nothing general)."""
    text = _claim(rows)
    if seeds > 1:
        return f"Over {seeds} seeds per algorithm, every run counted: " + text
    return ("From one run per algorithm, which cannot tell the algorithm from its seed (the Study page shows the "
            "spread over seeds and settings): " + text)


def _claim(rows: list[dict]) -> str:
    gan = [r for r in rows if r.get("algorithm", "").startswith("vanilla GAN") and r["steadiness"] == r["steadiness"]]
    wgan = [r for r in rows if r.get("algorithm", "").startswith("WGAN") and r["steadiness"] == r["steadiness"]]
    if not gan or not wgan:
        return "Add a vanilla GAN and a WGAN on the same data to compare how their numbers behave."
    g_turns, w_turns = min(r["steadiness"] for r in gan), max(r["steadiness"] for r in wgan)
    g_rho = [r["tracks quality"] for r in gan if r["tracks quality"] == r["tracks quality"]]
    w_rho = [r["tracks quality"] for r in wgan if r["tracks quality"] == r["tracks quality"]]
    parts = []
    if g_turns > w_turns:
        parts.append(f"The vanilla GAN's Jensen–Shannon estimate changes direction {g_turns:.1f} times per 1,000 "
                     f"steps (after smoothing away step-to-step noise), every WGAN estimate at most {w_turns:.1f}: "
                     "the estimate trends, the GAN's oscillates.")
    else:
        parts.append(f"Here the WGAN estimates change direction as often as the vanilla GAN's ({w_turns:.1f} "
                     f"against {g_turns:.1f} times per 1,000 steps): on these runs oscillation does not tell them "
                     "apart.")
    if g_rho and w_rho:
        if min(w_rho) > max(g_rho):
            parts.append(f"The estimates follow the samples' quality (ρ ≥ {min(w_rho):.2f}); the GAN's much "
                         f"less (ρ = {max(g_rho):.2f}).")
        else:
            parts.append(f"Tracking quality, they do not separate here (WGAN ρ from {min(w_rho):.2f}, GAN "
                         f"{max(g_rho):.2f}).")
    return " ".join(parts)
