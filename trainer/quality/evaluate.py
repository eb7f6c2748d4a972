"""Quality measures that do not trust the critic, on 2-D data: exact W1, mode coverage, their noise floor.

(FID, KID and the Inception Score of images: image_quality.py beside this file.)"""

from __future__ import annotations

import numpy as np
import torch

from ..data import toy_centres, toy_sigma

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


def toy_floor(data_name: str, reference: torch.Tensor, others: list[torch.Tensor]) -> tuple[float, float]:
    """Exact W1 of other real samples against the reference: (mean, SD), what a perfect generator scores."""
    r = reference.detach().cpu().double().numpy()
    w = [w1_exact(r, o.detach().cpu().double().numpy()) for o in others]
    return float(np.mean(w)), float(np.std(w, ddof=1)) if len(w) > 1 else 0.0
