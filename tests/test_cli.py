import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)


@pytest.mark.parametrize("args", [
    ["--steps", "-5"],
    ["--steps", "ten"],
    ["--clip", "0"],
    ["--algo", "dcgan"],
    ["--data", "nope"],
    ["--data", "digits", "--image-size", "100"],
    ["--data", "folder:/no/such/folder"],
    ["--bogus-flag", "1"],
    ["--config", "missing.json"],
    ["--resume", "runs/not-a-run"],
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args):
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert not (tmp_path / "runs").exists()


def test_config_file_with_unknown_key_is_refused(tmp_path):
    (tmp_path / "c.json").write_text('{"steps": 5, "stepz": 6}')
    r = run_cli("--config", "c.json", cwd=tmp_path)
    assert r.returncode == 2 and "stepz" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_flags_override_config_file_and_run_lands_under_runs(tmp_path):
    (tmp_path / "c.json").write_text('{"steps": 500, "algo": "gan", "width": 16}')
    r = run_cli("--config", "c.json", "--steps", "3", "--no-progress", "--eval-samples", "50", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("-gan-gaussians8")
    from wgan_watch.runs.runfiles import read_metrics

    assert read_metrics(runs[0])["step"].tolist() == [1, 2, 3]


def test_cuda_asked_for_without_a_gpu_is_one_clear_line(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    r = run_cli("--device", "cuda", "--steps", "1", cwd=tmp_path)
    assert r.returncode == 2 and "no CUDA GPU" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_help_lists_every_field_with_its_docstring(tmp_path):
    import dataclasses

    from wgan_watch.config import TrainConfig

    r = run_cli("--help", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-800:]  # e.g. a "%" in a docstring breaks argparse's formatting
    text = " ".join(r.stdout.split())
    for f in dataclasses.fields(TrainConfig):
        assert "--" + f.name.replace("_", "-") in text
    assert "over 2% of the training time" in text
