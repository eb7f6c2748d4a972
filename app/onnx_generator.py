"""A run's exported generator, run by onnxruntime: read as bytes with a size cap, checked for what the lab
can drive (one float input [batch, latent]; an image (C, H, W) or 2-D point output), and nothing else.

An ONNX file is data: onnxruntime builds the graph from it and runs its operators, it imports no code of the
run's. Loaded from bytes, a graph that refers to external data (weights in another file) is refused, so
nothing but this one file is ever read. The dashboard imports no torch: it never unpickles anything, nor
loads a TorchScript or torch.export archive (both run code when loaded). No Streamlit here (app/lab.py caches
the sessions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

MAX_BYTES = 256 << 20  # a 64x64 DCGAN generator is ~15 MB; anything this large is not a generator to demo


class GeneratorError(ValueError):
    """Why the lab cannot run a file (one line)."""


@dataclass
class Generator:
    session: Any
    input: str
    latent_dim: int
    kind: str  # image | points
    output_shape: tuple
    value_range: Sequence[float] = (-1.0, 1.0)
    batch: int | None = None  # a graph exported with a fixed batch size runs in chunks of it

    def __call__(self, z: np.ndarray) -> np.ndarray:
        z = np.ascontiguousarray(z, dtype=np.float32)
        if self.batch is None or len(z) == self.batch:
            return self.session.run(None, {self.input: z})[0]
        pad = -len(z) % self.batch
        chunks = np.concatenate([z, np.zeros((pad, z.shape[1]), np.float32)]).reshape(-1, self.batch, z.shape[1])
        return np.concatenate([self.session.run(None, {self.input: c})[0] for c in chunks])[: len(z)]


def open_generator(path: Path, value_range: Sequence[float] = (-1.0, 1.0), threads: int = 1) -> Generator:
    """A session for the ONNX file at `path`, or GeneratorError saying why not."""
    import onnxruntime as ort

    size = path.stat().st_size
    if size > MAX_BYTES:
        raise GeneratorError(f"{path.name} is {size / 2**20:,.0f} MiB, over the lab's cap of "
                             f"{MAX_BYTES >> 20} MiB: the lab does not load it")
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # small generators: one thread wakes faster than a pool
    options.inter_op_num_threads = 1
    options.log_severity_level = 4
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as e:
        text = " ".join(str(e).split())
        if "external" in text.lower():
            raise GeneratorError(f"{path.name} refers to external data (weights in another file), which the lab "
                                 "does not read: export the generator as one file") from None
        raise GeneratorError(f"{path.name} is not a graph onnxruntime can load: {text[:200]}") from None
    return _checked(session, path.name, value_range)


def _checked(session, name: str, value_range: Sequence[float]) -> Generator:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    shapes = ", ".join(f"{i.name} {i.type} {i.shape}" for i in inputs)
    if len(inputs) != 1 or inputs[0].type != "tensor(float)" or len(inputs[0].shape) != 2 \
            or not isinstance(inputs[0].shape[1], int) or inputs[0].shape[1] < 1:
        raise GeneratorError(f"{name} must take one float input [batch, latent]; it takes {shapes or 'none'}")
    if not outputs or outputs[0].type != "tensor(float)":
        raise GeneratorError(f"{name} must give a float output; it gives "
                             f"{', '.join(o.type for o in outputs) or 'none'}")
    out = outputs[0].shape
    if len(out) == 4 and out[1] in (1, 3):
        kind = "image"
    elif len(out) == 2 and out[1] == 2:
        kind = "points"
    else:
        raise GeneratorError(f"{name} gives {out}: neither images [batch, 1 or 3, H, W] nor 2-D points [batch, 2]")
    batch = inputs[0].shape[0] if isinstance(inputs[0].shape[0], int) and inputs[0].shape[0] > 0 else None
    return Generator(session, inputs[0].name, int(inputs[0].shape[1]), kind, tuple(out[1:]), tuple(value_range),
                     batch)
