"""One critic update and one generator update: the arithmetic the loop repeats.

Kept apart from the loop so a test can feed them the same batches, latents and
interpolation weights as a plain reference loop and compare the results.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .objectives import Objective


def critic_update(obj: Objective, D: nn.Module, opt: torch.optim.Optimizer, real: torch.Tensor,
                  fake: torch.Tensor, alpha: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, dict]:
    """(1) Update D once on a real batch and a detached fake batch; then the Lipschitz step."""
    loss, stats = obj.critic_loss(D, real, fake, alpha=alpha)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    obj.after_critic_step(D)
    return loss.detach(), stats


def generator_update(obj: Objective, G: nn.Module, D: nn.Module, opt: torch.optim.Optimizer,
                     z: torch.Tensor) -> torch.Tensor:
    """(2) Update G once. The critic is frozen meanwhile: no gradients are computed for its weights."""
    D.requires_grad_(False)
    try:
        loss = obj.generator_loss(D, G(z))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    finally:
        D.requires_grad_(True)
    return loss.detach()


# statistics a step writes, in this order, one row per generator step (the loop's metrics buffer)
DEVICE_STATS = ("w_estimate", "loss_d", "loss_g", "d_real", "d_fake", "gp", "grad_norm", "clip_frac")


class TrainStep:
    """One generator step: (1) n critic updates on fresh batches and detached fakes, (2) one generator update.

    The step's statistics go into a row of a device tensor and nothing is read back
    to the host, so the same code runs eagerly or captured whole as a CUDA graph
    (trainer/graphs.py). `D_train`/`G_train` are what backward passes go through
    (DDP under torchrun); `G` and `D` are the modules themselves.
    """

    def __init__(self, objective: Objective, data, G: nn.Module, D: nn.Module, G_train: nn.Module,
                 D_train: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                 batch_size: int, latent_dim: int, device: torch.device, memory_format=torch.contiguous_format):
        self.objective, self.data = objective, data
        self.G, self.D, self.G_train, self.D_train = G, D, G_train, D_train
        self.opt_g, self.opt_d = opt_g, opt_d
        self.batch_size, self.latent_dim, self.device = batch_size, latent_dim, device
        self.memory_format = memory_format
        self.nan = torch.tensor(float("nan"), device=device)

    def _noise(self) -> torch.Tensor:
        return torch.randn(self.batch_size, self.latent_dim, device=self.device)

    def __call__(self, n_critic: int, out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Train one generator step; its statistics (DEVICE_STATS) in `out` (or a new tensor), on the device."""
        for _ in range(n_critic):
            real = self.data.sample(self.batch_size)
            if real.dim() == 4:
                real = real.contiguous(memory_format=self.memory_format)
            with torch.no_grad():
                fake = self.G(self._noise())
            loss_d, stats = critic_update(self.objective, self.D_train, self.opt_d, real, fake)
        # through the frozen critic itself: its weights get no gradient (nor one to average under DDP)
        loss_g = generator_update(self.objective, self.G_train, self.D, self.opt_g, self._noise())
        row = [stats["w_estimate"], loss_d, loss_g, stats["d_real"], stats["d_fake"], stats["gp"],
               stats["grad_norm"], self.objective.clip_frac(self.D)]
        row = [v if isinstance(v, torch.Tensor) else self.nan for v in row]
        return torch.stack(row) if out is None else torch.stack(row, out=out)
