"""Latent-space tools for demos: interpolation, the generator's main directions, frames to images.

Directions are unit vectors in z-space. Since z ~ N(0, I), the projection of z onto
any unit vector has standard deviation 1, so moving by alpha along a direction is
moving by alpha standard deviations.
"""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np
import torch
from torch import nn


def seed_latents(seeds: Sequence[int], latent_dim: int) -> torch.Tensor:
    """One standard-normal latent per seed, the same on every machine (CPU generator)."""
    return torch.stack([torch.randn(latent_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds])


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight line from a to b at fractions t (shape (k,)) -> (k, d)."""
    t = t.reshape(-1, 1).to(a.dtype)
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: along the great circle between a and b, with the norm
    interpolated linearly. Gaussian latents live near a sphere of radius sqrt(d); a straight
    line cuts through its inside, where the generator saw few latents in training."""
    t = t.reshape(-1, 1).to(a.dtype)
    na, nb = a.norm(), b.norm()
    ua, ub = a / na, b / nb
    omega = torch.arccos(torch.clamp((ua * ub).sum(), -1.0, 1.0))
    if omega.abs() < 1e-6:  # (anti)parallel: the circle is undefined, the line is the same
        return lerp(a, b, t)
    so = torch.sin(omega)
    direction = (torch.sin((1 - t) * omega) / so) * ua + (torch.sin(t * omega) / so) * ub
    return direction * ((1 - t) * na + t * nb)


def interpolate(a: torch.Tensor, b: torch.Tensor, frames: int, method: str = "slerp") -> torch.Tensor:
    t = torch.linspace(0, 1, frames)
    return slerp(a, b, t) if method == "slerp" else lerp(a, b, t)


def walk(latents: torch.Tensor, frames_per_leg: int, method: str = "slerp") -> torch.Tensor:
    """A closed loop through several latents (for a demo screen): legs z0->z1->...->z0."""
    legs = []
    for i in range(len(latents)):
        leg = interpolate(latents[i], latents[(i + 1) % len(latents)], frames_per_leg + 1, method)
        legs.append(leg[:-1])  # the next leg starts where this one ends
    return torch.cat(legs)


def first_linear(G: nn.Module) -> nn.Linear:
    """The generator's first layer, the one that reads z."""
    for m in G.modules():
        if isinstance(m, nn.Linear):
            return m
    raise ValueError("the generator has no linear layer reading z")


@torch.no_grad()
def sefa_directions(G: nn.Module, k: int) -> torch.Tensor:
    """SeFa (Shen & Zhou 2021): the top right singular vectors of the first layer's weight,
    the latent directions that layer stretches most. Orthonormal rows, (k, latent_dim)."""
    W = first_linear(G).weight.detach().double().cpu()  # (out, latent)
    _, _, Vh = torch.linalg.svd(W, full_matrices=False)
    return Vh[: min(k, Vh.shape[0])].float()


@torch.no_grad()
def ganspace_directions(G: nn.Module, k: int, n: int = 4000, seed: int = 0) -> torch.Tensor:
    """GANSpace-style (Härkönen et al. 2020): principal components of the first hidden layer's
    activations over n samples, mapped back to z by least squares (z ~ coordinates @ B), so each
    row is the latent direction that moves the activations along one component. Unit rows."""
    d = first_linear(G).in_features
    z = torch.randn(n, d, generator=torch.Generator().manual_seed(seed))
    h = G.hidden(z.to(next(G.parameters()).device)).double().cpu()
    z = z.double()
    hc = h - h.mean(0)
    _, _, Vh = torch.linalg.svd(hc, full_matrices=False)
    k = min(k, Vh.shape[0], d)
    coords = hc @ Vh[:k].T  # (n, k)
    B = torch.linalg.lstsq(coords, z).solution  # (k, latent)
    return (B / B.norm(dim=1, keepdim=True).clamp_min(1e-12)).float()


def move(z: torch.Tensor, directions: torch.Tensor, amounts: Sequence[float]) -> torch.Tensor:
    """z (n, d) moved by amounts[i] standard deviations along directions[i]."""
    a = torch.as_tensor(list(amounts), dtype=z.dtype)
    if len(a) == 0:
        return z.clone()
    return z + (a @ directions[: len(a)].to(z.dtype)).unsqueeze(0)


@torch.no_grad()
def images_uint8(G: nn.Module, z: torch.Tensor) -> np.ndarray:
    """Generated images as uint8 (n, H, W, C) (C = 1 or 3)."""
    x = G(z).float().clamp(-1, 1)
    return ((x + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


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
