"""What a run trains: the networks, their optimizers, the objective, the fixed noise and the step.

Built once from a resolved config (`Training.build`), saved to and restored from
checkpoints/last.pt, and stepped by the loop: `stats = training.step(n_critic)`
runs n critic updates and one generator update and returns the step's statistics
(DEVICE_STATS) as one tensor on the device, without a host sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn

from . import artifacts, distributed
from .config import TrainConfig
from .distributed import Ranks
from .graphs import graphs_unavailable, make_step
from .models import build_models
from .objectives import Objective, build_objective
from .runtime import make_optimizer
from .steps import DEVICE_STATS, TrainStep

LR_FLOOR = 0.1  # where a learning-rate decay ends, as a share of the configured rate


@dataclass
class Training:
    cfg: TrainConfig
    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    objective: Objective
    fixed_noise: torch.Tensor  # the same latents in every sample grid, so grids compare across steps
    step: Callable[[int], torch.Tensor]  # n_critic -> the step's DEVICE_STATS, on the device

    @classmethod
    def build(cls, cfg: TrainConfig, device: torch.device, data, ranks: Ranks) -> "Training":
        if device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True  # TF32 for the matmuls: fine for GAN training
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        G, D = build_models(cfg)
        # channels-last (NHWC) convolutions: what cuDNN's fastest kernels want, and on the CPU the
        # default digits step ran 3-14% faster with them (python -m bench.step --layouts)
        channels_last = cfg.channels_last is not False and not cfg.is_toy
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        G, D = G.to(device, memory_format=memory_format), D.to(device, memory_format=memory_format)
        graphs = cfg.cuda_graphs and graphs_unavailable(device, data, ranks.enabled, cfg.lr_decay_steps) is None
        opt_g = make_optimizer(cfg, G.parameters(), cfg.lr_g, capturable=graphs)
        opt_d = make_optimizer(cfg, D.parameters(), cfg.lr_d, capturable=graphs)
        objective = build_objective(cfg)
        fixed_noise = torch.randn(64 if not cfg.is_toy else 512, cfg.latent_dim,
                                  generator=torch.Generator().manual_seed(cfg.seed + 1)).to(device)
        # what backward passes through: DDP under torchrun (gradients averaged), the modules themselves otherwise
        G_train, D_train = distributed.wrap(G, ranks, device), distributed.wrap(D, ranks, device)
        one = TrainStep(objective, data, G, D, G_train, D_train, opt_g, opt_d, cfg.batch_size, cfg.latent_dim,
                        device, memory_format)
        step = make_step(one, cfg.cuda_graphs, data, ranks.enabled, cfg.lr_decay_steps)
        return cls(cfg, G, D, opt_g, opt_d, objective, fixed_noise, step)

    def set_learning_rates(self, step: int) -> None:
        """Linear decay to LR_FLOOR of the configured rates over cfg.lr_decay_steps, then constant."""
        if not self.cfg.lr_decay_steps:
            return
        factor = max(LR_FLOOR, 1.0 - step / self.cfg.lr_decay_steps)
        for opt, lr in ((self.opt_g, self.cfg.lr_g), (self.opt_d, self.cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * factor

    def restore(self, run_dir: Path, resume: bool, ranks: Ranks) -> tuple[int, float]:
        """Load checkpoints/last.pt on a resume (rank 0 reads it, every rank loads it): (step, elapsed seconds)."""
        ckpt = distributed.from_main(artifacts.load_checkpoint(run_dir) if resume and ranks.main else None, ranks)
        start, elapsed = 0, 0.0
        if ckpt is not None:
            self.G.load_state_dict(ckpt["G"])
            self.D.load_state_dict(ckpt["D"])
            self.opt_g.load_state_dict(ckpt["opt_g"])
            self.opt_d.load_state_dict(ckpt["opt_d"])
            self.fixed_noise = ckpt["fixed_noise"].to(self.fixed_noise.device)
            if ranks.main:
                artifacts.restore_rng(ckpt)
            start, elapsed = int(ckpt["step"]), float(ckpt["elapsed"])
        if not ranks.main:  # every rank draws its own batches: from where it was at the checkpoint
            states = (ckpt or {}).get("rng_ranks") or []
            if len(states) == ranks.world:
                torch.set_rng_state(states[ranks.rank])
            else:  # a checkpoint from before ranks' RNG was kept, or a new run
                torch.manual_seed(self.cfg.seed + 7919 * ranks.rank + start)
        return start, elapsed

    def checkpoint(self, run_dir: Path, step: int, elapsed: float, rng_ranks: Optional[list] = None) -> None:
        """checkpoints/last.pt; `rng_ranks`: every torchrun rank's RNG state (distributed.gather_to_main)."""
        artifacts.save_checkpoint(run_dir, step=step, elapsed=elapsed, G=self.G, D=self.D, opt_g=self.opt_g,
                                  opt_d=self.opt_d, fixed_noise=self.fixed_noise,
                                  **({"rng_ranks": rng_ranks} if rng_ranks and len(rng_ranks) > 1 else {}))

    def snapshot(self, run_dir: Path, step: int, keep: Optional[int] = None, protect: tuple[int, ...] = ()) -> None:
        artifacts.save_snapshot(run_dir, step, self.G, keep or self.cfg.max_snapshots, protect)

    @torch.no_grad()
    def write_samples(self, rec, step: int, real: torch.Tensor) -> None:
        """The fixed-noise grid (images), or the points over the critic's map (2-D), through the Recorder."""
        G, D = self.G, self.D
        G.eval()
        try:
            fake = G(self.fixed_noise)
            if not self.cfg.is_toy:
                rec.images(step, fake)
                return
            D.eval()
            device = self.fixed_noise.device
            rec.points(step, real[: len(fake)], fake,
                       critic=lambda p: D(torch.as_tensor(p, device=device)).float().cpu().numpy())
        finally:
            G.train()
            D.train()

