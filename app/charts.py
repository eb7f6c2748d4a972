"""Plotly figure builders: pure functions, DataFrames in, figures out. No Streamlit here."""

from __future__ import annotations

import base64
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import toy_image
from .series import downsample_indices, smooth

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
X_AXES = {"step": "generator step", "relative": "training time (s)", "wall": "wall-clock time"}
MAX_POINTS = 2000  # per raw series: the minimum and maximum of 1,000 buckets (spikes survive)
SMOOTH_POINTS = 1000  # per smoothed series: evenly spaced (smoothing already removed the spikes)
DASHES = ("solid", "dash", "dot", "dashdot")
MARGIN = dict(l=55, r=10, t=40, b=45)  # room for tick labels and axis titles on the left and below
# stacked panels: the legend at the figure's foot, clear of the panel titles and of the x axis title
BELOW_PANELS = dict(orientation="h", yref="container", y=0.0, yanchor="bottom", xanchor="left", x=0)

LABELS = {
    "w_estimate": "W estimate (critic)", "loss_d": "critic loss", "loss_g": "generator loss",
    "gp": "gradient penalty", "grad_norm": "‖∇D‖ at interpolates", "clip_frac": "weights at ±clip",
    "critic_iters": "critic iterations", "samples_per_s": "samples/s", "w1_exact": "exact W1 (OT)",
    "modes": "modes covered", "hq_frac": "high-quality share", "w_heldout": "W estimate, held-out",
    "fid": "FID", "kid": "KID", "inception_score": "Inception score (digit classifier)",
}


def run_colors(names: Sequence[str]) -> dict[str, str]:
    """One colour per run, the same in every chart of the page."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def x_values(df: pd.DataFrame, x: str) -> pd.Series:
    if x == "relative":
        return df["elapsed"]
    if x == "wall":
        return pd.to_datetime(df["time"], unit="s")
    return df["step"]


def _compact(x: np.ndarray) -> np.ndarray:
    """x values as small as they can go: steps as int32, seconds as float32 (dates stay as they are)."""
    if x.dtype.kind == "i":
        return x.astype(np.int32) if len(x) and x.max() < 2**31 else x
    if x.dtype.kind == "f":
        return x.astype(np.float32) if len(x) and np.abs(x).max() < 1e6 else x
    return x


def _faint(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.25)"


def _layout(fig: go.Figure, title: str, x: str, y_title: str, log_y: bool) -> go.Figure:
    fig.update_layout(title=title, height=360, margin=MARGIN, hovermode="x unified",
                      legend=dict(orientation="h", yanchor="top", y=-0.3, xanchor="left", x=0),
                      xaxis_title=X_AXES[x], yaxis_title=y_title)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def line_figure(frames: dict[str, pd.DataFrame], columns: Iterable[str], *, x: str = "step",
                method: str = "ema", weight: float = 0.6, colors: dict[str, str] | None = None,
                log_y: bool = False, title: str = "", y_title: str = "",
                overlay: dict[str, pd.DataFrame] | None = None, overlay_column: str = "",
                y_range: tuple[float, float] | None = None) -> go.Figure:
    """Each run's columns: the raw series faint, the smoothed one bold (smoothed before downsampling).
    `overlay`: per-run evaluation tables whose `overlay_column` is drawn as markers on the same axes."""
    colors = colors or run_colors(list(frames))
    columns = list(columns)
    fig = go.Figure()
    for run, df in frames.items():
        xs = x_values(df, x).to_numpy()
        for j, col in enumerate(columns):
            if col not in df or df[col].isna().all():
                continue
            raw = df[col].to_numpy(dtype=np.float64)
            label = f"{run} · {LABELS.get(col, col)}"
            dash = DASHES[j % len(DASHES)]
            # SVG lines, float32 values: a few thousand points draw faster without WebGL (no context to create
            # at every redraw, and a page allows only ~8), and float32 halves what goes to the browser
            if method != "none":
                i = downsample_indices(raw, MAX_POINTS)
                fig.add_trace(go.Scatter(x=_compact(xs[i]), y=raw[i].astype(np.float32), name=f"{label} (raw)",
                                         mode="lines", line=dict(color=_faint(colors[run]), width=1, dash=dash),
                                         legendgroup=label, showlegend=False, hoverinfo="skip"))
            sm = smooth(raw, method, weight)
            i = np.unique(np.linspace(0, len(sm) - 1, min(len(sm), SMOOTH_POINTS)).astype(np.int64))
            fig.add_trace(go.Scatter(x=_compact(xs[i]), y=sm[i].astype(np.float32), name=label, mode="lines",
                                     legendgroup=label, line=dict(color=colors[run], width=2, dash=dash)))
    for run, ev in (overlay or {}).items():
        if run in colors and overlay_column in ev and ev[overlay_column].notna().any():
            fig.add_trace(go.Scatter(x=x_values(ev, x), y=ev[overlay_column], mode="markers",
                                     name=f"{run} · {LABELS.get(overlay_column, overlay_column)}",
                                     marker=dict(color=colors[run], symbol="diamond-open", size=9)))
    fig = _layout(fig, title, x, y_title, log_y)
    if y_range:
        fig.update_yaxes(range=list(y_range))
    return fig


def evals_figure(frames: dict[str, pd.DataFrame], columns: Iterable[str], *, x: str = "step",
                 colors: dict[str, str] | None = None, log_y: bool = False, title: str = "",
                 y_title: str = "", names: str = "run · column") -> go.Figure:
    """Evaluation columns as lines with markers (few points: no smoothing). names="run": traces named by run only."""
    colors = colors or run_colors(list(frames))
    fig = go.Figure()
    for run, df in frames.items():
        for j, col in enumerate(columns):
            if col not in df or df[col].isna().all():
                continue
            name = run if names == "run" else f"{run} · {LABELS.get(col, col)}"
            fig.add_trace(go.Scatter(x=x_values(df, x), y=df[col], name=name,
                                     mode="lines+markers",
                                     line=dict(color=colors[run], dash=DASHES[j % len(DASHES)])))
    return _layout(fig, title, x, y_title, log_y)


def with_elapsed(evals: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Evaluations with the training time at their step, read off the metrics."""
    out = evals.copy()
    if len(metrics) and len(evals):
        out["elapsed"] = np.interp(evals["step"], metrics["step"], metrics["elapsed"])
    else:
        out["elapsed"] = np.nan
    return out


def toy_samples_figure(df: pd.DataFrame, title: str = "") -> go.Figure:
    """Real and generated points over the critic's value, its map a picture under them (toy_image.critic_map_png)
    with a colour bar. A picture and not a heatmap trace: with lines and markers only, plotly.js's basic bundle
    draws the figure (app/basic_chart.py), and no page that shows samples loads Streamlit's full Plotly."""
    fig = go.Figure()
    lo, hi = toy_image.span(df)  # square, around the map and the points: no empty margins beside it
    grid = df[df["kind"] == "critic"]
    if len(grid):
        png, vmin, vmax = toy_image.critic_map_png(grid, lo, hi)
        fig.add_layout_image(source="data:image/png;base64," + base64.b64encode(png).decode(), xref="x", yref="y",
                             x=lo, y=hi, sizex=hi - lo, sizey=hi - lo, sizing="stretch", layer="below")
        if np.isfinite(vmin):  # the colour bar, carried by a marker that is not drawn
            scale = dict(color=[vmin, vmax], cmin=vmin, cmax=vmax, colorscale="RdBu_r", showscale=True,
                         colorbar=dict(title="D(x)"))
            fig.add_trace(go.Scatter(x=[None, None], y=[None, None], mode="markers", name="critic D(x)",
                                     showlegend=False, hoverinfo="skip", marker=scale))
    for kind, color, name in (("real", "rgba(0,0,0,0.35)", "real"), ("fake", "#ff7f0e", "generated")):
        pts = df[df["kind"] == kind]
        fig.add_trace(go.Scatter(x=pts["x"].to_numpy(np.float32), y=pts["y"].to_numpy(np.float32), mode="markers",
                                 name=name, marker=dict(size=4, color=color)))
    fig.update_layout(title=title, height=480, margin=MARGIN, legend=dict(orientation="h"),
                      # no grid: Plotly draws it over a picture below the traces (a heatmap trace hid it)
                      xaxis=dict(range=[lo, hi], constrain="domain", showgrid=False, zeroline=False),
                      yaxis=dict(range=[lo, hi], scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False,
                                 zeroline=False))
    return fig


ALGO_NAMES = {"wgan-gp": "WGAN-GP", "wgan": "WGAN (clipping)", "gan": "vanilla GAN"}
ALGO_COLORS = {"wgan-gp": "#1f77b4", "wgan": "#2ca02c", "gan": "#d62728"}  # one colour per algorithm, every page


def algo_labels(algos: dict[str, str]) -> dict[str, str]:
    """A short legend name per run, from its algorithm ("WGAN-GP", "vanilla GAN", ...; numbered when repeated)."""
    out, seen = {}, {}
    for run, algo in algos.items():
        base = ALGO_NAMES.get(algo or "", algo or run)
        seen[base] = seen.get(base, 0) + 1
        out[run] = base if seen[base] == 1 else f"{base} ({seen[base]})"
    return out


def panels_figure(frames: dict[str, pd.DataFrame], columns: Sequence[str], titles: dict[str, str], *,
                  x: str = "step", method: str = "ema", weight: float = 0.6, title: str = "",
                  panel_height: int = 170) -> go.Figure:
    """One panel per run (rows, shared x axis, each with its own y scale): `columns` smoothed over the raw series
    drawn faint. Legends name the columns once; panel titles name the runs (`titles`: run -> label)."""
    runs = list(frames)
    fig = make_subplots(rows=max(1, len(runs)), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[titles.get(r, r) for r in runs])
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(columns)}
    for row, run in enumerate(runs, start=1):
        df = frames[run]
        xs = x_values(df, x).to_numpy()
        for col in columns:
            if col not in df or df[col].isna().all():
                continue
            raw = df[col].to_numpy(dtype=np.float64)
            if method != "none":
                i = downsample_indices(raw, MAX_POINTS // 2)
                fig.add_trace(go.Scatter(x=xs[i], y=raw[i].astype(np.float32), mode="lines", showlegend=False,
                                         line=dict(color=_faint(colors[col]), width=1), hoverinfo="skip",
                                         name=f"{LABELS.get(col, col)} (raw)"), row=row, col=1)
            sm = smooth(raw, method, weight)
            i = downsample_indices(sm, MAX_POINTS // 2)
            fig.add_trace(go.Scatter(x=xs[i], y=sm[i].astype(np.float32), mode="lines", name=LABELS.get(col, col),
                                     legendgroup=col, showlegend=row == 1, line=dict(color=colors[col], width=2)),
                          row=row, col=1)
    fig.update_layout(title=title, height=120 + panel_height * max(1, len(runs)), margin={**MARGIN, "t": 60,
                      "b": 90}, hovermode="x unified", legend=BELOW_PANELS)
    fig.update_xaxes(title_text=X_AXES[x], row=max(1, len(runs)), col=1)
    return fig


def label_colors(labels: dict[str, str]) -> dict[str, str]:
    """label -> colour by the label's algorithm (ALGO_COLORS), for labels made by algo_labels: {label: algo}."""
    return {label: ALGO_COLORS.get(algo, PALETTE[i % len(PALETTE)]) for i, (label, algo) in enumerate(labels.items())}


def _band_traces(fig: go.Figure, b: pd.DataFrame, name: str, color: str, dash: str = "solid", row=None, col=None,
                 legend: bool = True) -> None:
    xs = b["x"].to_numpy()
    kw = dict(row=row, col=col) if row else {}
    fig.add_trace(go.Scatter(x=np.r_[xs, xs[::-1]], y=np.r_[b["q75"], b["q25"][::-1]].astype(np.float32),
                             fill="toself", mode="lines", fillcolor=_faint(color), line=dict(width=0),
                             hoverinfo="skip", legendgroup=name, showlegend=False, name=f"{name} IQR"), **kw)
    fig.add_trace(go.Scatter(x=xs, y=b["median"].to_numpy(np.float32), mode="lines", name=name, legendgroup=name,
                             showlegend=legend, line=dict(color=color, width=2, dash=dash)), **kw)


def band_figure(bands: dict[str, pd.DataFrame], colors: dict[str, str], *, x: str = "step", title: str = "",
                y_title: str = "", log_y: bool = False) -> go.Figure:
    """Groups of seeds as one line each: the median, the interquartile range as a band, n in the legend."""
    fig = go.Figure()
    for label, b in bands.items():
        if len(b):
            _band_traces(fig, b, f"{label} (n = {int(b['n'].max())})", colors[label])
    return _layout(fig, title, x, y_title, log_y)


def band_panels_figure(bands: dict[str, dict[str, pd.DataFrame]], *, x: str = "step", title: str = "",
                       panel_height: int = 170) -> go.Figure:
    """One panel per group of seeds (its own y scale), each column a median line with its interquartile band;
    panel titles name the group and its n."""
    groups = list(bands)
    titles = [f"{g} (n = {max((int(b['n'].max()) for b in bands[g].values() if len(b)), default=0)})"
              for g in groups]
    fig = make_subplots(rows=max(1, len(groups)), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=titles)
    columns = list(dict.fromkeys(c for g in groups for c in bands[g]))
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(columns)}
    for row, g in enumerate(groups, start=1):
        for c, b in bands[g].items():
            if len(b):
                _band_traces(fig, b, LABELS.get(c, c), colors[c], row=row, col=1, legend=row == 1)
    fig.update_layout(title=title, height=120 + panel_height * max(1, len(groups)), margin={**MARGIN, "t": 60,
                      "b": 90}, hovermode="x unified", legend=BELOW_PANELS)
    fig.update_xaxes(title_text=X_AXES[x], row=max(1, len(groups)), col=1)
    return fig
