"""Feature extractors for FID, KID and the Inception Score, all offline.

The default for 1-channel 28-pixel images is a small classifier trained once on
the labelled embedded digits and cached next to the runs (`<runs>/.cache/`),
with its training written to a log beside it. Its 128-d penultimate layer gives
the FID/KID features and its logits the "MNIST score" (the Inception Score on a
digit classifier). Inception-v3 features are used instead when the user points
`--inception-weights` at torch-fidelity's weights file on disk.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Optional

import torch
from safetensors.torch import load_file, save_file
from torch import nn

CLASSIFIER_VERSION = 1
log = logging.getLogger("trainer")


class DigitClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 7, 7)
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),          # (N, 128): the features
        )
        self.head = nn.Linear(128, 10)                                     # (N, 10): logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class Passthrough(nn.Module):
    """A "feature extractor" for torchmetrics that takes features computed beforehand."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def train_classifier(log_path: Optional[Path] = None, epochs: int = 4, seed: int = 0) -> tuple[DigitClassifier, float]:
    """Train on 4,500 embedded digits, test on the other 500; returns (model, test accuracy)."""
    from ..data import embedded_digits

    x, y = embedded_digits()
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    X = torch.from_numpy(x).float().div(127.5).sub(1).unsqueeze(1)[perm]
    Y = torch.from_numpy(y)[perm]
    Xtr, Ytr, Xte, Yte = X[:4500], Y[:4500], X[4500:], Y[4500:]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        clf = DigitClassifier()
        opt = torch.optim.Adam(clf.parameters(), lr=1e-3)
        lines = []
        for epoch in range(epochs):
            t0 = time.time()
            clf.train()
            for idx in torch.randperm(len(Xtr), generator=g).split(128):
                # a pixel shift of up to 2 makes the features care about shape, not position
                dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
                xb = torch.roll(Xtr[idx], shifts=(dy, dx), dims=(2, 3))
                loss = nn.functional.cross_entropy(clf(xb), Ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            clf.eval()
            with torch.no_grad():
                acc = (clf(Xte).argmax(1) == Yte).float().mean().item()
            lines.append(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy {acc:.3f} "
                         f"({time.time() - t0:.1f} s)")
            log.info("digit classifier %s", lines[-1])
    if log_path is not None:
        log_path.write_text("digit classifier for FID/KID/IS features, trained on 4,500 embedded MNIST "
                            "digits, tested on 500\n" + "\n".join(lines) + "\n")
    return clf.eval(), acc


def digit_classifier(cache_dir: Path) -> DigitClassifier:
    """The cached classifier, training (about 15 s on a CPU) and caching it on first use."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"digit-classifier-v{CLASSIFIER_VERSION}.safetensors"
    clf = DigitClassifier()
    if path.exists():
        try:
            clf.load_state_dict(load_file(path))
            return clf.eval()
        except Exception:  # a broken cache file: train again
            log.warning("digit classifier cache %s unreadable; training again", path)
    clf, acc = train_classifier(cache_dir / "digit-classifier.log")
    tmp = path.with_suffix(".tmp")
    save_file(clf.state_dict(), tmp)
    tmp.replace(path)
    log.info("digit classifier cached at %s (test accuracy %.3f)", path, acc)
    return clf.eval()
