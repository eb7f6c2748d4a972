import math

import pytest
import torch
from torch import nn

from wgan_watch import TrainConfig
from wgan_watch.models import build_models
from wgan_watch.objectives import VanillaGAN, WGANClip, WGANGP, critic_iters_at, gradient_penalty


class Linear2(nn.Module):
    def __init__(self, w, b=0.3):
        super().__init__()
        self.lin = nn.Linear(len(w), 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([w]))
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x).squeeze(1)


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.6, 0.8], [0.1, -0.2]])
def test_gradient_penalty_of_a_linear_critic_is_analytic(w):
    D = Linear2(w)
    x_hat = torch.randn(64, 2)
    gp, norm = gradient_penalty(D, x_hat)
    expected = (math.hypot(*w) - 1) ** 2  # grad_x(w.x + b) = w everywhere
    assert gp.item() == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert norm.item() == pytest.approx(math.hypot(*w), rel=1e-5)


def test_wgan_gp_loss_is_estimate_plus_penalty():
    torch.manual_seed(0)
    D = Linear2([3.0, 4.0])
    real, fake = torch.randn(32, 2), torch.randn(32, 2) + 1
    loss, stats = WGANGP(gp_lambda=10.0).critic_loss(D, real, fake)
    w = (D(real).mean() - D(fake).mean()).item()
    assert stats["w_estimate"].item() == pytest.approx(w, rel=1e-5)
    assert loss.item() == pytest.approx(-w + 10.0 * 16.0, rel=1e-5)
    assert stats["gp"].item() == pytest.approx(16.0, rel=1e-5)


def test_wgan_critic_step_leaves_every_weight_within_clip():
    cfg = TrainConfig(algo="wgan", data="digits", width=8).resolved()
    _, D = build_models(cfg)
    obj = WGANClip(cfg.clip)
    opt = torch.optim.RMSprop(D.parameters(), lr=0.5)  # a huge step pushes weights far past the clip
    x = torch.randn(8, 1, 28, 28)
    loss, _ = obj.critic_loss(D, x, torch.randn(8, 1, 28, 28))
    loss.backward()
    opt.step()
    assert max(p.abs().max().item() for p in D.parameters()) > cfg.clip
    obj.after_critic_step(D)
    assert max(p.abs().max().item() for p in D.parameters()) <= cfg.clip
    assert 0.0 < obj.clip_frac(D).item() <= 1.0


def test_vanilla_gan_losses_are_bce_with_logits():
    D = Linear2([1.0, -1.0])
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    loss, stats = VanillaGAN().critic_loss(D, real, fake)
    bce = nn.functional.binary_cross_entropy_with_logits
    expected = bce(D(real), torch.ones(16)) + bce(D(fake), torch.zeros(16))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert VanillaGAN().generator_loss(D, fake).item() == pytest.approx(bce(D(fake), torch.ones(16)).item(), rel=1e-6)
    assert math.isnan(stats["w_estimate"])


def test_wgan_warm_up_schedule():
    c = TrainConfig(algo="wgan").resolved()
    iters = [critic_iters_at(c, s) for s in range(1001)]
    assert iters[:25] == [100] * 25 and iters[25] == 5 and iters[499] == 5
    assert iters[500] == 100 and iters[1000] == 100
    g = TrainConfig(algo="wgan-gp").resolved()
    assert {critic_iters_at(g, s) for s in range(600)} == {5}


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_models_have_the_right_shapes(size, channels):
    cfg = TrainConfig(data="digits", image_size=size, channels=channels, width=8)
    G, D = build_models(cfg)
    x = G(torch.randn(4, G.latent_dim))
    assert x.shape == (4, channels, size, size)
    assert D(x).shape == (4,)
