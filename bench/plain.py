"""A plain reference loop, written the way the published WGAN / WGAN-GP / DCGAN scripts write theirs.

Fresh tensors each step (numpy batches copied in), separate backward passes for the
real and fake terms, parameter clamping in a Python loop, and one host sync per
generator step (the loss logged with .item()). Same models (build_models), batch
size, critic steps and optimizer settings as the trainer: the benchmark's baseline,
and the reference the equivalence test holds the trainer's steps to.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import autograd

from wgan_watch import TrainConfig
from wgan_watch.data import embedded_digits, toy_centres
from wgan_watch.models import build_models
from wgan_watch.objectives import critic_iters_at


def plain_critic_step(cfg: TrainConfig, D, opt_d, real, fake, alpha=None) -> float:
    opt_d.zero_grad()
    if cfg.algo == "gan":
        out_r, out_f = D(real), D(fake)
        err_real = F.binary_cross_entropy_with_logits(out_r, torch.ones_like(out_r))
        err_real.backward()
        err_fake = F.binary_cross_entropy_with_logits(out_f, torch.zeros_like(out_f))
        err_fake.backward()
        loss = err_real + err_fake
    else:
        d_real = D(real).mean()
        (-d_real).backward()
        d_fake = D(fake).mean()
        d_fake.backward()
        loss = d_fake - d_real
        if cfg.algo == "wgan-gp":
            if alpha is None:
                alpha = torch.rand(real.size(0), *([1] * (real.dim() - 1)), device=real.device)
            x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            out = D(x_hat)
            grads = autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True,
                                  retain_graph=True)[0]
            gp = ((grads.view(grads.size(0), -1).norm(2, dim=1) - 1) ** 2).mean() * cfg.gp_lambda
            gp.backward()
            loss = loss + gp
    opt_d.step()
    if cfg.algo == "wgan":
        for p in D.parameters():
            p.data.clamp_(-cfg.clip, cfg.clip)
    return loss


def plain_generator_step(cfg: TrainConfig, G, D, opt_g, z):
    for p in D.parameters():
        p.requires_grad = False
    opt_g.zero_grad()
    out = D(G(z))
    if cfg.algo == "gan":
        loss = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
    else:
        loss = -out.mean()
    loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad = True
    return loss


def optimizers(cfg: TrainConfig, G, D):
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(G.parameters(), lr=cfg.lr_g), torch.optim.RMSprop(D.parameters(), lr=cfg.lr_d)
    return (torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas),
            torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas))


def plain_loop(cfg: TrainConfig, steps: int, device: str = "cpu") -> float:
    """Train `steps` generator steps; returns generator steps per second."""
    cfg = cfg.resolved()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    G, D = build_models(cfg)
    G, D = G.to(device), D.to(device)
    opt_g, opt_d = optimizers(cfg, G, D)
    if cfg.is_toy:
        centres = toy_centres(cfg.data).numpy()

        def batch():
            pts = centres[rng.integers(len(centres), size=cfg.batch_size)]
            return torch.from_numpy((pts + rng.normal(0, 0.02 / 1.414, pts.shape)).astype(np.float32)).to(device)
    else:
        images = (embedded_digits()[0].astype(np.float32) / 127.5 - 1)[:, None]

        def batch():
            return torch.from_numpy(images[rng.integers(len(images), size=cfg.batch_size)]).to(device)
    losses = []
    t0 = time.perf_counter()
    for step in range(steps):
        for _ in range(critic_iters_at(cfg, step)):
            real = batch()
            fake = G(torch.randn(cfg.batch_size, cfg.latent_dim, device=device)).detach()
            plain_critic_step(cfg, D, opt_d, real, fake)
        loss_g = plain_generator_step(cfg, G, D, opt_g, torch.randn(cfg.batch_size, cfg.latent_dim, device=device))
        losses.append(loss_g.item())  # the usual per-step log line: one host sync
    dt = time.perf_counter() - t0
    assert all(math.isfinite(v) for v in losses)
    return steps / dt
