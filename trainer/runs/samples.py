"""Sample files without torch: image grids as PNG, 2-D points (and a critic map) as Parquet,
and the thinning that keeps a run folder's file count bounded.

Images arrive as N x C x H x W or N x H x W x C (C = 1 or 3; N x H x W for grey), as a
torch tensor or a numpy array: uint8 in [0, 255], or floats in [-1, 1] (a tanh
generator's range) or [0, 1] (told apart by their minimum).
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from .atomic import atomic_write_bytes, atomic_write_parquet
from .runfiles import step_files

GRID_COLUMNS = 8  # images per row in a sample grid
GRID_PAD = 2  # pixels between images (and around the grid), as torchvision's make_grid
CRITIC_GRID = 64  # critic heatmap resolution: 64 x 64 points


def as_numpy(x: Any, name: str) -> np.ndarray:
    """A torch tensor (any device) or array-like as a numpy array; `name` is for the error message."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach()
        x = (x.float() if x.is_floating_point() else x).cpu().numpy()  # numpy has no bfloat16
    try:
        return np.asarray(x)
    except Exception as e:  # noqa: BLE001
        raise TypeError(f"{name}: expected a tensor or an array, got {type(x).__name__} ({e})") from None


def images_nhwc_uint8(images: Any) -> np.ndarray:
    """Images of any accepted layout and range as uint8 N x H x W x C (C = 1 or 3)."""
    x = as_numpy(images, "images")
    if x.ndim == 3:  # N x H x W, grey
        x = x[..., None]
    if x.ndim != 4 or 0 in x.shape:
        raise ValueError(f"images: expected N x C x H x W or N x H x W x C with C = 1 or 3, got shape {x.shape}")
    if x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        x = x.transpose(0, 2, 3, 1)
    elif x.shape[-1] not in (1, 3):
        raise ValueError(f"images: expected N x C x H x W or N x H x W x C with C = 1 or 3, got shape {x.shape}")
    if x.dtype == np.uint8:
        return np.ascontiguousarray(x)
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"images: expected numbers, got dtype {x.dtype}")
    x = np.nan_to_num(x.astype(np.float32), nan=0.0)
    if x.min() < 0:  # [-1, 1], a tanh generator's range
        x = (x.clip(-1, 1) + 1) / 2
    return (x.clip(0, 1) * 255 + 0.5).astype(np.uint8)


def grid(images: np.ndarray, ncol: int = GRID_COLUMNS, pad: int = GRID_PAD) -> np.ndarray:
    """uint8 N x H x W x C images tiled into one H' x W' x C image, `pad` black pixels between."""
    n, h, w, c = images.shape
    ncol = min(ncol, n)
    nrow = math.ceil(n / ncol)
    out = np.zeros((pad + nrow * (h + pad), pad + ncol * (w + pad), c), dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, ncol)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        out[y:y + h, x:x + w] = images[i]
    return out


def png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    img = image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def write_image_grid(path: Path, images: Any, ncol: int = GRID_COLUMNS) -> None:
    """A PNG grid of images (see the module docstring for what is accepted)."""
    atomic_write_bytes(path, png_bytes(grid(images_nhwc_uint8(images), ncol)))


def points_array(points: Any, name: str) -> np.ndarray:
    p = as_numpy(points, name)
    if p.ndim != 2 or p.shape[1] != 2 or not len(p):
        raise ValueError(f"{name}: expected N x 2 points, got shape {p.shape}")
    return p.astype(np.float64)


def critic_map(critic: Callable[[np.ndarray], Any], extent: float, n: int = CRITIC_GRID) -> pd.DataFrame:
    """critic(points) on an n x n grid over [-extent, extent]^2, as rows of (x, y, value)."""
    axis = np.linspace(-extent, extent, n)
    xx, yy = np.meshgrid(axis, axis, indexing="xy")
    pts = np.stack([xx.reshape(-1), yy.reshape(-1)], 1).astype(np.float32)
    val = as_numpy(critic(pts), "critic(points)").reshape(-1).astype(np.float64)
    if len(val) != len(pts):
        raise ValueError(f"critic(points): expected one value per point ({len(pts)}), got {len(val)}")
    return pd.DataFrame({"kind": "critic", "x": pts[:, 0], "y": pts[:, 1], "value": val})


def write_points(path: Path, real: Any, fake: Any, critic: Optional[Callable[[np.ndarray], Any]] = None,
                 extent: Optional[float] = None) -> None:
    """Real and generated 2-D points, and optionally the critic on a grid, in one table (kind, x, y, value)."""
    r, f = points_array(real, "real"), points_array(fake, "fake")
    frames = [pd.DataFrame({"kind": k, "x": p[:, 0], "y": p[:, 1], "value": np.nan}) for k, p in
              (("real", r), ("fake", f))]
    if critic is not None:
        if extent is None:  # the data and the generated points with a margin (points far off: up to 3x the data's)
            reach = np.nanmax(np.abs(r))
            extent = float(np.ceil(11 * max(reach, min(np.nanmax(np.abs(f)), 3 * reach))) / 10) or 1.0
        frames.append(critic_map(critic, extent))
    atomic_write_parquet(path, pd.concat(frames, ignore_index=True))


def thin_step_files(folder: Path, ext: str, keep: int, protect: tuple[int, ...] = ()) -> None:
    """Delete step files until `keep` remain, each time the one whose neighbours are closest.

    That keeps the first and the latest and spreads the rest evenly over the run, so a
    step slider over a long run still spans all of it with a fixed number of files.
    """
    files = step_files(folder, ext)
    while len(files) > keep:
        steps = [s for s, _ in files]
        candidates = [i for i in range(1, len(files) - 1) if steps[i] not in protect]
        if not candidates:
            break
        i = min(candidates, key=lambda i: (steps[i + 1] - steps[i - 1], steps[i]))
        try:
            os.unlink(files[i][1])
        except FileNotFoundError:
            pass
        del files[i]
