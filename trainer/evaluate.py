"""Quality measures that do not trust the critic: exact W1 and mode coverage on 2-D data."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .data import toy_centres, toy_sigma

HQ_SIGMAS = 3.0
"""A sample is high quality when it lies within 3 sigma of its nearest centre: in 2-D that
holds 98.9% of a component's own samples (1 - exp(-9/2))."""

MODE_SHARE = 0.25
"""A mode is covered when it holds at least a quarter of its fair share of the high-quality
samples (n_hq / K). Coverage is measured among the good samples so that it tells diversity
apart from sharpness (which hq_frac reports): a generator that is still blurry but spreads
over all modes covers them all; one that is sharp on 4 of 8 modes covers 4. A quarter
tolerates the uneven mode weights a good generator still has at n = 1,000 (on gaussians8 a
mode then needs about 30 of ~1,000 good samples), while a mode the generator only grazes with
a few stragglers does not count. Read it together with hq_frac early in training, when few
samples are good and a handful near a centre can count."""
MIN_MODE_SAMPLES = 2  # and never fewer than this many good samples


EVAL_CHUNK_CPU = 100
"""Images per forward pass when evaluating on the CPU. A 1,000-image batch's activations
(the classifier's first layer alone: 100 MB) spill out of the cache and leave the convolutions
waiting on memory; 100 at a time, with channels-last inputs, the classifier's features took
35-40 ms instead of 227 ms and the generator's 1,000 samples 32 ms instead of 55 ms
(2-core x86_64; python -m bench.evaluation, table in bench/README.md). On a GPU one pass is best."""


def in_chunks(fn, x: torch.Tensor) -> torch.Tensor:
    """fn over x's rows, in chunks of EVAL_CHUNK_CPU on the CPU (in one pass elsewhere), concatenated.
    For eval-mode networks only: a batch-norm in training mode would see different batches."""
    if x.device.type != "cpu" or len(x) <= EVAL_CHUNK_CPU:
        return fn(x)
    return torch.cat([fn(c) for c in x.split(EVAL_CHUNK_CPU)])


def w1_exact(real: np.ndarray, fake: np.ndarray) -> float:
    """Exact earth-mover distance between two equal-weight point clouds (optimal transport, POT)."""
    import ot  # POT: imported here because it pulls in scikit-learn (1.4 s)

    real = np.ascontiguousarray(real, dtype=np.float64)
    fake = np.ascontiguousarray(fake, dtype=np.float64)
    cost = ot.dist(real, fake, metric="euclidean")
    a = np.full(len(real), 1.0 / len(real))
    b = np.full(len(fake), 1.0 / len(fake))
    return float(ot.emd2(a, b, cost, numItermax=10_000_000))


def mode_coverage(points: np.ndarray, centres: np.ndarray, sigma: float) -> tuple[int, float]:
    """(modes covered, share of high-quality samples) for points from a Gaussian mixture."""
    points = np.asarray(points, dtype=np.float64)
    d = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)  # (n, K)
    nearest = d.argmin(1)
    hq = d[np.arange(len(points)), nearest] <= HQ_SIGMAS * sigma
    counts = np.bincount(nearest[hq], minlength=len(centres))
    fair = hq.sum() / len(centres)
    covered = (counts >= MODE_SHARE * fair) & (counts >= MIN_MODE_SAMPLES)
    return int(covered.sum()), float(hq.mean())


def toy_quality(data_name: str, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
    """The evaluation columns for 2-D data."""
    r, f = real.detach().cpu().double().numpy(), fake.detach().cpu().double().numpy()
    out = {"w1_exact": w1_exact(r, f), "modes": float("nan"), "hq_frac": float("nan")}
    centres = toy_centres(data_name)
    if centres is not None:
        modes, hq = mode_coverage(f, centres.double().numpy(), toy_sigma(data_name))
        out["modes"], out["hq_frac"] = float(modes), hq
    return out


class ImageQuality:
    """FID, KID and the Inception Score of generated images against real ones (torchmetrics).

    Features: Inception-v3 when `inception_weights` names torch-fidelity's weights file
    on disk; else, for 1-channel 28-pixel images, the digit classifier (trainer.features);
    else none, and `available` is False with `reason` saying why.
    """

    def __init__(self, channels: int, image_size: int, device: torch.device, cache_dir,
                 inception_weights: str | None = None, n: int = 1000):
        from pathlib import Path

        self.available, self.reason, self.name = False, "", ""
        self._fid = self._kid = self._is = None
        kid_subset = max(2, min(500, n // 2))
        warnings.filterwarnings("ignore", message=".*will save all extracted features in buffer.*")
        try:
            from torchmetrics.image.fid import FrechetInceptionDistance
            from torchmetrics.image.inception import InceptionScore
            from torchmetrics.image.kid import KernelInceptionDistance
        except ImportError:  # pragma: no cover - torchmetrics is in requirements.txt
            self.reason = "torchmetrics is not installed"
            return
        # only rank 0 evaluates under torchrun: torchmetrics must not gather from the other ranks
        local = {"sync_on_compute": False}
        if inception_weights:
            try:
                kw = dict(feature_extractor_weights_path=inception_weights, **local)
                self._fid = FrechetInceptionDistance(feature=2048, reset_real_features=False, normalize=True, **kw)
                self._kid = KernelInceptionDistance(feature=2048, reset_real_features=False, normalize=True,
                                                    subset_size=kid_subset, subsets=10, **kw)
                self._is = InceptionScore(feature="logits_unbiased", normalize=True, splits=1, **kw)
                self.name, self.available, self._inception = "inception-2048", True, True
            except Exception as e:
                self.reason = f"Inception weights could not be loaded ({type(e).__name__}: {e})"
        elif channels == 1 and image_size == 28:
            from .features import Passthrough, digit_classifier

            # one classifier pass per evaluation gives both features and logits; the metrics
            # then get them through a pass-through "extractor" instead of running it three times
            self._clf = digit_classifier(Path(cache_dir)).to(device, memory_format=torch.channels_last)
            self._fid = FrechetInceptionDistance(feature=Passthrough(128), reset_real_features=False, **local)
            self._kid = KernelInceptionDistance(feature=Passthrough(128), reset_real_features=False,
                                                subset_size=kid_subset, subsets=10, **local)
            self._is = InceptionScore(feature=Passthrough(10), normalize=False, splits=1, **local)
            self.name, self.available, self._inception = "digit-classifier-v1", True, False
        else:
            self.reason = (f"FID/KID/IS need Inception weights for {channels}-channel {image_size}-pixel images: "
                           "pass --inception-weights PATH (torch-fidelity's pt_inception-2015-12-05 file); "
                           "the held-out critic estimate is still computed")
        if self.available:
            for m in (self._fid, self._kid, self._is):
                m.to(device)
        self._has_real = False

    def _inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(what FID/KID get, what IS gets) for images in [-1, 1]."""
        if self._inception:  # Inception wants 3 channels in [0, 1]; torchmetrics resizes to 299
            x = (x.clamp(-1, 1) + 1) / 2
            x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
            return x, x
        x = x.clamp(-1, 1).float().contiguous(memory_format=torch.channels_last)
        feats = in_chunks(self._clf.body, x)
        return feats, self._clf.head(feats)

    @torch.no_grad()
    def set_real(self, real: torch.Tensor) -> None:
        feats, _ = self._inputs(real)
        for m in (self._fid, self._kid):
            m.update(feats, real=True)
        self._has_real = True

    @torch.no_grad()
    def score(self, fake: torch.Tensor) -> dict:
        """{'fid', 'kid', 'inception_score', 'fid_features'} for a batch of generated images in [-1, 1]."""
        if not self.available:
            return {}
        assert self._has_real, "call set_real first"
        x, logits = self._inputs(fake)
        out = {"fid_features": self.name}
        self._fid.reset()
        self._fid.update(x, real=False)
        out["fid"] = float(self._fid.compute())
        self._kid.reset()
        self._kid.update(x, real=False)
        out["kid"] = float(self._kid.compute()[0])
        self._is.reset()
        self._is.update(logits)
        with warnings.catch_warnings():  # one split has no spread to report; the mean is what we keep
            warnings.simplefilter("ignore")
            out["inception_score"] = float(self._is.compute()[0])
        return out
