"""`Recorder.generator(step, G)`: a generator as one self-contained ONNX file, with what the lab needs beside it.

torch is imported when a generator is exported, never at import: the run folder's other writers need none.
The model is exported in eval mode without gradients (its training mode restored after), from a copy on the
CPU, with a batch of 2 and a dynamic batch dimension (an example batch of 1 would fix the batch size).
TorchScript's exporter comes first (tens of milliseconds for a small model; it needs the `onnx` package);
torch.export's, which torch 2.9 made the default and which needs `onnxscript` too, if that one fails (about a
second). Nothing is written in place: the directions and the JSON go first, the graph last, each atomically.
"""

from __future__ import annotations

import copy
import io
import warnings
from pathlib import Path
from typing import Any, Optional

from .atomic import atomic_write_bytes, atomic_write_json, unlink_quietly
from .generator_files import FOLDER, sidecars
from .runfiles import step_files, step_name

K_DIRECTIONS = 16  # directions kept per method (the lab shows up to 6 sliders, 16 in raw z)
GANSPACE_SAMPLES = 2000
OPSET = 17


class ExportError(RuntimeError):
    """Why a generator could not be exported (one line)."""


def export_generator(run_dir: Path, step: int, G: Any, latent_dim: Optional[int] = None, keep: int = 20,
                     protect: tuple[int, ...] = ()) -> Optional[str]:
    """Write generator/step_N.onnx, .json and .directions.safetensors; thin to `keep` exports. Returns None, or
    why the model could not be exported (then the JSON alone says so, for the lab)."""
    folder = Path(run_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    try:
        graph, meta, dirs = _export(G, latent_dim)
    except ExportError as e:
        atomic_write_json(folder / step_name(step, "json"), {"step": step, "error": str(e)})
        return str(e)
    from safetensors.numpy import save

    atomic_write_bytes(folder / f"step_{step:08d}.directions.safetensors", save(dirs))
    atomic_write_json(folder / step_name(step, "json"), {"step": step, **meta})
    atomic_write_bytes(folder / step_name(step, "onnx"), graph)
    thin(folder, keep, protect + (step,))
    return None


def _export(G: Any, latent_dim: Optional[int]) -> tuple[bytes, dict, dict]:
    import torch

    model = getattr(G, "module", G)  # DistributedDataParallel: the module inside
    if not isinstance(model, torch.nn.Module):
        raise ExportError(f"generator: expected a torch.nn.Module, got {type(G).__name__}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            cpu = copy.deepcopy(model).cpu().float().eval()
            d = latent_dim or getattr(cpu, "latent_dim", None) or _first_width(cpu)
            net, out = _net_for_flat_latents(cpu, int(d))
            meta = _describe(out, int(d))
            dirs = _directions(cpu, net, int(d))
            graph = _to_onnx(net, int(d))
    except ExportError:
        raise
    except Exception as e:  # the exporter's own errors: say which, in one line
        raise ExportError(f"{type(e).__name__}: {' '.join(str(e).split())[:300]}") from None
    finally:
        model.train(was_training)
    return graph, meta, dirs


def _first_width(model) -> int:
    """The latent size from the first layer that reads z: a Linear's inputs, a ConvTranspose2d's channels."""
    import torch

    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            return m.in_features
        if isinstance(m, torch.nn.ConvTranspose2d):
            return m.in_channels
    raise ExportError("generator: cannot tell its latent size from its layers; pass latent_dim=")


def _net_for_flat_latents(model, d: int):
    """(a module taking (batch, d), its output on two latents). A DCGAN-style generator that reads (N, d, 1, 1)
    is wrapped, so every exported graph takes the same input."""
    import torch

    z = torch.randn(2, d, generator=torch.Generator().manual_seed(0))
    try:
        return model, model(z)
    except Exception as flat:
        try:
            wrapped = _Unflatten(model, d)
            return wrapped, wrapped(z)
        except Exception:
            raise ExportError(f"generator: calling it on latents of shape (2, {d}) failed: "
                              f"{type(flat).__name__}: {' '.join(str(flat).split())[:200]}") from None


def _describe(out, d: int) -> dict:
    shape = tuple(out.shape[1:])
    if len(shape) == 3 and shape[0] in (1, 3):
        kind = "image"
    elif shape == (2,):
        kind = "points"
    else:
        raise ExportError(f"generator: its output per latent has shape {shape}: neither an image (C, H, W with C "
                          "1 or 3) nor a 2-D point")
    lo, hi = float(out.min()), float(out.max())
    nominal = [-1.0, 1.0] if lo >= -1 and hi <= 1 and lo < 0 else [0.0, 1.0] if lo >= 0 and hi <= 1 else [lo, hi]
    return {"latent_dim": d, "kind": kind, "output_shape": list(shape), "range": nominal, "opset": OPSET,
            "input": "z", "output": "x"}


def _directions(model, net, d: int) -> dict:
    """SeFa: the first layer's top right singular vectors; GANSpace: principal components of the first
    hidden activations, mapped back to z by least squares. Unit rows, (k, d), float32."""
    import torch

    first = next((m for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.ConvTranspose2d))), None)
    W = first.weight.detach().double()
    W = W if isinstance(first, torch.nn.Linear) else W.reshape(W.shape[0], -1).T  # (out, d)
    k = min(K_DIRECTIONS, d)
    out = {"sefa": torch.linalg.svd(W, full_matrices=False)[2][:k]}
    z = torch.randn(GANSPACE_SAMPLES, d, generator=torch.Generator().manual_seed(0))
    h = _hidden(model, net, z).double().flatten(1)
    hc = h - h.mean(0)
    Vh = torch.linalg.svd(hc, full_matrices=False)[2][:k]
    B = torch.linalg.lstsq(hc @ Vh.T, z.double()).solution  # (k, d)
    out["ganspace"] = B / B.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return {name: v.float().contiguous().numpy() for name, v in out.items()}


def _hidden(model, net, z):
    """The first hidden layer's activations: the model's own `hidden` if it has one, else the output of its
    first activation module (the first layer's own output, whose PCA is SeFa again, if it has none)."""
    import torch

    if hasattr(model, "hidden"):
        return model.hidden(z)
    acts = (torch.nn.ReLU, torch.nn.LeakyReLU, torch.nn.ELU, torch.nn.GELU, torch.nn.SiLU, torch.nn.Tanh)
    target = next((m for m in model.modules() if isinstance(m, acts)), None)
    target = target or next(m for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.ConvTranspose2d)))
    seen = []
    handle = target.register_forward_hook(lambda m, i, o: seen.append(o) if not seen else None)
    try:
        net(z)
    finally:
        handle.remove()
    return seen[0]


def _to_onnx(net, d: int) -> bytes:
    import torch

    z = torch.randn(2, d, generator=torch.Generator().manual_seed(1))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice, at every export
        try:
            torch.onnx.export(net, (z,), buf, input_names=["z"], output_names=["x"], opset_version=OPSET,
                              dynamic_axes={"z": {0: "batch"}, "x": {0: "batch"}}, dynamo=False)
            return buf.getvalue()
        except Exception as first:
            try:
                batch = torch.export.Dim("batch", min=1, max=1 << 20)
                program = torch.onnx.export(net, (z,), input_names=["z"], output_names=["x"], opset_version=OPSET,
                                            dynamic_shapes=({0: batch},), dynamo=True, verbose=False)
                return program.model_proto.SerializeToString()
            except Exception:
                raise first from None


def thin(folder: Path, keep: int, protect: tuple[int, ...]) -> None:
    """Keep the newest, the protected and evenly spread others: `keep` exports in all (with their sidecars)."""
    from .samples import thin_step_files

    before = {s for s, _ in step_files(folder, "onnx")}
    thin_step_files(folder, "onnx", keep, protect)
    for s in before - {s for s, _ in step_files(folder, "onnx")}:
        for p in sidecars(folder, s):
            unlink_quietly(p)


class _Unflatten:
    """Calls a generator that reads (N, d, 1, 1) with (N, d); a torch.nn.Module made on first use."""

    def __new__(cls, model, d: int):
        import torch

        class Unflatten(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.g = model

            def forward(self, z):
                return self.g(z.view(-1, d, 1, 1))

        return Unflatten()
