"""The browser tab's icon, drawn here rather than named.

Streamlit gives the browser a Material icon named as `page_icon` as an address on fonts.gstatic.com:
every page load asked Google's servers for it, and a machine without internet (this tool's embedded-data
promise) logged a failed request and showed no icon. An image is served by the dashboard itself.
"""

from __future__ import annotations

import functools

import numpy as np

from wgan_watch.app.latents import png_bytes


@functools.cache
def favicon(size: int = 32) -> bytes:
    """A falling curve (a critic's estimate as the samples improve), white on the accent red, as a PNG file."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float) + 0.5
    icon = np.zeros((size, size, 4), np.uint8)
    corner = size * 0.22  # a rounded square
    cx, cy = np.clip(xx, corner, size - corner), np.clip(yy, corner, size - corner)
    icon[np.hypot(xx - cx, yy - cy) <= corner] = (255, 75, 75, 255)
    x = np.linspace(0.18, 0.85, 4 * size) * size
    value = 0.2 + 0.6 * np.exp(-(x / size - 0.18) * 4.5)  # 0.8 at the left, falling towards 0.2
    y = (1 - value) * size  # image rows grow downwards: high at the left, low at the right
    for px, py in zip(x, y):
        icon[np.hypot(xx - px, yy - py) <= size * 0.07] = (255, 255, 255, 255)
    return png_bytes(icon)  # (set_page_config takes no array: it tests its truth)
