"""Data-parallel training under torchrun: one process per device, gradients averaged by DDP.

    torchrun --nproc_per_node=N -m trainer --algo wgan-gp --data digits ...

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them (a plain `python -m
trainer`) everything here is a no-op and the loop runs as one process. Each
process draws its own batches (its own seed), so `batch_size` is per process and
one step sees N x batch_size samples. Only rank 0 touches the run folder; the
others learn its path from rank 0 and send their statistics there at each flush.

The ranks agree on everything that changes control flow (stop, time-based flush)
at sync points every SYNC_EVERY steps, so no rank waits on a collective that
another rank skipped.
"""

from __future__ import annotations

import gc
import inspect
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from .config import ConfigError
from .runtime import pick_device

SYNC_EVERY = 20  # steps between the ranks' agreements on stop and flush


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local: int = 0

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes the run folder, evaluates and logs."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def ranks_from_env(env: dict | None = None) -> Ranks:
    """The process's place in a torchrun job (rank 0 of 1 when not started by torchrun)."""
    env = os.environ if env is None else env
    try:
        return Ranks(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))
    except ValueError as e:
        raise ConfigError(f"RANK, WORLD_SIZE and LOCAL_RANK must be integers ({e})") from None


def setup(ranks: Ranks, device_name: str) -> torch.device:
    """Pick this process's device and, under torchrun, join the process group (NCCL on GPUs, gloo on the CPU)."""
    if not ranks.enabled:
        return pick_device(device_name)
    if device_name == "mps":
        raise ConfigError("data-parallel training runs on CUDA GPUs or the CPU, not on MPS")
    use_cuda = device_name == "cuda" or (device_name == "auto" and torch.cuda.is_available())
    if use_cuda:
        pick_device("cuda")  # one clear line if there is no GPU
        if ranks.local >= torch.cuda.device_count():
            raise ConfigError(f"local rank {ranks.local} has no GPU: this machine has {torch.cuda.device_count()}; "
                              f"use --nproc_per_node={torch.cuda.device_count()} or fewer")
        device = torch.device("cuda", ranks.local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return device


def shutdown(together: bool) -> None:
    """Leave the process group; `together` (a clean end on every rank) waits for the others first,
    since a rank that tears its connections down under a slower one can abort it.

    DDP wrappers that are gone but sit in reference cycles still hold the group through
    their reducers; then destroy_process_group only drops its own reference, and gloo's
    threads are torn down at interpreter exit, which aborted ~1 in 10 two-process runs
    ("terminate called without an active exception"). Collecting them first lets
    destroy_process_group really shut the group down.
    """
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        if together:
            dist.barrier()
        dist.destroy_process_group()


_NO_BUFFER_SYNC = ({"forward_sync_buffers": False}
                   if "forward_sync_buffers" in inspect.signature(nn.parallel.DistributedDataParallel).parameters
                   else {"broadcast_buffers": False})


def wrap(module: nn.Module, ranks: Ranks, device: torch.device) -> nn.Module:
    """The module as the optimizer's backward pass should see it: DDP under torchrun, itself otherwise.

    DDP copies rank 0's weights to every rank here, then averages gradients in
    backward. Batch-norm statistics stay per rank (as without SyncBatchNorm);
    rank 0's are the ones saved. Forward passes that must not reduce gradients
    (the frozen critic in the generator step, no-grad sampling) use the module itself.
    """
    if not ranks.enabled:
        return module
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids, **_NO_BUFFER_SYNC)


def mean_over_ranks_(t: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """Average `t` over the ranks, in place (a no-op for one process)."""
    if ranks.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        t.div_(ranks.world)
    return t


def any_rank(flags: list[bool], ranks: Ranks, device: torch.device) -> list[bool]:
    """Element-wise OR of `flags` over the ranks: what the ranks agree to do."""
    if not ranks.enabled:
        return flags
    t = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def from_main(obj: Any, ranks: Ranks) -> Any:
    """Rank 0's `obj`, on every rank (pickled; for small things: a path, a checkpoint)."""
    if not ranks.enabled:
        return obj
    box = [obj if ranks.main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_to_main(obj: Any, ranks: Ranks) -> Any:
    """Every rank's `obj` as a list on rank 0 (None on the others); [obj] for one process."""
    if not ranks.enabled:
        return [obj]
    out = [None] * ranks.world if ranks.main else None
    dist.gather_object(obj, out, dst=0)
    return out
