"""The Study page's figures: pure functions, tables in, Plotly figures out. No Streamlit here.

Every figure colours an algorithm the same way (charts.ALGO_COLORS), on every page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .charts import ALGO_COLORS, ALGO_NAMES, MARGIN, _faint

HEIGHT = 330
SHORT = {"wgan-gp": "WGAN-GP", "wgan": "WGAN", "gan": "GAN"}


def _name(algo: str) -> str:
    return ALGO_NAMES.get(algo, algo)


def _color(algo: str) -> str:
    return ALGO_COLORS.get(algo, "#7f7f7f")


def _legend_below(fig: go.Figure, title: str, height: int = HEIGHT) -> go.Figure:
    """Title above, legend in its own strip below the x axis title (never over the plot or the axis labels)."""
    fig.update_layout(title=title, height=height + 40, margin={**MARGIN, "t": 60, "b": 95},
                      legend=dict(orientation="h", yanchor="top", y=-0.3, xanchor="left", x=0))
    return fig


def best_quality_figure(best: dict[str, np.ndarray], measure: str, thresholds: list[float]) -> go.Figure:
    """Each run's best quality as a point per algorithm (left) and as an ECDF (right), thresholds dashed."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.12,
                        subplot_titles=("every run", "share of runs at or below"))
    for i, (algo, v) in enumerate(best.items()):
        v = np.sort(v[np.isfinite(v)])
        jitter = np.random.default_rng(i).uniform(-0.18, 0.18, len(v))
        fig.add_trace(go.Scatter(x=i + jitter, y=v, mode="markers", name=_name(algo), legendgroup=algo,
                                 marker=dict(color=_color(algo), size=7, opacity=0.8),
                                 hovertemplate="%{y:.4g}<extra>" + _name(algo) + "</extra>"), row=1, col=1)
        if len(v):
            share = np.arange(1, len(v) + 1) / len(v)
            fig.add_trace(go.Scatter(x=v, y=share, mode="lines", line=dict(shape="hv", color=_color(algo), width=2),
                                     name=_name(algo), legendgroup=algo, showlegend=False), row=1, col=2)
    fig.update_xaxes(tickvals=list(range(len(best))), ticktext=[SHORT.get(a, a) for a in best], tickangle=0,
                     row=1, col=1)
    fig.update_yaxes(title_text=f"best {measure}", row=1, col=1)
    fig.update_xaxes(title_text=f"best {measure}", row=1, col=2)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    for t in thresholds:
        fig.add_vline(x=t, line=dict(dash="dot", color="#888", width=1), row=1, col=2)
    return _legend_below(fig, f"Best {measure} of each run (lower is better)")


def success_figure(table: pd.DataFrame, measure: str) -> go.Figure:
    """Success rate per algorithm at each threshold, with its 95% Wilson interval."""
    fig = go.Figure()
    for algo, rows in table.groupby("algo", sort=False):
        fig.add_trace(go.Bar(x=[f"≤ {t:g}" for t in rows["threshold"]], y=rows["rate"], name=_name(algo),
                             marker_color=_color(algo),
                             error_y=dict(type="data", symmetric=False, array=rows["high"] - rows["rate"],
                                          arrayminus=rows["rate"] - rows["low"]),
                             customdata=np.stack([rows["succeeded"], rows["runs"]], 1),
                             hovertemplate="%{customdata[0]} of %{customdata[1]} runs<extra>" + _name(algo)
                                           + "</extra>"))
    fig.update_layout(barmode="group", yaxis=dict(range=[0, 1.05], tickformat=".0%", title="runs that reached it"),
                      xaxis_title=f"{measure} threshold")
    return _legend_below(fig, "Success rate, 95% intervals")


def expected_best_figure(curves: dict[str, pd.DataFrame], measure: str) -> go.Figure:
    """Expected best quality against settings tried, with the bootstrap band (Lucic et al.)."""
    fig = go.Figure()
    for algo, c in curves.items():
        c = c[np.isfinite(c["expected"])]
        if not len(c):
            continue
        fig.add_trace(go.Scatter(x=np.r_[c["k"], c["k"][::-1]], y=np.r_[c["high"], c["low"][::-1]], fill="toself",
                                 mode="lines", fillcolor=_faint(_color(algo)), line=dict(width=0), hoverinfo="skip",
                                 legendgroup=algo, showlegend=False, name=f"{_name(algo)} band"))
        fig.add_trace(go.Scatter(x=c["k"], y=c["expected"], mode="lines+markers", name=_name(algo), legendgroup=algo,
                                 line=dict(color=_color(algo), width=2)))
    fig.update_layout(xaxis=dict(title="settings tried", dtick=1), yaxis_title=f"expected best {measure}")
    return _legend_below(fig, f"Expected best {measure} against settings tried (95% band)")


def time_to_quality_figure(curves: dict[str, pd.DataFrame], by: str, threshold: float, measure: str) -> go.Figure:
    """Kaplan-Meier: share of runs that reached the threshold by training time or step."""
    fig = go.Figure()
    for algo, km in curves.items():
        fig.add_trace(go.Scatter(x=km[by], y=km["reached"], mode="lines", line=dict(shape="hv", color=_color(algo),
                                 width=2), name=_name(algo)))
    fig.update_layout(yaxis=dict(range=[0, 1.02], tickformat=".0%", title="runs that reached it"),
                      xaxis_title={"elapsed": "training time (s)", "step": "generator step"}[by])
    if all(float(km["reached"].max()) == 0 for km in curves.values()):
        fig.add_annotation(text="no run has reached it yet", showarrow=False, xref="paper", yref="paper", x=0.5,
                           y=0.5, font=dict(color="#888"))
    return _legend_below(fig, f"Time to {measure} ≤ {threshold:g} (still training: censored)")


def seed_band_figure(bands: dict[str, pd.DataFrame], x: str, measure: str, title: str) -> go.Figure:
    """Each algorithm's seeds as one line: the median, the interquartile range as a band, n in the legend."""
    fig = go.Figure()
    for algo, b in bands.items():
        if not len(b):
            continue
        n = int(b["n"].max())
        fig.add_trace(go.Scatter(x=np.r_[b[x], b[x][::-1]], y=np.r_[b["q75"], b["q25"][::-1]], fill="toself",
                                 mode="lines", fillcolor=_faint(_color(algo)), line=dict(width=0), hoverinfo="skip",
                                 legendgroup=algo, showlegend=False, name=f"{_name(algo)} IQR"))
        fig.add_trace(go.Scatter(x=b[x], y=b["median"], mode="lines", name=f"{_name(algo)} (median of {n})",
                                 legendgroup=algo, line=dict(color=_color(algo), width=2)))
    fig.update_layout(xaxis_title={"elapsed": "training time (s)", "step": "generator step"}[x],
                      yaxis_title=f"{measure} (lower is better)")
    return _legend_below(fig, title)
