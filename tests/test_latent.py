import io

import numpy as np
import pytest
import torch

from wgan_watch import TrainConfig
from wgan_watch.quality.latent import (ganspace_directions, gif_bytes, grid, images_uint8, interpolate, lerp, move,
                            sefa_directions, seed_latents, slerp, walk)
from wgan_watch.models import build_models


def test_slerp_hits_both_ends_and_stays_on_the_sphere():
    a, b = seed_latents([1, 2], 64)
    b = b * (a.norm() / b.norm())  # same norm: the path must keep it
    path = slerp(a, b, torch.linspace(0, 1, 11))
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    assert torch.allclose(path.norm(dim=1), a.norm().expand(11), rtol=1e-5)
    mid = lerp(a, b, torch.tensor([0.5]))[0]
    assert mid.norm() < 0.9 * a.norm()  # the straight line cuts inside the sphere


def test_slerp_interpolates_norms_and_handles_parallel_latents():
    a = torch.ones(8)
    path = slerp(a, 3 * a, torch.linspace(0, 1, 5))
    assert torch.allclose(path[2], 2 * a)
    assert interpolate(a, -a * 0 + a, 3).shape == (3, 8)


def test_walk_is_a_closed_loop():
    zs = seed_latents([0, 1, 2], 16)
    w = walk(zs, 5)
    assert w.shape == (15, 16) and torch.allclose(w[0], zs[0]) and torch.allclose(w[5], zs[1])


@pytest.mark.parametrize("data", ["gaussians8", "digits"])
def test_directions_are_orthonormal_or_unit(data):
    torch.manual_seed(0)
    G, _ = build_models(TrainConfig(data=data, width=16, latent_dim=12))
    G.eval()
    d = sefa_directions(G, 5)
    assert d.shape == (5, G.latent_dim)
    assert torch.allclose(d @ d.T, torch.eye(5), atol=1e-5)
    g = ganspace_directions(G, 4, n=500)
    assert g.shape == (4, G.latent_dim) and torch.allclose(g.norm(dim=1), torch.ones(4), atol=1e-5)


def test_moving_by_zero_returns_the_base_sample_exactly():
    torch.manual_seed(0)
    G, _ = build_models(TrainConfig(data="digits", width=8))
    G.eval()
    z = seed_latents([3, 4], G.latent_dim)
    d = sefa_directions(G, 3)
    assert np.array_equal(images_uint8(G, move(z, d, [0.0, 0.0, 0.0])), images_uint8(G, z))
    assert not torch.equal(move(z, d, [1.0]), z)
    assert torch.allclose(move(z, d, [2.0])[0] - z[0], 2 * d[0])


def test_grid_and_gif():
    frames = np.random.default_rng(0).integers(0, 255, (6, 28, 28, 1), dtype=np.uint8)
    g = grid(frames, 3)
    assert g.shape == (2 * 30 + 2, 3 * 30 + 2, 1)
    from PIL import Image

    im = Image.open(io.BytesIO(gif_bytes(frames)))
    assert im.format == "GIF" and im.n_frames == 6


def test_lab_query_parameters_round_trip():
    from wgan_watch.app.lab_state import LabState

    s = LabState(run="r1", step=500, seed=7, method="ganspace", amounts=[1.5, -0.25, 0.0], seed_a=3, seed_b=9,
                 frames=20, interp="lerp", walk=[5, 6, 7])
    assert LabState.from_params(s.to_params()) == s
    assert LabState.from_params({}) == LabState()


def test_lab_query_parameters_tolerate_junk():
    from wgan_watch.app.lab_state import LabState

    s = LabState.from_params({"seed": "x", "method": "evil", "frames": "100000", "amounts": "1,a", "step": "3"})
    assert s.seed == 0 and s.method == "sefa" and s.frames == 120 and s.amounts == [] and s.step == 3
