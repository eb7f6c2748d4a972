"""One small object per algorithm: its critic loss, generator loss and Lipschitz step.

Every statistic returned stays a detached tensor on the device; the loop stacks
them into its metrics buffer and only copies them to the host at flush time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import TrainConfig

NAN = float("nan")


class Objective:
    """Base: the WGAN critic loss E[D(G(z))] - E[D(x)] and generator loss -E[D(G(z))].

    `joint`: the critic has no batch norm, so each sample's output is independent of
    the rest of its batch and one forward over real and fake together is the same
    function as two, in half the launches. With batch norm (the default for WGAN
    and the GAN on images) real and fake batches must go through separately, each
    normalised by its own statistics, as in the papers' code.
    """

    name = "wgan"
    has_estimate = True  # the critic's outputs estimate a Wasserstein distance
    joint = False

    def critic_outputs(self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(D(real), D(fake)), in one forward pass when `joint`."""
        if not self.joint:
            return D(real), D(fake)
        out = D(torch.cat([real, fake]))
        return out[: real.shape[0]], out[real.shape[0]:]

    def critic_loss(self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                    alpha: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
        """(loss, detached statistics). `alpha`: WGAN-GP's interpolation weights (drawn if None)."""
        d_real, d_fake = self.critic_outputs(D, real, fake)
        loss = d_fake.mean() - d_real.mean()
        return loss, self._stats(d_real, d_fake)

    def generator_loss(self, D: nn.Module, fake: torch.Tensor) -> torch.Tensor:
        return -D(fake).mean()

    def after_critic_step(self, D: nn.Module) -> None:
        """Called after each critic optimizer step (weight clipping lives here)."""

    def clip_frac(self, D: nn.Module) -> torch.Tensor | float:
        return NAN

    def _stats(self, d_real: torch.Tensor, d_fake: torch.Tensor, gp=NAN, grad_norm=NAN) -> dict:
        r, f = d_real.detach().mean(), d_fake.detach().mean()
        return {"w_estimate": r - f if self.has_estimate else NAN, "d_real": r, "d_fake": f,
                "gp": gp, "grad_norm": grad_norm}


class WGANClip(Objective):
    """WGAN (Arjovsky et al. 2017): the critic's weights are clipped to [-c, c] after each step."""

    name = "wgan"

    def __init__(self, clip: float, joint: bool = False):
        self.clip, self.joint = clip, joint
        self._params: list[torch.Tensor] | None = None

    def after_critic_step(self, D: nn.Module) -> None:
        if self._params is None:
            self._params = [p for p in D.parameters()]
        with torch.no_grad():
            # one fused launch for all tensors instead of a Python loop of clamp_
            torch._foreach_clamp_min_(self._params, -self.clip)
            torch._foreach_clamp_max_(self._params, self.clip)

    def clip_frac(self, D: nn.Module) -> torch.Tensor:
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(-1) for p in D.parameters()])
            # a weight "sits at the clip" within float rounding of +-c
            return (flat.abs() >= self.clip * (1 - 1e-6)).float().mean()


def gradient_penalty(D: nn.Module, x_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(E[(||grad_x D(x_hat)|| - 1)^2], mean ||grad||), differentiable for the critic's update."""
    x_hat = x_hat.requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(2, dim=1)
    return ((norm - 1) ** 2).mean(), norm.detach().mean()


class WGANGP(Objective):
    """WGAN-GP (Gulrajani et al. 2017): penalty on random interpolates between real and fake."""

    name = "wgan-gp"
    joint = True  # the config refuses batch norm here: the penalty is per sample

    def __init__(self, gp_lambda: float):
        self.gp_lambda = gp_lambda

    def critic_loss(self, D, real, fake, alpha=None):
        n = real.shape[0]
        if alpha is None:
            alpha = torch.rand(n, *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
        x_hat = torch.lerp(fake, real, alpha)  # alpha*real + (1-alpha)*fake
        d_real, d_fake = self.critic_outputs(D, real, fake)
        gp, grad_norm = gradient_penalty(D, x_hat)
        loss = d_fake.mean() - d_real.mean() + self.gp_lambda * gp
        return loss, self._stats(d_real, d_fake, gp.detach(), grad_norm)


class VanillaGAN(Objective):
    """The baseline: BCE with logits for the discriminator, the non-saturating generator loss."""

    name = "gan"
    has_estimate = False

    def __init__(self, joint: bool = False):
        self.joint = joint

    def critic_loss(self, D, real, fake, alpha=None):
        d_real, d_fake = self.critic_outputs(D, real, fake)
        # BCE(d_real, 1) + BCE(d_fake, 0), written with softplus: log(1+e^-x) and log(1+e^x)
        loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        return loss, self._stats(d_real, d_fake)

    def generator_loss(self, D, fake):
        return F.softplus(-D(fake)).mean()  # -log sigmoid(D(G(z))): non-saturating


def build_objective(cfg: TrainConfig) -> Objective:
    cfg = cfg.resolved()
    joint = cfg.critic_norm != "batch"
    if cfg.algo == "wgan":
        return WGANClip(cfg.clip, joint)
    if cfg.algo == "wgan-gp":
        return WGANGP(cfg.gp_lambda)
    return VanillaGAN(joint)


def critic_iters_at(cfg: TrainConfig, step: int) -> int:
    """Critic updates before generator step `step` (0-based): the WGAN paper's warm-up schedule."""
    warm = step < cfg.warmup_steps or (cfg.warmup_every > 0 and step % cfg.warmup_every == 0)
    return cfg.n_critic_warmup if warm else cfg.n_critic

