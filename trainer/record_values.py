"""Checks and conversions for what a Recorder is given: steps, column names, values, tensors.

No torch import: tensors are recognised by their attributes, and torch is imported
only to convert them (when a caller passed tensors, it is loaded already).
"""

from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

RESERVED = ("step", "time", "wall_time")  # set by the Recorder itself


def check_step(step: Any, last: Optional[int], what: str) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        if hasattr(step, "item") and getattr(step, "ndim", 1) == 0 and float(step.item()).is_integer():
            step = int(step.item())  # a 0-d integer tensor or numpy scalar
        else:
            raise TypeError(f"{what}: step must be a whole number, got {step!r}")
    step = int(step)
    if step < 0:
        raise ValueError(f"{what}: step must be 0 or more, got {step}")
    if last is not None and step < last:
        raise ValueError(f"{what}: step {step} is lower than the last one logged ({last}); steps must not go "
                         "backwards (the same step again replaces its row; to continue a run from an earlier "
                         "checkpoint, open it with resume=True and log from that step)")
    return step


def check_name(name: str, what: str) -> None:
    if not name.isidentifier() or name in RESERVED or name.startswith("__"):
        why = "is set by the Recorder" if name in RESERVED else "is not an identifier (letters, digits, _)"
        raise ValueError(f"{what}: column name {name!r} {why}")


def check_value(name: str, value: Any, what: str) -> None:
    """Numbers, None (missing) and one-element tensors or arrays are accepted; anything else is refused."""
    if value is None or isinstance(value, (numbers.Real, np.number)):
        return
    size = getattr(value, "numel", None)
    size = size() if callable(size) else getattr(value, "size", None)
    if size == 1 and hasattr(value, "dtype") and "str" not in str(value.dtype) and "<U" not in str(value.dtype):
        return
    raise TypeError(f"{what}: {name} must be a number or a one-element tensor or array, got "
                    f"{type(value).__name__}" + (f" of {size} elements" if size not in (None, 1) else ""))


def is_tensor(v: Any) -> bool:
    return hasattr(v, "detach") and hasattr(v, "device")


def tensors_to_floats(values: list) -> list[float]:
    """Many 0-d or one-element tensors as floats: one stack and one copy per device, not one sync each."""
    import torch  # only reached when the caller passed tensors, so torch is already imported

    out: list[float] = [0.0] * len(values)
    by_device: dict[Any, list[int]] = {}
    for i, v in enumerate(values):
        by_device.setdefault(v.device, []).append(i)
    for idx in by_device.values():
        stacked = torch.stack([values[i].detach().reshape(()).float() for i in idx]).cpu().tolist()
        for i, f in zip(idx, stacked):
            out[i] = f
    return out
