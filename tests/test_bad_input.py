"""Every CLI flag and every start-form field, tried with wrong types, out-of-range, empty and huge values."""

import dataclasses
import os
import subprocess
import sys
import typing

import pytest

from tests.conftest import ROOT
from wgan_watch.config import TrainConfig

ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

# values no field accepts (per type), and the range checks each field must enforce
WRONG_TYPE = {int: ["abc", "1.5", ""], float: ["abc", ""], str: [], bool: []}
OUT_OF_RANGE = {
    "steps": ["0", "-1"], "batch_size": ["0", "99999999"], "n_critic": ["0"], "n_critic_warmup": ["-3"],
    "warmup_steps": ["-1"], "warmup_every": ["-1"], "latent_dim": ["0", "100000"], "lr_d": ["0", "5"],
    "lr_g": ["-1e-3", "1"], "clip": ["0", "-0.01", "nan"], "gp_lambda": ["-1"], "width": ["0", "1000000"],
    "image_size": ["48", "0"], "channels": ["2"], "seed": ["-1"], "eval_every": ["0"], "eval_samples": ["1", "10000000"],
    "sample_every": ["0"], "snapshot_every": ["-5"], "checkpoint_every": ["0"], "max_snapshots": ["1"], "max_samples": ["0"],
    "flush_secs": ["0", "-1"], "early_stop": ["-1"], "algo": ["", "dcgan", "x" * 5000], "data": ["", "nope", "x" * 5000],
    "optimizer": ["sgd"], "critic_norm": ["instance"], "device": ["tpu", ""],
    "inception_weights": ["/no/such/file"], "group": ["", "x" * 5000, "two\nlines"],
}


def cases():
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        hint = hints[f.name]
        base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
        flag = "--" + f.name.replace("_", "-")
        for v in WRONG_TYPE.get(base, []):
            yield f.name, [flag, v]
        for v in OUT_OF_RANGE.get(f.name, []):
            extra = ["--data", "digits"] if f.name in ("image_size", "channels") else []
            yield f.name, [*extra, flag, v]
        if typing.get_origin(base) is tuple:
            yield f.name, [flag, "0.5"]  # too few numbers
            yield f.name, [flag, "0.5", "2"]  # out of range


CASES = list(cases())


def test_every_field_is_tried():
    tried = {name for name, _ in CASES}
    untried = {f.name for f in dataclasses.fields(TrainConfig)} - tried
    # booleans (--x / --no-x) cannot be given a wrong value; paths have their own tests
    assert untried <= {"download", "progress", "cuda_graphs", "channels_last", "data_root", "run_dir", "runs_root"}, untried


@pytest.mark.parametrize("field,args", CASES, ids=[f"{n}:{' '.join(a)[:30]}" for n, a in CASES])
def test_bad_value_exits_2_with_one_line(tmp_path, field, args):
    r = subprocess.run([sys.executable, "-m", "trainer", *args], cwd=tmp_path, env=ENV, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and len(lines[0]) < 600, r.stderr[-800:]
    assert os.listdir(tmp_path) == []  # no runs/, nothing


def test_a_folder_that_is_not_images_and_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    for data in (f"folder:{tmp_path}", f"folder:{tmp_path / 'notes.txt'}"):
        r = subprocess.run([sys.executable, "-m", "trainer", "--data", data, "--runs-root", str(tmp_path / "runs")],
                           cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and r.stderr.startswith("error:"), r.stderr
        assert not (tmp_path / "runs").exists()
