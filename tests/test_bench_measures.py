"""The candidate 2-D measures bench/advisor_measures.py compares: balanced draws are what they claim."""
import numpy as np
import torch

from bench.advisor_measures import balanced_draw, quasi_normal, sliced_w1
from wgan_watch import TrainConfig
from wgan_watch.data import ToyData, toy_centres
from wgan_watch.quality.evaluate import w1_exact


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


def test_the_truth_as_evaluations_is_what_the_advisor_reads_in_place_of_the_runs_own():
    from bench.advisor_truth import Truth
    import pandas as pd

    draws = np.array([[0.30, 0.32], [0.20, 0.22], [0.10, 0.12]])  # 3 snapshots, 2 paired draws
    truth = Truth("w1_exact", np.array([250, 500, 750]), draws, 0.06, 0.02)
    evals = pd.DataFrame({"step": [250, 500, 600, 750], "w1_exact": [0.5, 0.4, 0.35, 0.3], "modes": [1, 2, 3, 4],
                          "floor": 0.09, "floor_sd": 0.03})
    out = truth.as_evals(evals)
    assert out["step"].tolist() == [250, 500, 750]  # only where a snapshot was scored
    assert np.allclose(out["w1_exact"], [0.31, 0.21, 0.11]) and out["modes"].tolist() == [1, 2, 4]
    assert np.allclose(out["floor"], 0.06) and np.allclose(out["floor_sd"], 0.02 / np.sqrt(2))
    assert evals["w1_exact"].tolist() == [0.5, 0.4, 0.35, 0.3]  # the run's own table is left as it was
