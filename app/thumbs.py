"""Small pictures for the runs table: the latest sample of a run as a data URI, cached on the file's mtime."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import streamlit as st

from wgan_watch.runs import runfiles as rf

SIZE = 72  # pixels: a table row's thumbnail


def data_uri(png: bytes) -> str:
    """A PNG as a data: URI. st.image shows it as it is: no media file, no second HTTP request, and no
    re-encoding (st.image turns an opaque PNG it is given as bytes into a JPEG on every run)."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _png_uri(img) -> str:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return data_uri(buf.getvalue())


@st.cache_data(max_entries=512, show_spinner=False)
def _thumbnail(path: str, mtime_ns: int) -> Optional[str]:
    from PIL import Image

    try:
        if path.endswith(".png"):
            with Image.open(path) as im:
                im = im.convert("RGB")
                im.thumbnail((SIZE * 2, SIZE))
                return _png_uri(im)
        df = pd.read_parquet(path, columns=["kind", "x", "y"])
    except Exception:  # noqa: BLE001  (a sample being replaced or thinned: no picture this time)
        return None
    return _png_uri(Image.fromarray(points_picture(df)))


def points_picture(df: pd.DataFrame) -> np.ndarray:
    """Generated points (orange) over real ones (grey) on a white square, as uint8 SIZE x SIZE x 3."""
    pts = df[df["kind"].isin(["real", "fake"])]
    extent = float(np.nanmax(np.abs(pts[["x", "y"]].to_numpy()))) * 1.1 or 1.0
    img = np.full((SIZE, SIZE, 3), 255, dtype=np.uint8)
    for kind, colour in (("real", (190, 190, 190)), ("fake", (255, 127, 14))):
        p = pts[pts["kind"] == kind][["x", "y"]].to_numpy()
        ij = np.clip(((p / extent + 1) / 2 * (SIZE - 1)).round().astype(int), 0, SIZE - 1)
        img[SIZE - 1 - ij[:, 1], ij[:, 0]] = colour
    return img


def latest_sample(run_dir: Path) -> Optional[str]:
    """The newest sample file's thumbnail (a data URI), or None."""
    files = rf.step_files(run_dir / "samples", "png") or rf.step_files(run_dir / "samples", "parquet")
    if not files:
        return None
    path = files[-1][1]
    try:
        return _thumbnail(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
