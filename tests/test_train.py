import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from tests.conftest import ROOT
from wgan_watch import load_generator, train
from wgan_watch.runs import runfiles as rf
from wgan_watch.models import build_models


def assert_complete_run(run_dir: Path, steps: int, toy: bool):
    cfg = rf.read_json(run_dir / "config.json")
    assert cfg["format"] == 1 and cfg["steps"] == steps
    status = rf.read_json(run_dir / "status.json")
    assert status["state"] == "finished" and status["step"] == steps
    assert set(status) >= {"state", "step", "pid", "device", "started_at", "updated_at", "message"}
    m = rf.read_metrics(run_dir)
    assert m["step"].tolist() == list(range(1, steps + 1))
    assert m[["loss_d", "loss_g", "elapsed", "samples_per_s"]].notna().all().all()
    ev = rf.read_evals(run_dir)
    assert len(ev) >= 2
    ext = "parquet" if toy else "png"
    assert rf.step_files(run_dir / "samples", ext)
    assert rf.list_snapshots(run_dir)
    assert (run_dir / "checkpoints" / "last.pt").exists()
    assert (run_dir / "trainer.log").read_text().strip()
    assert not (run_dir / "trainer.lock").exists()
    return m, ev


@pytest.mark.parametrize("algo", ["wgan", "wgan-gp", "gan"])
def test_each_algorithm_writes_a_complete_run_on_2d_data(tiny, algo):
    run = train(tiny(algo=algo, data="gaussians8"))
    m, ev = assert_complete_run(run, 12, toy=True)
    if algo == "gan":
        assert m["w_estimate"].isna().all()
    else:
        assert m["w_estimate"].notna().all()
        assert ev["w_heldout"].notna().all()
    assert ev["w1_exact"].gt(0).all() and ev["modes"].between(0, 8).all()
    if algo == "wgan":
        assert m["critic_iters"].iloc[0] == 100 and m["clip_frac"].notna().all()
    if algo == "wgan-gp":
        assert m["gp"].notna().all() and m["grad_norm"].gt(0).all()
    pts = pd.read_parquet(rf.step_files(run / "samples", "parquet")[-1][1])
    assert set(pts["kind"]) == {"real", "fake", "critic"}


@pytest.mark.parametrize("algo", ["wgan", "wgan-gp", "gan"])
def test_each_algorithm_writes_a_complete_run_on_digits(tiny, algo):
    run = train(tiny(algo=algo, data="digits", steps=6, width=8, batch_size=16, n_critic_warmup=2,
                     eval_every=3, sample_every=3, snapshot_every=3, checkpoint_every=3))
    assert_complete_run(run, 6, toy=False)
    from PIL import Image

    with Image.open(rf.step_files(run / "samples", "png")[-1][1]) as im:
        assert im.size == (8 * 28 + 9 * 2, 8 * 28 + 9 * 2)


def test_load_generator_gives_the_trained_weights(tiny):
    cfg = tiny(steps=10)
    run = train(cfg)
    G = load_generator(run)
    assert G.latent_dim == 2 and not G.training and G.snapshot_step == 10
    z = torch.randn(16, G.latent_dim)
    assert G(z).shape == (16, 2)
    G5 = load_generator(run, step=5)
    assert not torch.equal(G(z), G5(z))
    with pytest.raises(FileNotFoundError):
        load_generator(run, step=7)
    G2, D2 = build_models(cfg)
    assert type(G2) is type(G) and [p.shape for p in G2.parameters()] == [p.shape for p in G.parameters()]


def test_snapshots_and_samples_are_bounded_and_keep_first_and_latest(tiny):
    run = train(tiny(steps=40, snapshot_every=2, max_snapshots=5, eval_every=40, sample_every=3, max_samples=4))
    steps = [s for s, _ in rf.list_snapshots(run)]
    assert len(steps) == 5 and steps[0] == 2 and steps[-1] == 40
    samples = [s for s, _ in rf.step_files(run / "samples", "parquet")]
    assert len(samples) == 4 and samples[0] == 3 and samples[-1] == 40
    gaps = [b - a for a, b in zip(steps, steps[1:])]
    assert max(gaps) <= 3 * min(gaps)  # spread over the run, not bunched at the end


def test_nan_loss_ends_the_run_as_diverged(tiny, monkeypatch):
    from wgan_watch import objectives

    real_loss = objectives.WGANGP.critic_loss
    calls = {"n": 0}

    def poisoned(self, D, real, fake, **kw):
        calls["n"] += 1
        loss, stats = real_loss(self, D, real, fake, **kw)
        return (loss * float("nan") if calls["n"] > 5 * 7 else loss), stats

    monkeypatch.setattr(objectives.WGANGP, "critic_loss", poisoned)
    run = train(tiny(steps=20, checkpoint_every=3))
    status = rf.read_json(run / "status.json")
    assert status["state"] == "diverged"
    assert "step 8" in status["message"] and "loss_d" in status["message"]
    ckpt = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert ckpt["step"] == 6  # the last good one
    assert all(torch.isfinite(v).all() for v in ckpt["D"].values())
    assert rf.read_metrics(run)["step"].max() == 8


def test_control_json_stop_ends_with_checkpoint(tiny):
    cfg = tiny(steps=100000)
    Path(cfg.run_dir).mkdir(parents=True)
    rf.write_control(cfg.run_dir, "stop")
    run = train(cfg)
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and st["step"] < 100
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == st["step"]


def test_exception_marks_run_failed(tiny, monkeypatch):
    from wgan_watch import objectives

    def boom(self, D, fake):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(objectives.WGANGP, "generator_loss", boom)
    cfg = tiny()
    with pytest.raises(RuntimeError):
        train(cfg)
    st = rf.read_json(Path(cfg.run_dir) / "status.json")
    assert st["state"] == "failed" and "kaboom" in st["message"]


def _spawn(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "trainer", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_step(run_dir: Path, step: int, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = rf.read_json(run_dir / "status.json") or {}
        if st.get("step", 0) >= step:
            return
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    raise AssertionError("trainer too slow")


def test_sigkill_then_resume_has_each_step_exactly_once(tmp_path):
    run = tmp_path / "r"
    args = ["--steps", "150", "--width", "32", "--checkpoint-every", "20", "--eval-every", "50",
            "--flush-secs", "0.05", "--run-dir", str(run), "--no-progress", "--eval-samples", "200"]
    p = _spawn(args, tmp_path)
    _wait_for_step(run, 50, p)
    p.kill()  # SIGKILL: no chance to clean up
    p.wait()
    assert rf.read_json(run / "status.json")["state"] == "running"
    assert rf.effective_state(rf.read_json(run / "status.json")) == "lost"
    before = rf.read_metrics(run)["step"].max()
    r = subprocess.run([sys.executable, "-m", "trainer", "--resume", str(run), "--no-progress"], cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    m = rf.read_metrics(run)
    assert before >= 50
    assert m["step"].tolist() == list(range(1, 151))
    assert m["elapsed"].is_monotonic_increasing
    assert rf.read_json(run / "status.json")["state"] == "finished"


def test_sigterm_stops_cleanly_and_resume_continues(tmp_path):
    run = tmp_path / "r"
    p = _spawn(["--steps", "100000", "--width", "32", "--flush-secs", "0.05", "--run-dir", str(run),
                "--no-progress"], tmp_path)
    _wait_for_step(run, 5, p)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 0
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and "SIGTERM" in st["message"]
    stopped_at = st["step"]
    r = subprocess.run([sys.executable, "-m", "trainer", "--resume", str(run), "--steps", str(stopped_at + 3),
                        "--no-progress"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert rf.read_metrics(run)["step"].tolist() == list(range(1, stopped_at + 4))


def test_ctrl_c_stops_cleanly_with_a_checkpoint(tmp_path):
    run = tmp_path / "r"
    p = _spawn(["--steps", "100000", "--width", "32", "--flush-secs", "0.05", "--run-dir", str(run),
                "--no-progress"], tmp_path)
    _wait_for_step(run, 5, p)
    p.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert p.wait(timeout=60) == 0
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and "SIGINT" in st["message"]
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == st["step"]
    assert rf.read_metrics(run)["step"].tolist() == list(range(1, st["step"] + 1))


def test_second_trainer_on_the_same_folder_is_refused(tmp_path):
    run = tmp_path / "r"
    p = _spawn(["--steps", "100000", "--width", "32", "--flush-secs", "0.05", "--run-dir", str(run),
                "--no-progress"], tmp_path)
    try:
        _wait_for_step(run, 2, p)
        r = subprocess.run([sys.executable, "-m", "trainer", "--resume", str(run)], cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "already being trained" in r.stderr
    finally:
        p.kill()
        p.wait()


def test_a_stop_request_already_served_does_not_stop_the_resumed_run(tiny):
    cfg = tiny(steps=100000)
    Path(cfg.run_dir).mkdir(parents=True)
    rf.write_control(cfg.run_dir, "stop")  # the Stop button; the run obeys and ends
    run = train(cfg)
    stopped_at = rf.read_json(run / "status.json")["step"]
    cfg.steps = stopped_at + 4
    train(cfg, resume=True)  # a new process: that stop was for the old one
    st = rf.read_json(run / "status.json")
    assert st["state"] == "finished" and st["step"] == stopped_at + 4
    assert rf.read_control(run) is None


def test_by_default_slow_evaluations_are_spaced_out_to_keep_their_share_small(tiny, monkeypatch):
    """The trainer follows its own clock here, so how far it spaces them depends on the machine's load (a CI run
    beside a study made 50 steps take 9 s, and a 0.35 s evaluation was then under 2%). The exact schedule is held
    against a fake clock in test_schedule_against_a_fake_clock; this checks the trainer keeps to it."""
    from wgan_watch import evaluator as loop

    real_quality = loop.toy_quality

    def slow_quality(*a, **k):
        time.sleep(0.3)  # more than 2% of 50 tiny steps unless a step takes over 0.3 s
        return real_quality(*a, **k)

    from wgan_watch import schedule

    monkeypatch.setattr(loop, "toy_quality", slow_quality)
    monkeypatch.setattr(schedule, "EVAL_EVERY", 50)  # the default spacing, scaled down 5x with the run
    run = train(tiny(steps=820, eval_every=None, sample_every=1000, snapshot_every=1000, checkpoint_every=1000))
    steps = rf.read_evals(run)["step"].tolist()
    gaps = [b - a for a, b in zip(steps, steps[1:-1])]
    assert steps[:2] == [50, 100] and steps[-1] == 820  # the first timed one is at 100; always the last step
    assert all(s % 50 == 0 for s in steps[:-1]) and max(gaps) == 100, steps  # spaced out, at most to 100 here
    assert "evaluating every 100 steps" in (run / "trainer.log").read_text()
    cfg = rf.read_json(run / "config.json")
    assert cfg["eval_every"] is None  # "default" is what the run was told, not a number


@pytest.mark.parametrize("step_s, eval_s, total, every", [
    (0.01, 0.3, 820, 100), (0.01, 0.3, 2400, 300),  # 60x the budget: as far as 8 evaluations in the run allow
    (0.01, 0.035, 2400, 200),  # 3.5x: every 4th
    (0.2, 0.3, 2400, 100),  # steps 20x slower (a loaded machine): 1.5x, every 2nd
    (0.01, 0.005, 2400, 50),  # within the budget: every 50
])
def test_schedule_against_a_fake_clock(monkeypatch, step_s, eval_s, total, every):
    """Each step takes step_s and each evaluation eval_s: after the first timed evaluation (at 100; the one at 50
    warms up) they come every `every` steps: the smallest multiple of 50 that keeps them under 2% of the time,
    but never fewer than 8 in the run (so at most every 100 in 820 steps, every 300 in 2,400)."""
    from wgan_watch import schedule
    from wgan_watch.config import TrainConfig

    clock = [1000.0]
    monkeypatch.setattr(schedule, "time", SimpleNamespace(time=lambda: clock[0]))  # the schedule's clock only
    monkeypatch.setattr(schedule, "EVAL_EVERY", 50)
    plan = schedule.Schedule(TrainConfig(steps=total, eval_every=None), start=0)
    evaluated = []
    for step in range(1, total + 1):
        clock[0] += step_s
        if plan.due(step).evaluate:
            clock[0] += eval_s
            plan.evaluated(step, eval_s)
            evaluated.append(step)
    assert evaluated[:2] == [50, 100] and evaluated[-1] == total
    assert [b - a for a, b in zip(evaluated[1:], evaluated[2:-1])] == [every] * (len(evaluated) - 3), evaluated
    assert len(evaluated) >= 8


def test_an_explicit_eval_every_is_kept_however_slow(tiny, monkeypatch):
    from wgan_watch import evaluator as loop

    real_quality = loop.toy_quality
    monkeypatch.setattr(loop, "toy_quality", lambda *a, **k: (time.sleep(0.05), real_quality(*a, **k))[1])
    run = train(tiny(steps=30, eval_every=5))
    assert rf.read_evals(run)["step"].tolist() == [5, 10, 15, 20, 25, 30]
