"""The lab's latent tools (numpy) and what an export leaves for them: directions, JSON, a runnable graph."""

import io

import numpy as np
import pytest
import torch

from wgan_watch import TrainConfig
from wgan_watch.app.latents import gif_bytes, grid, images_uint8, interpolate, lerp, move, seed_latents, slerp, walk
from wgan_watch.models import build_models
from wgan_watch.runs import generator_files as gf
from wgan_watch.runs.generator_export import export_generator


def test_slerp_hits_both_ends_and_stays_on_the_sphere():
    a, b = seed_latents([1, 2], 64)
    b = b * (np.linalg.norm(a) / np.linalg.norm(b))  # same norm: the path must keep it
    path = slerp(a, b, np.linspace(0, 1, 11))
    assert np.allclose(path[0], a, atol=1e-5) and np.allclose(path[-1], b, atol=1e-5)
    assert np.allclose(np.linalg.norm(path, axis=1), np.linalg.norm(a), rtol=1e-5)
    mid = lerp(a, b, np.array([0.5]))[0]
    assert np.linalg.norm(mid) < 0.9 * np.linalg.norm(a)  # the straight line cuts inside the sphere


def test_slerp_interpolates_norms_and_handles_parallel_latents():
    a = np.ones(8, np.float32)
    path = slerp(a, 3 * a, np.linspace(0, 1, 5))
    assert np.allclose(path[2], 2 * a)
    assert interpolate(a, a, 3).shape == (3, 8)


def test_seeded_latents_are_the_same_everywhere_and_standard_normal():
    z = seed_latents(range(2000), 4)
    assert np.array_equal(z[:3], seed_latents([0, 1, 2], 4)) and z.dtype == np.float32
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_walk_is_a_closed_loop():
    zs = seed_latents([0, 1, 2], 16)
    w = walk(zs, 5)
    assert w.shape == (15, 16) and np.allclose(w[0], zs[0]) and np.allclose(w[5], zs[1])


def test_moving_by_zero_returns_the_base_latent_and_by_alpha_moves_alpha_along_it():
    z = seed_latents([3, 4], 6)
    d = np.eye(6, dtype=np.float32)[:3]
    assert np.array_equal(move(z, d, [0.0, 0.0, 0.0]), z) and np.array_equal(move(z, d, []), z)
    assert np.allclose(move(z, d, [2.0])[0] - z[0], 2 * d[0])


def test_images_map_the_generators_range_to_bytes():
    x = np.array([[[[-1.0, 0.0], [1.0, 2.0]]]], np.float32)  # (1, 1, 2, 2)
    assert images_uint8(x)[0, :, :, 0].tolist() == [[0, 128], [255, 255]]
    assert images_uint8((x + 1) / 2, (0.0, 1.0))[0, 0, 0, 0] == 0


def test_grid_and_gif():
    frames = np.random.default_rng(0).integers(0, 255, (6, 28, 28, 1), dtype=np.uint8)
    g = grid(frames, 3)
    assert g.shape == (2 * 30 + 2, 3 * 30 + 2, 1)
    from PIL import Image

    im = Image.open(io.BytesIO(gif_bytes(frames)))
    assert im.format == "GIF" and im.n_frames == 6


@pytest.mark.parametrize("data", ["gaussians8", "digits"])
def test_an_export_runs_like_the_model_and_carries_unit_directions(tmp_path, data):
    from wgan_watch.app.onnx_generator import open_generator

    torch.manual_seed(0)
    G, _ = build_models(TrainConfig(data=data, width=16, latent_dim=12))
    G.train()
    assert export_generator(tmp_path, 7, G) is None
    assert G.training  # its mode restored
    meta, dirs = gf.info(tmp_path, 7), gf.directions(tmp_path, 7)
    assert meta["latent_dim"] == 12 and meta["kind"] == ("points" if data == "gaussians8" else "image")
    assert dirs["sefa"].shape == (12, 12) and np.allclose(dirs["sefa"] @ dirs["sefa"].T, np.eye(12), atol=1e-4)
    assert np.allclose(np.linalg.norm(dirs["ganspace"], axis=1), 1, atol=1e-5)
    runner = open_generator(dict(gf.onnx_steps(tmp_path))[7])
    z = seed_latents(range(5), 12)  # a batch of 5, not the 2 it was exported with
    with torch.no_grad():
        expected = G.eval()(torch.from_numpy(z)).numpy()
    assert np.allclose(runner(z), expected, atol=1e-4)


def test_lab_query_parameters_round_trip():
    from wgan_watch.app.lab_state import LabState

    s = LabState(run="r1", step=500, seed=7, method="ganspace", amounts=[1.5, -0.25, 0.0], seed_a=3, seed_b=9,
                 frames=20, interp="lerp", walk=[5, 6, 7], play=True)
    assert LabState.from_params(s.to_params()) == s
    assert s.to_params()["play"] == "1" and LabState.from_params({"play": "0"}).play is False
    assert LabState.from_params({}) == LabState()


def test_lab_query_parameters_tolerate_junk():
    from wgan_watch.app.lab_state import LabState

    s = LabState.from_params({"seed": "x", "method": "evil", "frames": "100000", "amounts": "1,a", "step": "3"})
    assert s.seed == 0 and s.method == "sefa" and s.frames == 120 and s.amounts == [] and s.step == 3


def test_older_runs_get_their_exports_from_the_command_line(tmp_path):
    """A run from before ONNX exports (safetensors snapshots only): `export-onnx` makes the lab's files."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.fixtures import write_generator_run

    d = write_generator_run(tmp_path, "old", data="gaussians8")
    for s, _ in gf.onnx_steps(d):
        for f in gf.sidecars(d / "generator", s):
            f.unlink()
    assert gf.onnx_steps(d) == []
    r = subprocess.run([sys.executable, "-m", "trainer", "export-onnx", str(d)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0 and r.stdout.count("exported") == 2, r.stdout + r.stderr
    assert [s for s, _ in gf.onnx_steps(d)] == [100, 200] and gf.info(d, 200)["kind"] == "points"
    shutil.rmtree(d / "generator")
    r = subprocess.run([sys.executable, "-m", "trainer", "export-onnx", str(d)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and "no generator snapshot" in r.stderr
