"""Generator and critic pairs, built from a resolved config.

2-D data: MLPs with three hidden layers (the WGAN-GP toy architecture).
Images: DCGAN-style pairs for 28, 32 and 64 pixels. The vanilla GAN uses the
same critic body as the WGANs (its output is read as a logit), so a comparison
between them isolates the objective.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import TrainConfig


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, width: int, out_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, width), nn.ReLU(True),  # (N, width)
            nn.Linear(width, width), nn.ReLU(True),       # (N, width)
            nn.Linear(width, width), nn.ReLU(True),       # (N, width)
            nn.Linear(width, out_dim),                    # (N, 2)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def hidden(self, z: torch.Tensor) -> torch.Tensor:
        """The first hidden layer's activations (for GANSpace directions)."""
        return self.net[:2](z)


class MLPCritic(nn.Module):
    def __init__(self, width: int, in_dim: int = 2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, width), nn.ReLU(True),  # (N, width)
            nn.Linear(width, width), nn.ReLU(True),   # (N, width)
            nn.Linear(width, width), nn.ReLU(True),   # (N, width)
            nn.Linear(width, 1),                      # (N, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)  # (N,)


def _n_up(image_size: int) -> tuple[int, int]:
    """(start side, number of 2x up-samplings): 28 = 7*2*2, 32 = 4*2^3, 64 = 4*2^4."""
    return {28: (7, 2), 32: (4, 3), 64: (4, 4)}[image_size]


def _critic_norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # layer norm over (C, H, W), per sample: safe for the penalty
    return nn.Identity()


class DCGenerator(nn.Module):
    def __init__(self, latent_dim: int, width: int, image_size: int, channels: int):
        super().__init__()
        self.latent_dim = latent_dim
        s0, n_up = _n_up(image_size)
        c = width * 2 ** (n_up - 1)
        self.s0, self.c0 = s0, c
        self.project = nn.Sequential(nn.Linear(latent_dim, c * s0 * s0), nn.BatchNorm1d(c * s0 * s0), nn.ReLU(True))
        layers: list[nn.Module] = []
        for _ in range(n_up - 1):
            # (N, c, s, s) -> (N, c/2, 2s, 2s)
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Tanh()]  # (N, channels, size, size)
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, self.c0, self.s0, self.s0)  # (N, c0, s0, s0)
        return self.net(h)

    def hidden(self, z: torch.Tensor) -> torch.Tensor:
        """The first hidden layer's activations (for GANSpace directions)."""
        return self.project(z)


class DCCritic(nn.Module):
    def __init__(self, width: int, image_size: int, channels: int, norm: str):
        super().__init__()
        s0, n_down = _n_up(image_size)
        c = width
        # (N, channels, size, size) -> (N, width, size/2, size/2); no norm on the input layer (DCGAN)
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(n_down - 1):
            # (N, c, s, s) -> (N, 2c, s/2, s/2)
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=norm == "none"), _critic_norm(norm, 2 * c),
                       nn.LeakyReLU(0.2, True)]
            c *= 2
        self.net = nn.Sequential(*layers)
        self.out = nn.Linear(c * s0 * s0, 1)  # (N, c*s0*s0) -> (N, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(x).flatten(1)).squeeze(1)  # (N,)


def build_models(cfg: TrainConfig) -> tuple[nn.Module, nn.Module]:
    """(generator, critic) for a config; exactly the modules `train()` uses. Weights follow torch's seed."""
    cfg = cfg.resolved()
    if cfg.is_toy:
        return MLPGenerator(cfg.latent_dim, cfg.width), MLPCritic(cfg.width)
    G = DCGenerator(cfg.latent_dim, cfg.width, cfg.image_size, cfg.channels)
    D = DCCritic(cfg.width, cfg.image_size, cfg.channels, cfg.critic_norm)
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)  # DCGAN init
    return G, D
