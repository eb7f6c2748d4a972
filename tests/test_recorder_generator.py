"""A script of one's own demos its generator: `rec.generator(step, G)` exports it, and the Latent lab runs it with
every feature; a model that cannot be exported costs one warning and nothing else."""

import json
import warnings

import numpy as np
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

from tests.conftest import ROOT
from wgan_watch import Recorder
from wgan_watch.runs import generator_files as gf

MAIN = str(ROOT / "app" / "main.py")


class PublicShapeGenerator(nn.Module):
    """The usual public WGAN-GP generator for MNIST: an MLP with BatchNorm1d, reshaped in forward."""

    def __init__(self, nz: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, 128), nn.BatchNorm1d(128), nn.ReLU(),
                                 nn.Linear(128, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class DCGANShape(nn.Module):
    """A DCGAN generator reads (N, nz, 1, 1): exported so that it takes (N, nz) like every other."""

    def __init__(self, nz: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(nz, 32, 4, 1, 0), nn.BatchNorm2d(32), nn.ReLU(),
                                 nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Tanh())  # (N, 3, 8, 8)

    def forward(self, z):
        return self.net(z)


def test_a_recorder_run_gets_every_feature_of_the_lab(runs):
    torch.manual_seed(0)
    G = PublicShapeGenerator()
    with Recorder(runs / "mine", algo="wgan-gp", data="my-digits") as rec:
        for step in (1, 2):
            rec.log(step, w_estimate=1.0 / step)
        G.train()
        assert rec.generator(100, G) and rec.generator(200, G)
        assert G.training  # its training mode is back
    meta = gf.info(runs / "mine", 200)
    assert meta["latent_dim"] == 32 and meta["kind"] == "image" and meta["output_shape"] == [1, 28, 28]
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["run"] = "mine"
    at.switch_page("views/latent.py").run()
    assert not at.exception and not at.error
    assert at.select_slider[0].value == 200 and [s for s in at.slider if s.key == "lab_sefa_0"]
    before = [img.url for el in at.get("image") for img in el.proto.imgs][0]
    at.slider(key="lab_sefa_0").set_value(2.0).run()
    assert [img.url for el in at.get("image") for img in el.proto.imgs][0] != before
    assert {b.label for b in at.get("download_button")} >= {"GIF", "PNG strip", "Walk as GIF"}


def test_a_dcgan_that_reads_4d_latents_is_exported_with_a_flat_input(tmp_path):
    from wgan_watch.app.onnx_generator import open_generator

    torch.manual_seed(0)
    G = DCGANShape().eval()
    with Recorder(tmp_path / "dc") as rec:
        assert rec.generator(5, G)
    runner = open_generator(dict(gf.onnx_steps(tmp_path / "dc"))[5])
    z = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    with torch.no_grad():
        assert np.allclose(runner(z), G(torch.from_numpy(z).view(3, 16, 1, 1)).numpy(), atol=1e-4)
    assert runner.latent_dim == 16 and runner.kind == "image"


def test_a_model_that_cannot_be_exported_warns_once_and_training_goes_on(tmp_path):
    class Scores(nn.Module):  # gives 5 numbers per latent: neither an image nor a point
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 5)

        def forward(self, z):
            return self.fc(z)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with Recorder(tmp_path / "odd") as rec:
            assert rec.generator(1, Scores()) is False and rec.generator(2, Scores()) is False
            rec.log(3, loss_d=0.5)  # and the run goes on
    ours = [w for w in seen if "could not be exported" in str(w.message)]
    assert len(ours) == 1 and "neither an image" in str(ours[0].message)
    assert json.loads((tmp_path / "odd" / "generator" / "step_00000002.json").read_text())["error"]
    assert gf.onnx_steps(tmp_path / "odd") == [] and gf.export_error(tmp_path / "odd").startswith("generator:")


def test_exports_are_thinned_with_their_files(tmp_path):
    G = PublicShapeGenerator(4).eval()
    with Recorder(tmp_path / "thin", max_samples=3) as rec:
        for step in range(1, 7):
            rec.generator(step * 10, G)
    kept = [s for s, _ in gf.onnx_steps(tmp_path / "thin")]
    assert len(kept) == 3 and kept[0] == 10 and kept[-1] == 60
    names = sorted(p.name for p in (tmp_path / "thin" / "generator").iterdir())
    assert len(names) == 9 and all(any(f"{s:08d}" in n for s in kept) for n in names)
