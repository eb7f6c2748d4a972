"""The candidate 2-D measures bench/advisor_measures.py compares: balanced draws are what they claim."""
import numpy as np
import torch

from bench.advisor_measures import balanced_draw, quasi_normal, sliced_w1
from trainer import TrainConfig
from trainer.data import ToyData, toy_centres
from trainer.evaluate import w1_exact


def test_quasi_normal_latents_fill_the_normal_evenly_and_differ_by_draw():
    g = torch.Generator().manual_seed(0)
    z = quasi_normal(1024, 2, g).double()
    assert z.shape == (1024, 2) and torch.isfinite(z).all()
    assert z.mean(0).abs().max() < 0.01 and (z.std(0) - 1).abs().max() < 0.03  # iid: about 0.03 and 0.02
    quadrants = torch.bincount(((z[:, 0] > 0).long() * 2 + (z[:, 1] > 0).long()), minlength=4)
    assert (quadrants - 256).abs().max() <= 2  # iid draws: about 14 either way
    assert not torch.equal(z, quasi_normal(1024, 2, g).double())


def test_a_balanced_draw_measures_a_generator_with_the_datas_mode_weights_near_zero():
    cfg = TrainConfig(data="gaussians8").resolved()
    data, g = ToyData("gaussians8", torch.device("cpu")), torch.Generator().manual_seed(1)
    z, reference, others = balanced_draw(cfg, data, g, 1000)
    assert z.shape == (1000, cfg.latent_dim) and len(others) == 5
    ref = reference.double().numpy()
    balanced_floor = np.mean([w1_exact(ref, o.double().numpy()) for o in others])
    independent_floor = np.mean([w1_exact(ref, data.sample(1000, g).double().numpy()) for _ in range(5)])
    assert balanced_floor < 0.3 * independent_floor  # the mode-weight noise was most of it
    # a "generator" putting 20% of its points on one mode is far above that floor
    skewed = data.sample(1000, g, balanced=True)
    skewed[:100] = toy_centres("gaussians8")[0]
    assert w1_exact(ref, skewed.double().numpy()) > 5 * balanced_floor
    assert sliced_w1(ref, ref) == 0.0
