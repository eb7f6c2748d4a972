"""Resume restores what it promises: killed with SIGKILL after a checkpoint and resumed, a run ends
with exactly the generator, critic and optimizer state of the same run left alone (on the CPU,
bit for bit). A resume that loaded nothing (or only the weights, or not the RNG) fails here."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT
from wgan_watch.runs import runfiles as rf

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
STEPS = 400
ARGS = ["--steps", str(STEPS), "--width", "16", "--batch-size", "32", "--checkpoint-every", "20",
        "--eval-every", "50", "--sample-every", "50", "--snapshot-every", "100", "--eval-samples", "100",
        "--flush-secs", "0.05", "--no-progress", "--device", "cpu", "--seed", "3", "--n-critic-warmup", "5"]


def trainer_cmd(*args: str, ranks: int = 1) -> list[str]:
    if ranks == 1:
        return [sys.executable, "-m", "trainer", *args]
    from tests.test_distributed import free_port

    return [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={ranks}", "--master_addr=127.0.0.1",
            f"--master_port={free_port()}", "-m", "trainer", *args]


def run_to_end(*args: str, ranks: int = 1) -> None:
    r = subprocess.run(trainer_cmd(*args, ranks=ranks), cwd=ROOT, env=ENV, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def kill_after_a_checkpoint(run: Path, *args: str, ranks: int = 1, min_step: int = 60) -> int:
    """Start a run, SIGKILL it (every process of it) once a checkpoint past `min_step` exists; its step."""
    proc = subprocess.Popen(trainer_cmd(*args, "--run-dir", str(run), ranks=ranks), cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            st = rf.read_json(run / "status.json") or {}
            if (st.get("step") or 0) >= min_step + 20 and (run / "checkpoints" / "last.pt").exists():
                break
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(0.01)
        else:
            raise AssertionError("the run did not get far enough")
    finally:
        kill_tree(proc)
    killed_at = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"]
    assert min_step <= killed_at < STEPS, killed_at  # killed mid-run, after a checkpoint
    return killed_at


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL a process and every process under it (torchrun's workers outlive a killed launcher)."""
    family, grew = {proc.pid}, True
    while grew:
        grew = False
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, ppid = int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid in family and pid not in family:
                family.add(pid)
                grew = True
    for pid in family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    deadline = time.time() + 30
    while any(rf.pid_alive(p) and not _zombie(p) for p in family) and time.time() < deadline:
        time.sleep(0.05)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def assert_same_state(a: Path, b: Path) -> None:
    ca = torch.load(a / "checkpoints" / "last.pt", weights_only=True)
    cb = torch.load(b / "checkpoints" / "last.pt", weights_only=True)
    assert ca["step"] == cb["step"] == STEPS
    for net in ("G", "D"):
        assert ca[net].keys() == cb[net].keys()
        for k in ca[net]:
            assert torch.equal(ca[net][k], cb[net][k]), f"{net}.{k} differs"
    for opt in ("opt_g", "opt_d"):
        for i, (sa, sb) in enumerate(zip(ca[opt]["state"].values(), cb[opt]["state"].values(), strict=True)):
            for k in sa:
                assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), f"{opt} state {i}.{k} differs"
    assert torch.equal(ca["rng_cpu"], cb["rng_cpu"])
    # and what the dashboard shows: every step once, the same losses
    ma, mb = rf.read_metrics(a), rf.read_metrics(b)
    assert mb["step"].tolist() == list(range(1, STEPS + 1))
    assert ma["loss_d"].tolist() == mb["loss_d"].tolist()


@pytest.mark.parametrize("algo", ["wgan-gp", "wgan", "gan"])
def test_killed_and_resumed_run_ends_in_the_uninterrupted_runs_state(tmp_path, algo):
    args = ["--algo", algo, *ARGS]
    run_to_end(*args, "--run-dir", str(tmp_path / "straight"))
    killed_at = kill_after_a_checkpoint(tmp_path / "killed", *args)
    run_to_end("--resume", str(tmp_path / "killed"), "--no-progress")
    assert (tmp_path / "killed" / "trainer.log").read_text().count(f"resumed at step {killed_at}") == 1
    assert_same_state(tmp_path / "straight", tmp_path / "killed")


@pytest.mark.timeout(900)
def test_killed_and_resumed_torchrun_run_ends_in_the_uninterrupted_runs_state(tmp_path):
    """Two CPU processes: each rank's batches come from its own RNG, which the checkpoint keeps too."""
    args = ["--algo", "wgan-gp", *ARGS]
    run_to_end(*args, "--run-dir", str(tmp_path / "straight"), ranks=2)
    kill_after_a_checkpoint(tmp_path / "killed", *args, ranks=2)
    run_to_end("--resume", str(tmp_path / "killed"), "--no-progress", ranks=2)
    assert_same_state(tmp_path / "straight", tmp_path / "killed")
