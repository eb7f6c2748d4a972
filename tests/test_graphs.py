"""The GPU paths (CUDA graphs, channels-last, capturable optimizers) on whatever this machine has.

On the CPU they must fall back cleanly: same arithmetic, a log line saying why.
The CUDA-only checks run where a GPU is present.
"""

import logging

import pytest
import torch

from wgan_watch import TrainConfig, train
from wgan_watch.runs import runfiles as rf
from wgan_watch.data import load_data
from wgan_watch.graphs import GraphedStep, graphs_unavailable, make_step
from wgan_watch.models import build_models
from wgan_watch.objectives import build_objective
from wgan_watch.runtime import make_optimizer
from wgan_watch.steps import DEVICE_STATS, TrainStep, critic_update, generator_update

CPU = torch.device("cpu")


def make_train_step(algo: str, data_name: str, device=CPU, memory_format=torch.contiguous_format,
                    capturable: bool = False) -> TrainStep:
    cfg = TrainConfig(algo=algo, data=data_name, width=16, batch_size=16, device=device.type).resolved()
    torch.manual_seed(0)
    G, D = build_models(cfg)
    G, D = G.to(device, memory_format=memory_format), D.to(device, memory_format=memory_format)
    data = load_data(cfg, device)
    return TrainStep(build_objective(cfg), data, G, D, G, D, make_optimizer(cfg, G.parameters(), cfg.lr_g, capturable),
                     make_optimizer(cfg, D.parameters(), cfg.lr_d, capturable), cfg.batch_size, cfg.latent_dim,
                     device, memory_format)


@pytest.mark.parametrize("algo", ["wgan-gp", "wgan", "gan"])
def test_a_train_step_is_the_critic_and_generator_updates_with_its_statistics_in_one_row(algo):
    step = make_train_step(algo, "gaussians8")
    ref = make_train_step(algo, "gaussians8")
    out = torch.full((len(DEVICE_STATS),), -7.0)
    torch.manual_seed(1)
    step(2, out)
    torch.manual_seed(1)  # the same draws, in the same order, by hand
    for _ in range(2):
        real = ref.data.sample(16)
        with torch.no_grad():
            fake = ref.G(torch.randn(16, ref.latent_dim))
        loss_d, stats = critic_update(ref.objective, ref.D, ref.opt_d, real, fake)
    loss_g = generator_update(ref.objective, ref.G, ref.D, ref.opt_g, torch.randn(16, ref.latent_dim))
    for a, b in zip(list(step.D.parameters()) + list(step.G.parameters()),
                    list(ref.D.parameters()) + list(ref.G.parameters()), strict=True):
        torch.testing.assert_close(a, b)
    got = dict(zip(DEVICE_STATS, out.tolist(), strict=True))
    assert got["loss_d"] == pytest.approx(loss_d.item(), rel=1e-6)
    assert got["loss_g"] == pytest.approx(loss_g.item(), rel=1e-6)
    assert got["d_real"] == pytest.approx(stats["d_real"].item(), rel=1e-6)
    assert (got["gp"] == got["gp"]) == (algo == "wgan-gp")  # NaN where the algorithm has no penalty
    assert (got["clip_frac"] == got["clip_frac"]) == (algo == "wgan")
    assert -7.0 not in out.tolist()  # every column written


def test_graphs_say_why_they_cannot_run_here():
    data = load_data(TrainConfig(data="gaussians8").resolved(), CPU)
    assert "CUDA device" in graphs_unavailable(CPU, data, distributed=False)
    cuda = torch.device("cuda")
    assert "torchrun" in graphs_unavailable(cuda, data, distributed=True)

    class Streamed:
        streams = True
    assert "streamed" in graphs_unavailable(cuda, Streamed(), distributed=False)
    assert graphs_unavailable(cuda, data, distributed=False) is None


def test_asking_for_graphs_on_the_cpu_gives_the_eager_step_and_a_log_line(caplog):
    step = make_train_step("wgan-gp", "gaussians8")
    with caplog.at_level(logging.INFO, logger="trainer"):
        chosen = make_step(step, True, step.data, distributed=False)
    assert chosen is step and "CUDA graphs need a CUDA device" in caplog.text
    assert make_step(step, False, step.data, distributed=False) is step


def test_a_run_with_cuda_graphs_and_channels_last_asked_for_trains_on_the_cpu(tiny):
    run = train(tiny(data="digits", steps=6, width=8, batch_size=16, cuda_graphs=True, channels_last=True,
                     eval_every=100, sample_every=100))
    assert rf.read_json(run / "status.json")["state"] == "finished"
    assert "CUDA graphs need a CUDA device" in (run / "trainer.log").read_text()
    m = rf.read_metrics(run)
    assert len(m) == 6 and m[["loss_d", "loss_g", "w_estimate", "gp"]].notna().all().all()


@pytest.mark.parametrize("algo", ["wgan-gp", "wgan"])
def test_channels_last_changes_the_layout_not_the_arithmetic(algo):
    a = make_train_step(algo, "digits")
    b = make_train_step(algo, "digits", memory_format=torch.channels_last)
    assert b.D.net[0].weight.is_contiguous(memory_format=torch.channels_last)
    for s in (a, b):  # linear in the gradient: Adam's first steps are ~lr*sign(g), which rounding can flip
        s.opt_d, s.opt_g = torch.optim.SGD(s.D.parameters(), lr=0.01), torch.optim.SGD(s.G.parameters(), lr=0.01)
    out_a, out_b = torch.empty(len(DEVICE_STATS)), torch.empty(len(DEVICE_STATS))
    for _ in range(3):
        torch.manual_seed(5)
        a(1, out_a)
        torch.manual_seed(5)
        b(1, out_b)
    torch.testing.assert_close(out_a, out_b, rtol=1e-4, atol=1e-5, equal_nan=True)
    for p, q in zip(a.D.parameters(), b.D.parameters(), strict=True):
        torch.testing.assert_close(p, q.contiguous(), rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("algo", ["wgan-gp", "wgan", "gan"])
def test_cuda_graph_replays_train_like_eager_steps(algo):
    cuda = torch.device("cuda")
    step = make_train_step(algo, "digits", device=cuda, capturable=True)
    graphed = GraphedStep(step)
    out = torch.empty(len(DEVICE_STATS), device=cuda)
    before = [p.detach().clone() for p in step.D.parameters()]
    rows = []
    for _ in range(10):
        graphed(2, out)
        rows.append(out.clone())
    torch.cuda.synchronize()
    assert not graphed.failed and set(graphed.graphs) == {2}
    assert all(torch.isfinite(r[1:3]).all() for r in rows)  # loss_d, loss_g
    assert not torch.equal(rows[-1], rows[-2])  # replays train: fresh batches, new weights
    assert any(not torch.equal(p, q) for p, q in zip(before, step.D.parameters(), strict=True))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("algo", ["wgan-gp", "wgan", "gan"])
def test_a_replayed_step_equals_an_eager_step(algo):
    """From the same weights and RNG state, replayed graphs train exactly what eager steps train
    (TF32 off, so the only difference could be the graph itself; tolerance: float32 rounding)."""
    cuda = torch.device("cuda")
    keep = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        eager = make_train_step(algo, "digits", device=cuda, capturable=True)
        graphed_step = make_train_step(algo, "digits", device=cuda, capturable=True)
        graphed = GraphedStep(graphed_step)
        torch.manual_seed(11)
        rows_e = [eager(2).clone() for _ in range(8)]
        torch.manual_seed(11)
        rows_g = [graphed(2).clone() for _ in range(8)]  # 3 eager warm-ups, a capture, then replays
        torch.cuda.synchronize()
        assert not graphed.failed and set(graphed.graphs) == {2}
        for a, b in zip(rows_e, rows_g):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)
        for p, q in zip(list(eager.D.parameters()) + list(eager.G.parameters()),
                        list(graphed_step.D.parameters()) + list(graphed_step.G.parameters()), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = keep
