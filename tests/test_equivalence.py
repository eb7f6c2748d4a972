"""The trainer's steps compute exactly what a plain reference loop computes (so speed work
cannot quietly change the algorithm): same batches, latents and interpolation weights in,
same losses and parameter updates out."""

import copy

import pytest
import torch

from bench.plain import optimizers, plain_critic_step, plain_generator_step
from wgan_watch import TrainConfig
from wgan_watch.runtime import make_optimizer
from wgan_watch.models import build_models
from wgan_watch.objectives import build_objective
from wgan_watch.steps import critic_update, generator_update


def assert_same_update(p: torch.Tensor, q: torch.Tensor, lr: float) -> None:
    """Adam divides by sqrt(v): where a gradient is at rounding level (|g| near eps), a last-bit
    difference moves that weight by up to two learning-rate steps (a sign flip). So: no weight more than
    two steps apart, and all but a handful (0.5%) within a tenth of a step."""
    diff = (p - q).abs()
    assert diff.max() <= 2 * lr * (1 + 1e-3), (diff.max(), lr)
    assert (diff > 0.1 * lr).float().mean() <= 0.005, ((diff > 0.1 * lr).sum(), diff.numel())


@pytest.mark.parametrize("data", ["gaussians8", "digits", "digits-layer-norm"])
@pytest.mark.parametrize("algo", ["wgan", "wgan-gp", "gan"])
def test_one_critic_and_one_generator_step_match_the_plain_loop(algo, data):
    """Batch-norm critics (wgan/gan on digits) see real and fake apart; the others see them in one pass."""
    norm = "layer" if data == "digits-layer-norm" else None
    data = data.replace("-layer-norm", "")
    cfg = TrainConfig(algo=algo, data=data, width=8 if data == "digits" else 32, batch_size=16,
                      critic_norm=norm).resolved()
    assert build_objective(cfg).joint == (cfg.critic_norm != "batch")
    torch.manual_seed(0)
    G, D = build_models(cfg)
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    shape = (16, 2) if cfg.is_toy else (16, 1, 28, 28)
    real = torch.randn(shape).clamp(-1, 1)
    z1, z2 = torch.randn(16, cfg.latent_dim), torch.randn(16, cfg.latent_dim)
    alpha = torch.rand(16, *([1] * (len(shape) - 1)))
    obj = build_objective(cfg)
    opt_g, opt_d = make_optimizer(cfg, G.parameters(), cfg.lr_g), make_optimizer(cfg, D.parameters(), cfg.lr_d)
    ref_g, ref_d = optimizers(cfg, G2, D2)
    for _ in range(3):  # a few steps, so optimizer state (momentum) is compared too
        with torch.no_grad():
            fake, fake2 = G(z1), G2(z1)
        loss_d, _ = critic_update(obj, D, opt_d, real, fake, alpha=alpha)
        ref_loss_d = plain_critic_step(cfg, D2, ref_d, real, fake2, alpha=alpha)
        torch.testing.assert_close(loss_d, ref_loss_d.detach(), rtol=1e-5, atol=1e-6)
        for p, q in zip(D.parameters(), D2.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6)
            assert_same_update(p, q, cfg.lr_d)
        loss_g = generator_update(obj, G, D, opt_g, z2)
        ref_loss_g = plain_generator_step(cfg, G2, D2, ref_g, z2)
        torch.testing.assert_close(loss_g, ref_loss_g.detach(), rtol=1e-5, atol=1e-6)
        for p, q in zip(G.parameters(), G2.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6)
            assert_same_update(p, q, cfg.lr_g)
    for b, c in zip(list(G.buffers()) + list(D.buffers()), list(G2.buffers()) + list(D2.buffers())):
        torch.testing.assert_close(b, c, rtol=1e-4, atol=1e-5)  # batch-norm running statistics
    assert all(p.grad is None or p.requires_grad for p in D.parameters())
