"""Checks and conversions for what a Recorder is given: steps, column names, values, tensors,
and the buffered rows turned into a table.

No torch import: tensors are recognised by their attributes, and torch is imported
only to convert them (when a caller passed tensors, it is loaded already).
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

RESERVED = ("step", "time", "wall_time")  # set by the Recorder itself
LOSS_COLUMNS = ("loss_d", "loss_g", "w_estimate")  # a NaN or inf passed here means the run diverged


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


def buffered_frame(steps: list[int], times: list[float], values: list[Optional[dict]], rows: list,
                   row_names: tuple[str, ...], t0: float, elapsed0: float,
                   reduce: Optional[Callable[[Any], Any]] = None) -> tuple[pd.DataFrame, Optional[tuple[int, str, float]]]:
    """A Recorder's buffered rows as a table, and the first (step, column, value) where a loss passed by the
    caller was not finite. `rows` holds 1-D tensors of `row_names` (or None); `values` dicts (or None)."""
    times_a = np.asarray(times)
    steps_a = np.asarray(steps, dtype=np.int64)
    cols: dict[str, Any] = {"step": steps_a, "time": times_a, "elapsed": times_a - t0 + elapsed0}
    given: dict[str, np.ndarray] = {}  # where a value was passed (a NaN there is the caller's)
    if any(r is not None for r in rows):
        for k, v in _row_columns(rows, row_names, reduce).items():
            cols[k] = v
            if k in ("loss_d", "loss_g"):  # a row's other statistics are NaN where they do not apply
                given[k] = np.array([r is not None for r in rows])
    names = list(dict.fromkeys(k for v in values if v for k in v))
    tensors: list = []
    for k in names:
        col = [np.nan if v is None or v.get(k) is None else v[k] for v in values]
        tensors += [(k, i, x) for i, x in enumerate(col) if is_tensor(x)]
        cols[k], given[k] = col, np.array([v is not None and v.get(k) is not None for v in values])
    for (k, i, _), f in zip(tensors, tensors_to_floats([t for _, _, t in tensors]) if tensors else []):
        cols[k][i] = f
    for k in names:
        cols[k] = np.asarray([x if isinstance(x, float) else float(x.item() if hasattr(x, "item") else x)
                              for x in cols[k]], dtype=np.float64)
    first = None
    for k in LOSS_COLUMNS:
        if k in given:
            bad = np.nonzero(given[k] & ~np.isfinite(cols[k]))[0]
            if len(bad) and (first is None or bad[0] < first[0]):
                first = (int(bad[0]), k)
    bad = None if first is None else (int(steps_a[first[0]]), first[1], float(cols[first[1]][first[0]]))
    return pd.DataFrame(cols), bad


def _row_columns(rows: list, names: tuple[str, ...], reduce) -> dict[str, np.ndarray]:
    import torch

    present = [r for r in rows if r is not None]
    device = present[0].device if is_tensor(present[0]) else torch.device("cpu")
    nan = torch.full((len(names),), float("nan"), device=device)
    stacked = torch.stack([nan if r is None else torch.as_tensor(r, device=device) for r in rows])
    if reduce is not None:
        stacked = reduce(stacked)  # under torchrun: the mean over ranks, in place
    vals = stacked.float().cpu().numpy().astype(np.float64)
    return {name: vals[:, j] for j, name in enumerate(names)}
