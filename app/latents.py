"""Latent-space tools for demos, in numpy: seeded latents, interpolation, moving along directions, frames to
PNG and GIF. Pure functions; no torch, no Streamlit.

Directions are unit vectors in z-space. Since z ~ N(0, I), the projection of z onto any unit vector has
standard deviation 1, so moving by alpha along a direction is moving by alpha standard deviations.
"""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np


def seed_latents(seeds: Sequence[int], latent_dim: int) -> np.ndarray:
    """One standard-normal latent per seed, the same on every machine: (n, latent_dim) float32."""
    return np.stack([np.random.default_rng(int(s)).standard_normal(latent_dim) for s in seeds]).astype(np.float32)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Straight line from a to b at fractions t (k,) -> (k, d)."""
    t = np.asarray(t, dtype=np.float64).reshape(-1, 1)
    return ((1 - t) * a + t * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation: along the great circle between a and b, with the norm interpolated linearly.
    Gaussian latents live near a sphere of radius sqrt(d); a straight line cuts through its inside, where the
    generator saw few latents in training."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, dtype=np.float64).reshape(-1, 1)
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    ua, ub = a64 / na, b64 / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if abs(omega) < 1e-6:  # (anti)parallel: the circle is undefined, the line is the same
        return lerp(a, b, t)
    so = np.sin(omega)
    direction = (np.sin((1 - t) * omega) / so) * ua + (np.sin(t * omega) / so) * ub
    return (direction * ((1 - t) * na + t * nb)).astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, frames: int, method: str = "slerp") -> np.ndarray:
    t = np.linspace(0, 1, frames)
    return slerp(a, b, t) if method == "slerp" else lerp(a, b, t)


def walk(latents: np.ndarray, frames_per_leg: int, method: str = "slerp") -> np.ndarray:
    """A closed loop through several latents (for a demo screen): legs z0->z1->...->z0."""
    legs = [interpolate(latents[i], latents[(i + 1) % len(latents)], frames_per_leg + 1, method)[:-1]
            for i in range(len(latents))]  # each leg stops where the next begins
    return np.concatenate(legs)


def move(z: np.ndarray, directions: np.ndarray, amounts: Sequence[float]) -> np.ndarray:
    """z (n, d) moved by amounts[i] standard deviations along directions[i]."""
    a = np.asarray(list(amounts), dtype=np.float32)
    if len(a) == 0:
        return z.copy()
    return (z + a @ np.asarray(directions[: len(a)], np.float32)).astype(np.float32)


def images_uint8(x: np.ndarray, value_range: Sequence[float] = (-1.0, 1.0)) -> np.ndarray:
    """Generated images (n, C, H, W) in `value_range` -> uint8 (n, H, W, C)."""
    lo, hi = float(value_range[0]), float(value_range[1])
    scaled = (np.clip(x, lo, hi) - lo) * (255.0 / (hi - lo if hi > lo else 1.0))
    return np.round(scaled).astype(np.uint8).transpose(0, 2, 3, 1)


def grid(images: np.ndarray, ncol: int, pad: int = 2) -> np.ndarray:
    """(n, H, W, C) uint8 -> one (rows*H, ncol*W, C) image with `pad` black pixels between."""
    n, h, w, c = images.shape
    rows = -(-n // ncol)
    out = np.zeros((rows * (h + pad) + pad, ncol * (w + pad) + pad, c), np.uint8)
    for i, im in enumerate(images):
        r, q = divmod(i, ncol)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = im
    return out


def _pil(arr: np.ndarray, scale: int):
    from PIL import Image

    im = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    return im.resize((im.width * scale, im.height * scale), Image.NEAREST) if scale > 1 else im


def png_bytes(arr: np.ndarray, scale: int = 1) -> bytes:
    buf = io.BytesIO()
    _pil(arr, scale).save(buf, format="PNG", compress_level=1)  # fast: these are shown, not archived
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, ms_per_frame: int = 80, scale: int = 3) -> bytes:
    """An endlessly looping GIF of (k, H, W, C) uint8 frames."""
    ims = [_pil(f, scale) for f in frames]
    buf = io.BytesIO()
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()
