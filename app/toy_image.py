"""The Latent lab's toy view as a picture: the critic's heatmap and the real points drawn once per snapshot, the
moved generated points drawn on a copy at every slider move.

Why a picture and not the Plotly chart the other pages use: a slider move redrew the whole figure (heatmap,
real points, moved points) in the browser, 196 ms p95 on gaussians8 (`python -m bench.sliders`); swapping one
PNG costs what the digits grid costs. Pure numpy and Pillow: no Streamlit, no torch.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

SIZE = 480  # pixels a side, the height of the toy charts elsewhere
# Plotly's "RdBu_r" (ColorBrewer's RdBu reversed: low blue, middle pale, high red), the colours of the critic's
# heatmap on the other pages, blended at 75% over white as there
_STOPS = np.linspace(0.0, 1.0, 11)
_COLORS = np.array([[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
                    [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
                    [103, 0, 31]], dtype=float)
_OPACITY = 0.75
REAL = (0, 0, 0, 90)          # translucent black, as on the other pages' charts
GENERATED = (255, 127, 14, 255)  # Plotly's orange: the generated points everywhere in the dashboard


@dataclass(frozen=True, eq=False)
class ToyCanvas:
    """The still part of the picture, and the square of data coordinates it shows. Shared between sessions
    through a cache, so its pixels are read-only."""

    pixels: np.ndarray  # (SIZE, SIZE, 3) uint8, row 0 at the top (largest y)
    lo: float
    hi: float
    has_critic: bool

    def __post_init__(self) -> None:
        self.pixels.setflags(write=False)

    def to_pixels(self, pts: np.ndarray) -> np.ndarray:
        return _to_pixels(pts, self.lo, self.hi, self.pixels.shape[0])


def _to_pixels(pts: np.ndarray, lo: float, hi: float, size: int) -> np.ndarray:
    """(n, 2) data points -> (n, 2) pixel columns and rows (row 0 at the top; pixel i covers [i, i + 1), as the
    heatmap's cells do)."""
    scale = size / (hi - lo)
    pts = np.asarray(pts, dtype=float).reshape(-1, 2)
    return np.c_[(pts[:, 0] - lo) * scale, (hi - pts[:, 1]) * scale]


def span(df: pd.DataFrame) -> tuple[float, float]:
    """A square around the map and the real points, as toy_samples_figure chooses it."""
    xy = df[["x", "y"]].to_numpy(float)
    finite = np.isfinite(xy).all(axis=1)
    reach = float(np.abs(xy[finite]).max()) if finite.any() else 1.0
    pts = xy[df["kind"].isin(["real", "fake"]).to_numpy() & finite]
    if len(pts):
        reach = min(reach, 3 * float(np.abs(pts).max()))
    reach = reach if np.isfinite(reach) and reach > 0 else 1.0
    return -1.05 * reach, 1.05 * reach


def _critic_colors(grid: pd.DataFrame, lo: float, hi: float, size: int):
    """(rgb, shown, vmin, vmax): the colour of the critic's value on its grid at each of (size, size) pixels,
    nearest cell per pixel, unblended (floats), and where it is shown: inside the grid, where the value is
    finite (the colours span the finite values only); vmin and vmax are NaN when no value is finite."""
    piv = grid.pivot_table(index="y", columns="x", values="value")
    xs, ys, z = piv.columns.to_numpy(float), piv.index.to_numpy(float), piv.to_numpy(float)
    finite = np.isfinite(z)
    if not finite.any():
        return np.full((size, size, 3), 255.0), np.zeros((size, size), bool), np.nan, np.nan
    centers = lo + (np.arange(size) + 0.5) * (hi - lo) / size
    col = np.clip(np.searchsorted((xs[1:] + xs[:-1]) / 2, centers), 0, len(xs) - 1)
    row = np.clip(np.searchsorted((ys[1:] + ys[:-1]) / 2, centers[::-1]), 0, len(ys) - 1)  # top row: largest y
    # a cell reaches half a grid step past the outermost centres; a grid one cell wide covers the whole span
    half_x = (xs[-1] - xs[0]) / (len(xs) - 1) / 2 if len(xs) > 1 else np.inf
    half_y = (ys[-1] - ys[0]) / (len(ys) - 1) / 2 if len(ys) > 1 else np.inf
    inside = ((centers[::-1] >= ys[0] - half_y) & (centers[::-1] <= ys[-1] + half_y))[:, None] & \
             ((centers >= xs[0] - half_x) & (centers <= xs[-1] + half_x))[None, :]
    vmin, vmax = float(z[finite].min()), float(z[finite].max())
    t = np.where(finite, (z - vmin) / (vmax - vmin) if vmax > vmin else 0.5, 0.5)
    rgb = np.stack([np.interp(t, _STOPS, _COLORS[:, c]) for c in range(3)], axis=-1)
    cells = (row[:, None], col[None, :])
    return rgb[cells], inside & finite[cells], vmin, vmax


def _heatmap(grid: pd.DataFrame, lo: float, hi: float, size: int) -> np.ndarray:
    """(size, size, 3) the critic's map blended over white as the charts show it, white where it is not shown."""
    rgb, shown, _, _ = _critic_colors(grid, lo, hi, size)
    out = np.full((size, size, 3), 255.0)
    out[shown] = _OPACITY * rgb[shown] + (1 - _OPACITY) * 255.0
    return out.astype(np.uint8)


def critic_map_png(grid: pd.DataFrame, lo: float, hi: float, size: int = SIZE) -> tuple[bytes, float, float]:
    """(PNG, vmin, vmax): the critic's map over the square [lo, hi]², at the charts' opacity and transparent where
    it is not shown, for a chart to lay under its points on any background. vmin and vmax: the values its
    colours span (both NaN when none is finite)."""
    rgb, shown, vmin, vmax = _critic_colors(grid, lo, hi, size)
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., :3] = rgb.round().astype(np.uint8)
    rgba[..., 3] = np.where(shown, round(_OPACITY * 255), 0)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", compress_level=1)
    return buf.getvalue(), vmin, vmax


def _dots(img: Image.Image, pixels: np.ndarray, color: tuple[int, int, int, int], radius: float) -> Image.Image:
    """The points as filled discs on a copy of img (translucent colours blended through one layer, so where
    translucent discs overlap they do not darken further, unlike Plotly's markers)."""
    opaque = color[3] == 255
    layer = img.convert("RGB").copy() if opaque else Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    ok = np.isfinite(pixels).all(axis=1)
    for x, y in pixels[ok]:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color[:3] if opaque else color)
    return layer if opaque else Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")


def toy_canvas(df: pd.DataFrame, size: int = SIZE) -> ToyCanvas:
    """The still part from a saved toy sample (columns kind, x, y, value; kinds real, fake, critic)."""
    lo, hi = span(df)
    grid = df[df["kind"] == "critic"]
    img = Image.fromarray(_heatmap(grid, lo, hi, size) if len(grid) else np.full((size, size, 3), 255, np.uint8))
    real = df[df["kind"] == "real"][["x", "y"]].to_numpy(float)
    if len(real):
        img = _dots(img, _to_pixels(real, lo, hi, size), REAL, 2.0)
    return ToyCanvas(np.asarray(img), lo, hi, bool(len(grid)))


def toy_png(canvas: ToyCanvas, generated: np.ndarray) -> bytes:
    """The canvas with the generated points on it, as PNG bytes."""
    img = _dots(Image.fromarray(canvas.pixels), canvas.to_pixels(generated), GENERATED, 2.0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)  # shown, not archived: fast over small
    return buf.getvalue()
