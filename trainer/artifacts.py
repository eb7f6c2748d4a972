"""What the trainer leaves in the run folder besides tables: samples, snapshots, checkpoints.

Generator snapshots are safetensors (the dashboard loads them without
unpickling anything); `checkpoints/last.pt` is the trainer's alone and is read
back with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from . import runfiles
from .config import TrainConfig

TOY_EXTENT = 2.2  # the 2-D toys all lie within [-2, 2]^2 after the paper's scaling
CRITIC_GRID = 64  # critic heatmap resolution (64 x 64 points)


def step_name(step: int, ext: str) -> str:
    return f"step_{step:08d}.{ext}"


# --- samples ------------------------------------------------------------------------

@torch.no_grad()
def write_image_grid(path: Path, images: torch.Tensor, nrow: int = 8) -> None:
    """A PNG grid of images in [-1, 1], shape (N, C, H, W)."""
    from PIL import Image
    from torchvision.utils import make_grid

    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1))
    arr = (grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy())
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    runfiles.atomic_write_bytes(path, buf.getvalue())


@torch.no_grad()
def critic_grid(D: torch.nn.Module, device: torch.device, extent: float = TOY_EXTENT, n: int = CRITIC_GRID) -> pd.DataFrame:
    axis = torch.linspace(-extent, extent, n, device=device)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    val = D(pts).float().cpu().numpy()
    p = pts.cpu().numpy()
    return pd.DataFrame({"kind": "critic", "x": p[:, 0], "y": p[:, 1], "value": val})


def points_frame(kind: str, pts: torch.Tensor) -> pd.DataFrame:
    p = pts.detach().float().cpu().numpy()
    return pd.DataFrame({"kind": kind, "x": p[:, 0], "y": p[:, 1], "value": np.nan})


def write_toy_samples(path: Path, real: torch.Tensor, fake: torch.Tensor, D: torch.nn.Module) -> None:
    """Real and generated points and the critic on a grid, in one Parquet table (kind, x, y, value)."""
    df = pd.concat([points_frame("real", real), points_frame("fake", fake), critic_grid(D, real.device)],
                   ignore_index=True)
    runfiles.atomic_write_parquet(path, df)


# --- generator snapshots -----------------------------------------------------------

def save_snapshot(run_dir: Path, step: int, G: torch.nn.Module, keep: int, protect: tuple[int, ...] = ()) -> Path:
    """Write generator/step_N.safetensors and thin the folder to `keep` snapshots."""
    folder = run_dir / "generator"
    folder.mkdir(exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in _unwrap(G).state_dict().items()}
    path = folder / step_name(step, "safetensors")
    runfiles.atomic_write_bytes(path, st_save(state, metadata={"step": str(step), "format": "1"}))
    thin_snapshots(run_dir, keep, protect=protect + (step,))
    return path


def thin_snapshots(run_dir: Path, keep: int, protect: tuple[int, ...] = ()) -> None:
    thin_step_files(run_dir / "generator", "safetensors", keep, protect)


def thin_step_files(folder: Path, ext: str, keep: int, protect: tuple[int, ...] = ()) -> None:
    """Delete step files until `keep` remain, each time the one whose neighbours are closest.

    That keeps the first and the latest and spreads the rest evenly over the run, so a
    step slider over a long run still spans all of it with a fixed number of files.
    """
    files = runfiles.step_files(folder, ext)
    while len(files) > keep:
        steps = [s for s, _ in files]
        candidates = [i for i in range(1, len(files) - 1) if steps[i] not in protect]
        if not candidates:
            break
        i = min(candidates, key=lambda i: (steps[i + 1] - steps[i - 1], steps[i]))
        try:
            os.unlink(files[i][1])
        except FileNotFoundError:
            pass
        del files[i]


def load_generator(run_dir: str | os.PathLike, step: Optional[int] = None, device: str = "cpu") -> torch.nn.Module:
    """The run's generator from its latest snapshot (or `step`), in eval mode, with `.latent_dim`."""
    from .models import build_models

    run_dir = Path(run_dir)
    cfg = TrainConfig.load(run_dir / "config.json").resolved()
    snaps = dict(runfiles.list_snapshots(run_dir))
    if not snaps:
        raise FileNotFoundError(f"run {run_dir.name!r} has no generator snapshot yet")
    if step is None:
        step = max(snaps)
    if step not in snaps:
        raise FileNotFoundError(f"run {run_dir.name!r} has no snapshot at step {step} (has {sorted(snaps)})")
    G, _ = build_models(cfg)
    G.load_state_dict(st_load(snaps[step].read_bytes()))
    G.snapshot_step = step
    return G.to(device).eval()


# --- checkpoints ---------------------------------------------------------------------

def _unwrap(m: torch.nn.Module) -> torch.nn.Module:
    return getattr(m, "module", m)  # DistributedDataParallel keeps the model in .module


def save_checkpoint(run_dir: Path, *, step: int, elapsed: float, G, D, opt_g, opt_d, fixed_noise) -> None:
    state = {
        "step": step, "elapsed": elapsed,
        "G": _unwrap(G).state_dict(), "D": _unwrap(D).state_dict(),
        "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
        "fixed_noise": fixed_noise.cpu(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    runfiles.atomic_write_bytes(run_dir / "checkpoints" / "last.pt", buf.getvalue())


def load_checkpoint(run_dir: Path) -> Optional[dict]:
    path = run_dir / "checkpoints" / "last.pt"
    if not path.exists():
        return None
    # weights_only: a checkpoint is tensors, numbers and dicts; nothing in it may run code
    return torch.load(path, map_location="cpu", weights_only=True)


def restore_rng(state: dict) -> None:
    torch.set_rng_state(state["rng_cpu"].cpu())
    if torch.cuda.is_available() and state.get("rng_cuda"):
        torch.cuda.set_rng_state_all([s.cpu() for s in state["rng_cuda"]])
