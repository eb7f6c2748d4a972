"""A run's exported generators (the contract's generator/ folder), read without torch: what the Latent lab runs.

    generator/step_<8 digits>.onnx                      the generator as an ONNX graph, one float input [batch, latent]
    generator/step_<8 digits>.json                      its latent size, output kind, shape and range (or why not)
    generator/step_<8 digits>.directions.safetensors    SeFa and GANSpace directions in z, computed at export

An ONNX file is protobuf data, run by onnxruntime: loading it runs no code of the run's, unlike a pickle,
TorchScript or torch.export archive. A generator that could not be exported leaves only its JSON, whose
"error" says why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from .atomic import read_json
from .runfiles import step_files, step_name

FOLDER = "generator"


def onnx_steps(run_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """(step, path) of each exported generator, by step."""
    return step_files(Path(run_dir) / FOLDER, "onnx")


def info(run_dir: str | os.PathLike, step: int) -> dict:
    """The JSON beside a step's export ({} when there is none)."""
    return read_json(Path(run_dir) / FOLDER / step_name(step, "json")) or {}


def export_error(run_dir: str | os.PathLike) -> Optional[str]:
    """Why the run's newest export attempt failed, if it did and no graph was written since."""
    folder = Path(run_dir) / FOLDER
    tried = step_files(folder, "json")
    if not tried:
        return None
    step, path = tried[-1]
    last = read_json(path) or {}
    return last.get("error") if not (folder / step_name(step, "onnx")).exists() else None


def directions(run_dir: str | os.PathLike, step: int) -> dict:
    """{"sefa": (k, latent), "ganspace": (k, latent)} float32 arrays, unit rows ({} when missing or unreadable)."""
    from safetensors.numpy import load_file

    path = Path(run_dir) / FOLDER / f"step_{step:08d}.directions.safetensors"
    try:
        return dict(load_file(str(path)))
    except Exception:
        return {}


def sidecars(folder: Path, step: int) -> list[Path]:
    """Every file of one step's export: the graph, its JSON, its directions."""
    return [folder / step_name(step, "onnx"), folder / step_name(step, "json"),
            folder / f"step_{step:08d}.directions.safetensors"]
