"""FID, KID and the Inception Score of generated images, on features computed once per evaluation.

Features: Inception-v3 (torch-fidelity's network) when `--inception-weights` names its
weights file on disk; else, for 1-channel 28-pixel images, the digit classifier trained
on the embedded digits (features.py); else the standard Inception weights, fetched once
into the user's cache when the network allows (inception_weights.py); else none, and
`available` is False with `reason` saying why and what to install or pass. Either extractor gives the pooled
features (FID, KID) and the logits (IS) in one pass; torchmetrics then computes the
three scores from them through pass-through "extractors".
"""

from __future__ import annotations

import statistics
import warnings
from pathlib import Path
from typing import Callable, Optional

import torch

from .evaluate import in_chunks

INCEPTION_FEATURES = "inception-2048"
Extractor = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def inception_extractor(weights: str, device: torch.device) -> Extractor:
    """Inception-v3 pool features and unbiased logits of images in [-1, 1]; raises with a reason."""
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    except ImportError:
        raise RuntimeError("Inception-v3 features need torch-fidelity: pip install torch-fidelity "
                           "(the wgan-watch[inception] extra)") from None
    try:  # torch-fidelity unpickles the file in full; let it only after it proved to be plain tensors
        torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        raise RuntimeError(f"the Inception weights file {weights!r} is not a plain state dict of tensors "
                           f"({type(e).__name__}: {str(e)[:120]})") from None
    net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                      feature_extractor_weights_path=weights).to(device).eval()

    def extract(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # what the network was trained on
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        feats, logits = net(x)
        return feats.float(), logits.float()

    return extract


def digit_extractor(cache_dir: Path, device: torch.device) -> Extractor:
    from .features import digit_classifier

    clf = digit_classifier(Path(cache_dir)).to(device, memory_format=torch.channels_last)

    def extract(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = clf.body(x.clamp(-1, 1).float().contiguous(memory_format=torch.channels_last))
        return feats, clf.head(feats)

    return extract


class ImageQuality:
    """FID, KID and IS against a fixed real reference, and the same measure between real sets (the floor)."""

    def __init__(self, channels: int, image_size: int, device: torch.device, cache_dir,
                 inception_weights: Optional[str] = None, n: int = 1000):
        self.available, self.reason, self.name = False, "", ""
        self._has_real = False
        try:
            from torchmetrics.image.fid import FrechetInceptionDistance
            from torchmetrics.image.inception import InceptionScore
            from torchmetrics.image.kid import KernelInceptionDistance
        except ImportError:
            self.reason = "FID, KID and IS unavailable: torchmetrics is not installed (pip install torchmetrics)"
            return
        try:
            if not inception_weights and not (channels == 1 and image_size == 28):
                inception_weights = self._fetched(channels, image_size)
                if inception_weights is None:
                    return
            if inception_weights:
                self._extract, self.name, dims = inception_extractor(inception_weights, device), INCEPTION_FEATURES, (2048, 1008)
            else:
                self._extract, self.name, dims = digit_extractor(cache_dir, device), "digit-classifier-v1", (128, 10)
        except RuntimeError as e:
            self.reason = f"FID, KID and IS unavailable: {e}"
            return
        from .features import Passthrough

        warnings.filterwarnings("ignore", message=".*will save all extracted features in buffer.*")
        # only rank 0 evaluates under torchrun: torchmetrics must not gather from the other ranks
        local = {"sync_on_compute": False}
        self._fid = FrechetInceptionDistance(feature=Passthrough(dims[0]), reset_real_features=False, **local)
        self._kid = KernelInceptionDistance(feature=Passthrough(dims[0]), reset_real_features=False,
                                            subset_size=max(2, min(500, n // 2)), subsets=10, **local)
        self._is = InceptionScore(feature=Passthrough(dims[1]), normalize=False, splits=1, **local)
        for m in (self._fid, self._kid, self._is):
            m.to(device)
        self.available = True

    def _fetched(self, channels: int, image_size: int) -> Optional[str]:
        """The standard Inception weights from the user's cache, fetched once when the network allows; else
        None, with the reason set (what to pass instead)."""
        from .inception_weights import standard_weights

        try:
            return str(standard_weights())
        except RuntimeError as e:
            self.reason = (f"FID, KID and IS unavailable for {channels}-channel {image_size}-pixel images: {e}; "
                           "pass --inception-weights PATH (torch-fidelity's pt_inception-2015-12-05 weights file, "
                           "with pip install torch-fidelity); the held-out critic estimate is still computed")
            return None

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pooled features, logits) of images in [-1, 1], in chunks on the CPU."""
        both = in_chunks(lambda c: torch.cat(self._extract(c), 1), x)
        dim = self._fid.inception.num_features
        return both[:, :dim], both[:, dim:]

    @torch.no_grad()
    def set_real(self, real: torch.Tensor) -> None:
        feats, _ = self.features(real)
        for m in (self._fid, self._kid):
            m.update(feats, real=True)
        self._has_real = True

    @torch.no_grad()
    def score(self, fake: torch.Tensor) -> dict:
        """{'fid', 'kid', 'inception_score', 'fid_features'} for generated images in [-1, 1]."""
        if not self.available:
            return {}
        assert self._has_real, "call set_real first"
        feats, logits = self.features(fake)
        out = {"fid_features": self.name}
        self._fid.reset()
        self._fid.update(feats, real=False)
        out["fid"] = float(self._fid.compute())
        self._kid.reset()
        self._kid.update(feats, real=False)
        out["kid"] = float(self._kid.compute()[0])
        self._is.reset()
        self._is.update(logits)
        with warnings.catch_warnings():  # one split has no spread to report; the mean is what we keep
            warnings.simplefilter("ignore")
            out["inception_score"] = float(self._is.compute()[0])
        return out

    def floor(self, others: list[torch.Tensor]) -> tuple[float, float]:
        """FID of other real sets against the reference: (mean, SD), what a perfect generator scores."""
        fids = [self.score(o)["fid"] for o in others]
        return statistics.fmean(fids), statistics.stdev(fids) if len(fids) > 1 else 0.0
