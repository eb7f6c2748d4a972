import numpy as np
import pytest
import torch
from PIL import Image

from wgan_watch import TrainConfig
from wgan_watch.data import DataError, ToyData, embedded_digits, load_data, toy_centres, toy_sigma
from wgan_watch.quality.evaluate import mode_coverage, w1_exact

CPU = torch.device("cpu")


def test_gaussians8_matches_the_paper():
    torch.manual_seed(0)
    x = ToyData("gaussians8", CPU).sample(20000).double().numpy()
    c = toy_centres("gaussians8").double().numpy()
    assert np.allclose(np.linalg.norm(c, axis=1), 2 / 1.414)
    nearest = np.linalg.norm(x[:, None] - c[None], axis=2).argmin(1)
    resid = x - c[nearest]
    assert resid.std() == pytest.approx(0.02 / 1.414, rel=0.05)
    assert np.bincount(nearest, minlength=8).min() > 20000 / 8 * 0.9


def test_gaussians25_matches_the_paper():
    torch.manual_seed(0)
    x = ToyData("gaussians25", CPU).sample(50000).double().numpy()
    c = toy_centres("gaussians25").double().numpy()
    assert len(c) == 25 and np.isclose(np.abs(c).max(), 4 / 2.828)
    nearest = np.linalg.norm(x[:, None] - c[None], axis=2).argmin(1)
    assert (x - c[nearest]).std() == pytest.approx(0.05 / 2.828, rel=0.05)


def test_swissroll_is_in_range():
    torch.manual_seed(0)
    x = ToyData("swissroll", CPU).sample(10000)
    assert x.abs().max() < 2.2
    r = x.norm(dim=1) * 7.5  # radius ~ t in [1.5 pi, 4.5 pi], plus noise
    assert r.min() > 1.5 * np.pi - 1.5 and r.max() < 4.5 * np.pi + 1.5


def test_a_balanced_sample_gives_every_mode_its_share_and_keeps_the_distribution():
    g = torch.Generator().manual_seed(0)
    for name, k in (("gaussians8", 8), ("gaussians25", 25)):
        data, c = ToyData(name, CPU), toy_centres(name).double().numpy()
        x = data.sample(1000, g, balanced=True).double().numpy()
        counts = np.bincount(np.linalg.norm(x[:, None] - c[None], axis=2).argmin(1), minlength=k)
        assert counts.max() - counts.min() <= 1  # n / K each, to within one
        assert not torch.equal(data.sample(1000, g, balanced=True), data.sample(1000, g, balanced=True))
    roll = ToyData("swissroll", CPU)
    t = roll.sample(2000, g, balanced=True).norm(dim=1).numpy() * 7.5  # ~ the roll's parameter, plus noise
    assert t.min() > 1.5 * np.pi - 1.5 and t.max() < 4.5 * np.pi + 1.5
    # one draw per stratum: how many points fall in the roll's middle tenth varies far less than with
    # independent draws (only the noise moves points across the tenth's edges)
    def middle_tenth(balanced: bool) -> float:
        r = roll.sample(2000, g, balanced=balanced).norm(dim=1).numpy() * 7.5
        return float(((r > 2.85 * np.pi) & (r < 3.15 * np.pi)).sum())
    spread = {b: np.std([middle_tenth(b) for _ in range(30)]) for b in (True, False)}
    assert spread[True] < 0.6 * spread[False]
    # the mixture's balanced samples are still the mixture: W1 to an independent sample at the floor's level
    real = ToyData("gaussians8", CPU).sample(1000, g).numpy()
    assert w1_exact(real, ToyData("gaussians8", CPU).sample(1000, g, balanced=True).numpy()) < 0.15


def test_mode_coverage_and_w1_on_known_sets():
    torch.manual_seed(0)
    real = ToyData("gaussians8", CPU).sample(1000).numpy()
    c, s = toy_centres("gaussians8").numpy(), toy_sigma("gaussians8")
    modes, hq = mode_coverage(real, c, s)
    assert modes == 8 and hq > 0.97
    half = real[np.linalg.norm(real - c[0], axis=1) < 0.5]  # everything at one mode
    assert mode_coverage(half, c, s)[0] == 1
    other = ToyData("gaussians8", CPU).sample(1000).numpy()
    assert w1_exact(real, other) < 0.1
    assert w1_exact(real, other + 1.0) == pytest.approx(1.0 * np.sqrt(2), abs=0.15)


def test_embedded_digits_are_real_mnist():
    x, y = embedded_digits()
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert set(np.unique(y)) == set(range(10))
    assert 20 < x.mean() < 50  # MNIST's mean pixel is about 33


def test_digits_live_on_device_in_tanh_range():
    data = load_data(TrainConfig(data="digits").resolved(), CPU)
    b = data.sample(32)
    assert b.shape == (32, 1, 28, 28) and b.min() >= -1 and b.max() <= 1
    assert data.held_out(8).shape == (8, 1, 28, 28)


def test_digits_resized_to_32_and_3_channels():
    data = load_data(TrainConfig(data="digits", image_size=32, channels=3).resolved(), CPU)
    assert data.sample(4).shape == (4, 3, 32, 32)


def test_image_folder_nested_with_corrupt_files(tmp_path, caplog):
    rng = np.random.default_rng(0)
    (tmp_path / "a" / "b").mkdir(parents=True)
    for i in range(12):
        arr = rng.integers(0, 255, (40 + i, 50, 3), dtype=np.uint8)
        Image.fromarray(arr).save(tmp_path / ("a/b" if i % 2 else "a") / f"img{i}.png")
    (tmp_path / "a" / "broken.jpg").write_bytes(b"not an image at all")
    (tmp_path / "notes.txt").write_text("ignored")
    with caplog.at_level("WARNING", logger="trainer"):
        data = load_data(TrainConfig(data=f"folder:{tmp_path}", image_size=32).resolved(), CPU)
    assert "skipped 1 unreadable" in caplog.text
    assert data.sample(5).shape == (5, 3, 32, 32)


def test_folder_without_usable_images_fails_with_a_message(tmp_path):
    (tmp_path / "x.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match="no usable images"):
        load_data(TrainConfig(data=f"folder:{tmp_path}").resolved(), CPU)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no images"):
        load_data(TrainConfig(data=f"folder:{empty}").resolved(), CPU)


def test_missing_torchvision_set_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="--download"):
        load_data(TrainConfig(data="mnist", data_root=str(tmp_path)).resolved(), CPU)


def test_mode_rule_counts_diversity_among_good_samples():
    c, s = toy_centres("gaussians8").numpy().astype(np.float64), toy_sigma("gaussians8")
    rng = np.random.default_rng(0)
    sharp4 = np.concatenate([c[k] + s * rng.standard_normal((250, 2)) for k in range(4)])
    assert mode_coverage(sharp4, c, s) == (4, pytest.approx(0.99, abs=0.02))
    # blurry but everywhere: half the samples are junk far from any centre
    spread = np.concatenate([c[k] + s * rng.standard_normal((60, 2)) for k in range(8)] + [rng.normal(0, 0.1, (480, 2))])
    modes, hq = mode_coverage(spread, c, s)
    assert modes == 8 and hq == pytest.approx(0.5, abs=0.03)
    # one mode with a few stragglers (under a quarter of its fair share) is not covered
    few = np.concatenate([c[k] + s * rng.standard_normal((100, 2)) for k in range(7)] + [c[7] + s * rng.standard_normal((10, 2))])
    assert mode_coverage(few, c, s)[0] == 7


def test_large_folders_stream_through_a_dataloader(tmp_path, monkeypatch):
    from wgan_watch import data as data_mod

    rng = np.random.default_rng(0)
    for i in range(30):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    monkeypatch.setattr(data_mod, "DEVICE_RESIDENT_BYTES", 0)  # pretend the folder is too big to keep
    data = load_data(TrainConfig(data=f"folder:{tmp_path}", image_size=32, batch_size=8).resolved(), CPU)
    assert isinstance(data, data_mod.StreamImages)
    for _ in range(5):  # more batches than one epoch holds: the loader restarts
        b = data.sample(8)
        assert b.shape == (8, 3, 32, 32) and b.min() >= -1 and b.max() <= 1
    assert data.held_out(4).shape == (4, 3, 32, 32)
