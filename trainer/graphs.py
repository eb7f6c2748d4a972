"""Generator steps replayed as CUDA graphs: one launch instead of about a thousand.

A small GAN's step on a fast GPU is launch-bound: the eager step issues some
thousand kernels for under 2 ms of arithmetic. TrainStep never syncs with the host
and samples its batches on the device, so a whole step (critic updates with the
gradient penalty's double backward, generator update, optimizer steps, clipping,
statistics) can be captured once and replayed. One graph per critic-iteration count
(WGAN's warm-up steps use more); each gets a few eager warm-up steps first (cuDNN
autotuning, allocator), as torch.cuda.graphs' documentation prescribes.

Used only on CUDA, in one process, with device-resident data and optimizers built
with capturable=True; everywhere else `make_step` returns the eager step. A capture
that fails is logged and the run continues eagerly.
"""

from __future__ import annotations

import logging
from typing import Callable

import torch

from .steps import DEVICE_STATS, TrainStep

log = logging.getLogger("trainer")

WARMUP_STEPS = 3  # eager steps before a count's capture


def graphs_unavailable(device: torch.device, data, distributed: bool, lr_decay_steps: int = 0) -> str | None:
    """Why this run cannot use CUDA graphs (None: it can)."""
    if device.type != "cuda":
        return f"CUDA graphs need a CUDA device (this run is on {device.type})"
    if distributed:
        return "CUDA graphs are not used under torchrun (DDP's gradient hooks are not captured)"
    if getattr(data, "streams", False):
        return "CUDA graphs need the data on the GPU; this image folder is streamed from disk"
    if lr_decay_steps:
        return "CUDA graphs are not used with a learning-rate decay (--lr-decay-steps 0 turns it off)"
    return None


class GraphedStep:
    """Call like TrainStep: `stats = step(n_critic)`; replays a CUDA graph for known counts."""

    def __init__(self, step: TrainStep):
        self.step = step
        self.out = torch.full((len(DEVICE_STATS),), float("nan"), device=step.device)
        self.graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self.eager_runs: dict[int, int] = {}
        self.failed = False

    def __call__(self, n_critic: int, out: torch.Tensor | None = None) -> torch.Tensor:
        out = torch.empty_like(self.out) if out is None else out
        graph = self.graphs.get(n_critic)
        if graph is None and not self.failed:
            seen = self.eager_runs[n_critic] = self.eager_runs.get(n_critic, 0) + 1
            if seen > WARMUP_STEPS:
                graph = self._capture(n_critic)
        if graph is None:
            self._side_stream(lambda: self.step(n_critic, out))
            return out
        graph.replay()
        return out.copy_(self.out)

    @staticmethod
    def _side_stream(fn: Callable[[], None]) -> None:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            fn()
        torch.cuda.current_stream().wait_stream(side)

    def _capture(self, n_critic: int) -> torch.cuda.CUDAGraph | None:
        graph = torch.cuda.CUDAGraph()
        try:
            self.step.opt_d.zero_grad(set_to_none=True)
            self.step.opt_g.zero_grad(set_to_none=True)
            with torch.cuda.graph(graph):
                self.step(n_critic, self.out)
        except Exception as e:  # noqa: BLE001  (any capture failure: carry on eagerly)
            log.warning("CUDA graph capture failed (%s: %s); training continues with eager steps",
                        type(e).__name__, e)
            self.failed = True
            torch.cuda.synchronize()
            return None
        log.info("captured the %d-critic-step generator step as a CUDA graph", n_critic)
        self.graphs[n_critic] = graph
        return graph


def make_step(step: TrainStep, want_graphs: bool, data, distributed: bool,
              lr_decay_steps: int = 0) -> Callable[..., torch.Tensor]:
    """The step the loop calls: graphed where asked for and possible, eager otherwise (with the reason logged)."""
    if not want_graphs:
        return step
    why_not = graphs_unavailable(step.device, data, distributed, lr_decay_steps)
    if why_not:
        log.info("%s; training with eager steps", why_not)
        return step
    return GraphedStep(step)
