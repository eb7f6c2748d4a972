"""The training step alone (no logging, no evaluation), with each optimizer implementation.

    python -m bench.step [--repeat 5] [--only "wgan-gp gaussians8"] [--layouts]

For each setting, builds the default models and a TrainStep three times (Adam or
RMSprop as fused, foreach and per-tensor loop; RMSprop has no fused form, so its
"fused" row is foreach), runs them in alternation and prints the median generator
steps/s. This is how trainer/runtime.py's choice of optimizer form was made.
With --layouts, the image settings instead compare NCHW with channels-last
(NHWC) tensors, with the optimizer form the trainer uses: how the trainer's
channels-last default was chosen.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from wgan_watch import TrainConfig  # noqa: E402
from wgan_watch.data import load_data  # noqa: E402
from wgan_watch.models import build_models  # noqa: E402
from wgan_watch.objectives import build_objective  # noqa: E402
from wgan_watch.steps import DEVICE_STATS, TrainStep  # noqa: E402

SETTINGS = [("wgan-gp", "gaussians8", 60), ("wgan", "gaussians8", 60), ("wgan-gp", "digits", 20), ("wgan", "digits", 20),
            ("gan", "digits", 100)]
FORMS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}
LAYOUTS = {"NCHW": torch.contiguous_format, "channels-last": torch.channels_last}


def make(algo: str, data: str, form: dict, device: torch.device,
         memory_format: torch.memory_format = torch.contiguous_format) -> tuple[TrainStep, TrainConfig]:
    cfg = TrainConfig(algo=algo, data=data, device=device.type).resolved()
    torch.manual_seed(0)
    G, D = build_models(cfg)
    G, D = G.to(device, memory_format=memory_format), D.to(device, memory_format=memory_format)

    def opt(params, lr):
        if cfg.optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, **({"foreach": True} if form.get("fused") else form))
        return torch.optim.Adam(params, lr=lr, betas=cfg.betas, **form)

    step = TrainStep(build_objective(cfg), load_data(cfg, device), G, D, G, D, opt(G.parameters(), cfg.lr_g),
                     opt(D.parameters(), cfg.lr_d), cfg.batch_size, cfg.latent_dim, device, memory_format)
    return step, cfg


def rate(step: TrainStep, cfg: TrainConfig, n: int) -> float:
    out = torch.empty(len(DEVICE_STATS), device=step.device)
    for _ in range(3):
        step(cfg.n_critic, out)
    t = time.perf_counter()
    for _ in range(n):
        step(cfg.n_critic, out)
    if step.device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--only", help="run only the setting 'algo data'")
    ap.add_argument("--layouts", action="store_true", help="image settings: NCHW vs channels-last")
    args = ap.parse_args()
    device = torch.device(args.device)
    print(f"Training step alone, generator steps/s: {platform.machine()}, {os.cpu_count()} cores, torch threads "
          f"{torch.get_num_threads()}, {device}; median of {args.repeat} alternating runs")
    variants = list(LAYOUTS) if args.layouts else list(FORMS)
    print("| algo | data | " + " | ".join(variants) + " |")
    print("|---|---|" + "---|" * len(variants))
    for algo, data, n in SETTINGS:
        if (args.only and args.only != f"{algo} {data}") or (args.layouts and data != "digits"):
            continue
        if args.layouts:
            form = FORMS["fused"]  # the trainer's choice (RMSprop: foreach)
            steps = {name: make(algo, data, form, device, mf) for name, mf in LAYOUTS.items()}
        else:
            steps = {name: make(algo, data, form, device) for name, form in FORMS.items()}
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name in variants:
                rates[name].append(rate(*steps[name], n))
        print(f"| {algo} | {data} | " + " | ".join(f"{statistics.median(rates[k]):.2f}" for k in variants) + " |",
              flush=True)


if __name__ == "__main__":
    main()
