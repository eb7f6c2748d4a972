"""A WGAN-GP training script of one's own (models, data and loop), watched by WGAN Watch.

    python examples/wgan_gp_8gaussians.py --steps 2000 --run-dir runs/my-wgan-gp
    streamlit run app/main.py          # the run appears on the Runs page, live

Nothing here comes from this project's trainer except the Recorder calls marked "# <-".
"""

import argparse

import numpy as np
import ot  # POT: the exact earth-mover distance, as an independent quality measure
import torch
from torch import nn

from wgan_watch import Recorder

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=2000)
p.add_argument("--batch-size", type=int, default=256)
p.add_argument("--lr", type=float, default=1e-4)
p.add_argument("--critic-iters", type=int, default=5)
p.add_argument("--gp-lambda", type=float, default=0.1)
p.add_argument("--run-dir", default="runs/example-wgan-gp-8gaussians")
args = p.parse_args()
torch.manual_seed(0)

centres = torch.tensor([[np.cos(a), np.sin(a)] for a in np.arange(8) * np.pi / 4], dtype=torch.float32) * 2 / 1.414


def real_batch(n: int) -> torch.Tensor:
    return centres[torch.randint(8, (n,))] + 0.02 * torch.randn(n, 2) / 1.414


def mlp(n_in: int, n_out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(n_in, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, n_out))


G, D = mlp(2, 2), mlp(2, 1)
opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.9))

with Recorder(args.run_dir, algo="wgan-gp", data="8 gaussians (own script)", steps=args.steps,  # <-
              config=vars(args)) as rec:
    for step in range(1, args.steps + 1):
        for _ in range(args.critic_iters):  # (1) the critic
            real, fake = real_batch(args.batch_size), G(torch.randn(args.batch_size, 2)).detach()
            alpha = torch.rand(args.batch_size, 1)
            x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            grad, = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
            gp = ((grad.norm(2, dim=1) - 1) ** 2).mean()
            w = D(real).mean() - D(fake).mean()
            loss_d = -w + args.gp_lambda * gp
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        loss_g = -D(G(torch.randn(args.batch_size, 2))).mean()  # (2) the generator
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        rec.log(step, w_estimate=w, loss_d=loss_d, loss_g=loss_g, gp=gp)  # <- tensors are fine
        if step % 100 == 0 or step == args.steps:
            with torch.no_grad():
                real, fake = real_batch(1000), G(torch.randn(1000, 2))
                rec.points(step, real, fake, critic=lambda pts: D(torch.as_tensor(pts)).squeeze(1))
                cost = ot.dist(real.double().numpy(), fake.double().numpy(), metric="euclidean")
                rec.evaluate(step, w1_exact=ot.emd2(np.full(1000, 1e-3), np.full(1000, 1e-3), cost))  # <-
        if step % 500 == 0 or step == args.steps:
            rec.generator(step, G)  # <- as ONNX, for the Latent lab (sliders, interpolation, GIFs)
        if rec.should_stop():  # the dashboard's Stop button
            break
