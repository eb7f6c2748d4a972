"""Where FID/KID/IS come from, and what a user is told when they cannot be computed.

A folder of colour images with Inception-v3 weights gets all three (torch-fidelity's network,
here with a weights file of the right shapes made by the test: the real one cannot be shipped);
without weights, or without a package, the trainer logs why at WARNING, status.json carries the
reason, and the Monitor page says it where the quality chart would have been."""

import builtins
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.test_app import app, texts
from wgan_watch import train
from wgan_watch.runs import runfiles as rf
from wgan_watch.quality.image_quality import ImageQuality


def write_colour_images(folder: Path, n: int = 40) -> Path:
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        base = rng.integers(0, 256, 3)
        img = np.clip(base + rng.normal(0, 30, (32, 32, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"{i:03d}.png")
    return folder


@pytest.fixture(scope="module")
def inception_weights(tmp_path_factory) -> Path:
    """A state dict for torch-fidelity's Inception-v3 with random weights, in float16 (48 MB)."""
    fe = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    cls = fe.FeatureExtractorInceptionV3
    keep_load, keep_url = cls.load_state_dict, fe.load_state_dict_from_url
    cls.load_state_dict = lambda self, sd, *a, **k: None  # build the network without any weights
    fe.load_state_dict_from_url = lambda *a, **k: {}
    try:
        torch.manual_seed(0)
        net = cls("inception-v3-compat", ["2048", "logits_unbiased"])
    finally:
        cls.load_state_dict, fe.load_state_dict_from_url = keep_load, keep_url
    path = tmp_path_factory.mktemp("weights") / "pt_inception-test.pth"
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}, path)
    return path


@pytest.mark.timeout(600)
def test_folder_images_with_inception_weights_get_fid_kid_and_is(tiny, tmp_path, inception_weights):
    folder = write_colour_images(tmp_path / "imgs")
    run = train(tiny(data=f"folder:{folder}", image_size=32, steps=4, width=8, batch_size=8, eval_every=2,
                     sample_every=2, eval_samples=10, inception_weights=str(inception_weights)))
    ev = rf.read_evals(run)
    assert ev["step"].tolist() == [2, 4]
    assert (ev["fid_features"] == "inception-2048").all()
    assert ev[["fid", "kid", "inception_score", "floor"]].notna().all().all()
    assert (ev["fid"] > 0).all() and (ev["floor"] > 0).all()
    assert "quality_unavailable" not in rf.read_json(run / "status.json")


def test_inception_scores_order_real_before_noise(tmp_path, inception_weights):
    """Even random Inception features tell the data from noise: real-vs-real FID is the smallest."""
    q = ImageQuality(3, 32, torch.device("cpu"), tmp_path, str(inception_weights), n=16)
    assert q.available and q.name == "inception-2048"
    g = torch.Generator().manual_seed(0)
    real = torch.rand(48, 3, 1, 1, generator=g).expand(48, 3, 32, 32) * 2 - 1
    real = (real + 0.1 * torch.randn(real.shape, generator=g)).clamp(-1, 1)
    q.set_real(real[:16])
    same = q.score(real[16:32])["fid"]
    noise = q.score(torch.rand(16, 3, 32, 32, generator=g) * 2 - 1)["fid"]
    assert same < noise


def test_a_pickle_in_place_of_inception_weights_is_refused_unopened(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("this must never run",))

    bad = tmp_path / "evil.pth"
    torch.save({"x": Boom()}, bad)
    q = ImageQuality(3, 32, torch.device("cpu"), tmp_path, str(bad), n=16)
    assert not q.available and "not a plain state dict" in q.reason


def test_colour_images_without_weights_say_why_everywhere(tiny, tmp_path, caplog, runs):
    folder = write_colour_images(tmp_path / "imgs")
    with caplog.at_level(logging.WARNING, logger="trainer"):
        run = train(tiny(data=f"folder:{folder}", image_size=32, steps=4, width=8, batch_size=8, eval_every=2,
                         sample_every=2, eval_samples=10, run_dir=str(runs / "colour")))
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "FID, KID and IS unavailable" in r.message]
    assert warned and "--inception-weights" in warned[0].message
    assert "WARNING" in (run / "trainer.log").read_text()
    reason = rf.read_json(run / "status.json")["quality_unavailable"]
    assert "--inception-weights" in reason and "torch-fidelity" in reason
    ev = rf.read_evals(run)
    assert ev["fid"].isna().all() and ev["w_heldout"].notna().all()  # the held-out estimate still comes
    at = app("monitor", run="colour")
    assert "FID, KID and IS unavailable" in texts(at) and "--inception-weights" in texts(at)


def test_missing_packages_are_named_with_what_to_install(tmp_path, monkeypatch, inception_weights):
    real_import = builtins.__import__

    def without(*names):
        def fake(name, *a, **k):
            if name.split(".")[0] in names:
                raise ImportError(f"No module named {name!r}")
            return real_import(name, *a, **k)
        return fake

    monkeypatch.setattr(builtins, "__import__", without("torchmetrics"))
    q = ImageQuality(1, 28, torch.device("cpu"), tmp_path)
    assert not q.available and "pip install torchmetrics" in q.reason
    monkeypatch.setattr(builtins, "__import__", without("torch_fidelity"))
    q = ImageQuality(3, 64, torch.device("cpu"), tmp_path, str(inception_weights))
    assert not q.available and "pip install torch-fidelity" in q.reason


# --- the standard weights, fetched once (from a file URL here: no test reaches the network) ----------------------

def mirror(weights: Path, folder: Path, hash_prefix: str | None = None) -> str:
    """A copy of `weights` named as torch-fidelity names its release file (the SHA-256 prefix before .pth)."""
    import hashlib
    import shutil

    prefix = hash_prefix or hashlib.sha256(weights.read_bytes()).hexdigest()[:8]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"weights-inception-2015-12-05-{prefix}.pth"
    shutil.copy(weights, target)
    return target.as_uri()


def test_the_standard_weights_are_fetched_once_checked_and_cached(tmp_path, monkeypatch, inception_weights):
    url = mirror(inception_weights, tmp_path / "mirror")
    monkeypatch.setenv("WGAN_WATCH_INCEPTION_URL", url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    q = ImageQuality(3, 32, torch.device("cpu"), tmp_path, None, n=16)
    assert q.available and q.name == "inception-2048", q.reason
    cached = list((tmp_path / "cache" / "wgan-watch").glob("weights-inception-*.pth"))
    assert len(cached) == 1 and cached[0].read_bytes() == inception_weights.read_bytes()
    for f in (tmp_path / "mirror").iterdir():
        f.unlink()  # the source is gone: the cached copy serves
    assert ImageQuality(3, 32, torch.device("cpu"), tmp_path, None, n=16).available


def test_weights_that_do_not_match_their_hash_are_not_kept(tmp_path, monkeypatch, inception_weights):
    monkeypatch.setenv("WGAN_WATCH_INCEPTION_URL", mirror(inception_weights, tmp_path / "mirror", "0badc0de"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    q = ImageQuality(3, 32, torch.device("cpu"), tmp_path, None, n=16)
    assert not q.available and "do not match their hash" in q.reason and "--inception-weights" in q.reason
    assert not list((tmp_path / "cache").rglob("*.pth"))


def test_offline_the_reason_says_what_to_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # (conftest's URL is a file that is not there)
    q = ImageQuality(3, 32, torch.device("cpu"), tmp_path, None, n=16)
    assert not q.available and "could not fetch the standard Inception weights" in q.reason
    assert "--inception-weights" in q.reason
