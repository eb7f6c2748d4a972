"""What the trainer leaves in the run folder besides tables and samples: snapshots and checkpoints.

Generator snapshots are safetensors (the dashboard loads them without
unpickling anything); `checkpoints/last.pt` is the trainer's alone and is read
back with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Optional

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .runs import runfiles
from .config import TrainConfig
from .runs.generator_export import export_generator
from .runs.samples import thin_step_files

log = logging.getLogger("trainer")

# --- generator snapshots -----------------------------------------------------------

def save_snapshot(run_dir: Path, step: int, G: torch.nn.Module, keep: int, protect: tuple[int, ...] = (),
                  onnx: bool = True) -> Path:
    """Write generator/step_N.safetensors (resume, the best snapshot, load_generator) and, for the Latent lab,
    the same generator as ONNX; thin both to `keep`."""
    folder = run_dir / "generator"
    folder.mkdir(exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in _unwrap(G).state_dict().items()}
    path = folder / runfiles.step_name(step, "safetensors")
    runfiles.atomic_write_bytes(path, st_save(state, metadata={"step": str(step), "format": "1"}))
    thin_snapshots(run_dir, keep, protect=protect + (step,))
    if onnx:
        why = export_generator(run_dir, step, G, keep=keep, protect=protect)
        if why and not _export_failed.get(str(run_dir)):
            _export_failed[str(run_dir)] = why
            log.warning("the generator could not be exported as ONNX for the Latent lab (training goes on): %s", why)
    return path


_export_failed: dict[str, str] = {}  # runs whose export failure was logged (once each)


def thin_snapshots(run_dir: Path, keep: int, protect: tuple[int, ...] = ()) -> None:
    thin_step_files(run_dir / "generator", "safetensors", keep, protect)


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


def save_checkpoint(run_dir: Path, *, step: int, elapsed: float, G, D, opt_g, opt_d, fixed_noise,
                    **extra) -> None:
    state = {
        "step": step, "elapsed": elapsed,
        "G": _unwrap(G).state_dict(), "D": _unwrap(D).state_dict(),
        "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
        "fixed_noise": fixed_noise.cpu(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        **extra,
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
