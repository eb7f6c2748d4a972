"""Data-parallel training: torchrun with 2 CPU processes (gloo), and the arithmetic it relies on."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tests.conftest import ROOT
from wgan_watch import TrainConfig
from wgan_watch import distributed as ddp
from wgan_watch.runs import runfiles as rf
from wgan_watch.models import build_models
from wgan_watch.objectives import build_objective
from wgan_watch.steps import critic_update, generator_update

SMALL = ["--width", "32", "--eval-samples", "200", "--flush-secs", "0.05", "--no-progress", "--device", "cpu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(*args: str, timeout: float = 240) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
           f"--master_port={free_port()}", "-m", "trainer", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen, timeout: float = 240) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]
    return out


def test_ranks_come_from_torchruns_environment():
    assert ddp.ranks_from_env({}) == ddp.Ranks(0, 1, 0) and not ddp.Ranks().enabled
    r = ddp.ranks_from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (r.rank, r.world, r.local, r.main, r.enabled) == (3, 4, 1, False, True)
    with pytest.raises(Exception, match="must be integers"):
        ddp.ranks_from_env({"RANK": "x"})


def test_one_process_needs_no_process_group():
    one = ddp.Ranks()
    t = torch.tensor([1.0, 3.0])
    assert ddp.mean_over_ranks_(t, one) is t and t.tolist() == [1.0, 3.0]
    assert ddp.any_rank([True, False], one, torch.device("cpu")) == [True, False]
    m = torch.nn.Linear(2, 1)
    assert ddp.wrap(m, one, torch.device("cpu")) is m and ddp.from_main("x", one) == "x"


def _one_step_setup(algo: str):
    """The same models, optimizers and whole batch (64 real, fakes, interpolation weights, latents)
    on every rank and in the single process that checks them."""
    cfg = TrainConfig(algo=algo, data="gaussians8", width=32).resolved()
    torch.manual_seed(0)
    G, D = build_models(cfg)
    obj = build_objective(cfg)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)  # linear in the gradient: Adam's first step is ~sign(g)
    opt_g = torch.optim.SGD(G.parameters(), lr=0.1)
    g = torch.Generator().manual_seed(7)
    real, fake, alpha, z = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g), \
        torch.rand(64, 1, generator=g), torch.randn(64, cfg.latent_dim, generator=g)
    return G, D, obj, opt_d, opt_g, (real, fake, alpha, z)


def _two_rank_step(rank: int, algo: str, init: str, out: str) -> None:
    """One critic step and one generator step of DDP on rank `rank`'s half of a batch."""
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    torch.set_num_threads(1)
    ranks = ddp.Ranks(rank, 2, rank)
    G, D, obj, opt_d, opt_g, (real, fake, alpha, z) = _one_step_setup(algo)
    half = slice(32 * rank, 32 * (rank + 1))
    D_train, G_train = ddp.wrap(D, ranks, torch.device("cpu")), ddp.wrap(G, ranks, torch.device("cpu"))
    _, stats = critic_update(obj, D_train, opt_d, real[half], fake[half], alpha=alpha[half])
    generator_update(obj, G_train, D, opt_g, z[half])
    w = ddp.mean_over_ranks_(stats["d_real"].reshape(1).clone(), ranks)
    agreed = ddp.any_rank([rank == 1, False], ranks, torch.device("cpu"))
    told = ddp.from_main({"run": "from rank 0"} if rank == 0 else None, ranks)
    if rank == 0:
        torch.save({"D": D.state_dict(), "G": G.state_dict(), "w": w, "agreed": agreed, "told": told}, out)
    del D_train, G_train  # their reducers hold the group: leave it as the trainer does
    ddp.shutdown(together=True)


@pytest.mark.parametrize("algo", ["wgan-gp", "wgan", "gan"])
def test_two_ranks_on_half_batches_make_the_one_process_update_on_the_whole_batch(tmp_path, algo):
    """DDP averages the two halves' gradients: for mean losses that is the whole batch's gradient."""
    out = tmp_path / "rank0.pt"
    mp.spawn(_two_rank_step, args=(algo, f"file://{tmp_path / 'pg'}", str(out)), nprocs=2, join=True)
    got = torch.load(out, weights_only=True)

    G, D, obj, opt_d, opt_g, (real, fake, alpha, z) = _one_step_setup(algo)
    _, stats = critic_update(obj, D, opt_d, real, fake, alpha=alpha)
    generator_update(obj, G, D, opt_g, z)
    for name, p in D.state_dict().items():
        torch.testing.assert_close(got["D"][name], p, rtol=1e-4, atol=1e-6, msg=f"D.{name}")
    for name, p in G.state_dict().items():
        torch.testing.assert_close(got["G"][name], p, rtol=1e-4, atol=1e-6, msg=f"G.{name}")
    # the logged statistics: the mean over ranks of each half's mean is the whole batch's mean
    torch.testing.assert_close(got["w"][0], stats["d_real"], rtol=1e-5, atol=1e-6)
    assert got["agreed"] == [True, False]  # one rank asking to stop stops both
    assert got["told"] == {"run": "from rank 0"}


def wait_for_step(run: Path, step: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    end = time.time() + timeout
    while time.time() < end:
        st = rf.read_json(run / "status.json") or {}
        if (st.get("step") or 0) >= step:
            return
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        time.sleep(0.2)
    raise AssertionError(f"no step {step} within {timeout} s")


@pytest.mark.timeout(600)
def test_torchrun_two_cpu_processes_train_stop_and_resume(tmp_path):
    run = tmp_path / "run"
    proc = torchrun("--algo", "wgan-gp", "--data", "gaussians8", "--steps", "100000", "--eval-every", "25",
                    "--sample-every", "25", "--snapshot-every", "25", "--checkpoint-every", "25",
                    "--run-dir", str(run), *SMALL)
    wait_for_step(run, 30, proc)
    rf.write_control(run, "stop")  # rank 0 reads it; both ranks must agree to stop, or one would hang
    out = finish(proc, timeout=120)
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and st["world_size"] == 2, st
    stopped_at = st["step"]
    assert [ln.startswith("stopped: ") for ln in out.splitlines()].count(True) == 1  # rank 0 reports, rank 1 not

    finish(torchrun("--resume", str(run), "--steps", str(stopped_at + 30)))
    st = rf.read_json(run / "status.json")
    assert st["state"] == "finished" and st["step"] == stopped_at + 30
    m = rf.read_metrics(run)
    assert m["step"].tolist() == list(range(1, stopped_at + 31))  # every step exactly once, one writer
    assert m["w_estimate"].notna().all() and (m["critic_iters"] == 5).all()
    assert (m["samples_per_s"] > 0).all()
    ev = rf.read_evals(run)
    assert ev["step"].is_unique and ev["w1_exact"].notna().all()
    assert not list(run.rglob("*rank*")) and {p.name for p in run.iterdir()} >= {"metrics", "evals", "generator"}


@pytest.mark.timeout(600)
def test_sigterm_to_torchrun_stops_every_rank_at_the_same_step(tmp_path):
    """torchrun passes SIGTERM to its workers; they agree to stop at the next sync point, with a checkpoint."""
    import signal

    run = tmp_path / "run"
    proc = torchrun("--algo", "wgan-gp", "--data", "gaussians8", "--steps", "100000", "--eval-every", "25",
                    "--run-dir", str(run), *SMALL)
    wait_for_step(run, 30, proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and "SIGTERM" in st["message"], st
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == st["step"]
    assert rf.read_metrics(run)["step"].tolist() == list(range(1, st["step"] + 1))


def test_a_bad_run_folder_stops_every_rank_with_one_message(tmp_path):
    run = tmp_path / "run"
    finish(torchrun("--steps", "3", "--run-dir", str(run), *SMALL))
    proc = torchrun("--steps", "3", "--run-dir", str(run), *SMALL)
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode != 0 and "already holds a run" in out


def test_torchrun_on_digits_evaluates_fid_on_rank_0_alone(tmp_path):
    """torchmetrics gathers across ranks by default; only rank 0 evaluates, so it must not."""
    run = tmp_path / "run"
    finish(torchrun("--algo", "wgan-gp", "--data", "digits", "--steps", "4", "--width", "8", "--batch-size", "16",
                    "--eval-every", "2", "--sample-every", "2", "--run-dir", str(run), *SMALL))
    assert rf.read_json(run / "status.json")["state"] == "finished"
    ev = rf.read_evals(run)
    assert ev["step"].tolist() == [2, 4] and ev["fid"].notna().all() and ev["kid"].notna().all()
