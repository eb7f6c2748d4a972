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
