"""The training process's surroundings: which device, which optimizer, where caches go,
and how a run is asked to stop (SIGINT, SIGTERM, control.json)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import torch

from .runs import runfiles
from .runs.runstatus import STOP_WITH_PARENT
from .config import ConfigError, TrainConfig

CONTROL_CHECK_S = 0.5  # control.json is looked at no more often than this


def cache_dir(run_dir: Path) -> Path:
    """Where trained helpers (the digit classifier) are kept: beside the runs, or $WGAN_WATCH_CACHE."""
    return Path(os.environ.get("WGAN_WATCH_CACHE") or run_dir.parent / ".cache")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but this torch sees no CUDA GPU (try --device auto)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("--device mps was asked for but MPS is not available here (try --device auto)")
    return torch.device(name)


def make_optimizer(cfg: TrainConfig, params, lr: float, capturable: bool = False) -> torch.optim.Optimizer:
    """The config's optimizer in its fastest form for where the parameters live.

    Measured with `python -m bench.step` on the 2-core CPU: fused Adam (one kernel per
    tensor) beat foreach by up to 10% on the toy MLP and 3% on the vanilla GAN's DCGAN;
    RMSprop has no fused form, and its foreach and per-tensor loop were within noise.
    `capturable` keeps the step count on the device, as CUDA graphs need.
    """
    params = list(params)
    device = params[0].device.type if params else "cpu"
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True, capturable=capturable)
    fused = device in ("cpu", "cuda")
    return torch.optim.Adam(params, lr=lr, betas=cfg.betas, fused=fused or None,
                            foreach=None if fused else True, capturable=capturable)


class StopFlag:
    """Set by SIGINT/SIGTERM or control.json, or when the study worker that started this run is gone (killed:
    the run stops at its next step with a checkpoint, and the worker started again resumes it); the loop ends
    at the next step."""

    def __init__(self, run_dir: Path):
        self.run_dir, self.reason = run_dir, None
        self._next_check, self._old = 0.0, {}
        parent = os.environ.get(STOP_WITH_PARENT, "")
        self._parent = int(parent) if parent.isdigit() and int(parent) == os.getppid() else None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _on_signal(self, signum, frame) -> None:
        self.reason = signal.Signals(signum).name

    def poll(self) -> bool:
        now = time.monotonic()
        if self.reason is None and now >= self._next_check:
            self._next_check = now + CONTROL_CHECK_S
            if runfiles.read_control(self.run_dir) == "stop":
                self.reason = "stop requested from control.json"
            elif self._parent is not None and os.getppid() != self._parent:
                self.reason = "its study worker is gone (it resumes this run when started again)"
        return self.reason is not None
