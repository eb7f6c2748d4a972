"""Recorder: a user's own training loop writes a run folder the dashboard cannot tell from the trainer's."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.html_table import runs_table
from tests.test_app import app, texts, traces
from wgan_watch import Recorder
from wgan_watch.runs import runfiles as rf

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def test_scalars_need_no_torch_and_reach_the_disk_within_flush_secs(tmp_path):
    code = """
import sys, time
from wgan_watch import Recorder
from wgan_watch.runs import runfiles as rf
with Recorder(sys.argv[1], algo="wgan", data="mine", steps=50, flush_secs=0.2) as rec:
    for s in range(1, 51):
        rec.log(s, w_estimate=1.0 / s, loss_d=-1.0 / s, loss_g=0.1, lr=1e-4)
    time.sleep(0.25)
    rec.log(51, w_estimate=0.01)   # past flush_secs: this call writes the buffer
    assert rf.read_metrics(sys.argv[1])["step"].max() == 51
assert "torch" not in sys.modules, "torch was imported"
"""
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run")], env=ENV, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    m = rf.read_metrics(tmp_path / "run")
    assert m["step"].tolist() == list(range(1, 52)) and m["w_estimate"].iloc[0] == 1.0
    assert m["elapsed"].is_monotonic_increasing and m["loss_g"].isna().iloc[-1]
    assert "lr" in rf.read_part(rf.part_files(tmp_path / "run" / "metrics")[-1]).columns  # extra columns kept
    cfg = rf.read_json(tmp_path / "run" / "config.json")
    assert cfg["format"] == 1 and cfg["writer"] == "recorder" and cfg["algo"] == "wgan" and cfg["steps"] == 50
    st = rf.read_json(tmp_path / "run" / "status.json")
    assert st["state"] == "finished" and st["step"] == 51 and not (tmp_path / "run" / "trainer.lock").exists()


def test_tensors_are_converted_in_one_batch_and_samples_written(tmp_path):
    import torch

    with Recorder(tmp_path / "run", config={"path": tmp_path}) as rec:
        for s in range(1, 11):
            rec.log(s, w_estimate=torch.tensor(0.5 * s), loss_d=torch.tensor([2.0]), gp=np.float32(0.1))
        rec.images(10, torch.rand(16, 3, 8, 8))                 # N x C x H x W in [0, 1]
        rec.images(11, np.zeros((4, 8, 8, 1), dtype=np.uint8))  # N x H x W x C uint8
        rec.points(10, torch.randn(50, 2), np.zeros((50, 2)), critic=lambda p: p.sum(1))
        rec.evaluate(10, w1_exact=torch.tensor(0.2), fid_features="mine")
    m = rf.read_metrics(tmp_path / "run")
    assert m["w_estimate"].tolist() == [0.5 * s for s in range(1, 11)] and (m["loss_d"] == 2.0).all()
    assert [s for s, _ in rf.step_files(tmp_path / "run" / "samples", "png")] == [10, 11]
    import pandas as pd

    pts = pd.read_parquet(tmp_path / "run" / "samples" / "step_00000010.parquet")
    assert set(pts["kind"]) == {"real", "fake", "critic"}
    ev = rf.read_evals(tmp_path / "run")
    assert ev["w1_exact"].tolist() == pytest.approx([0.2])
    assert rf.read_json(tmp_path / "run" / "config.json")["user_config"]["path"] == str(tmp_path)


@pytest.mark.parametrize("call,message", [
    (lambda r: r.log(1, **{"w-est": 1.0}), "log: column name 'w-est' is not an identifier"),
    (lambda r: r.log(1, step=1.0), "got multiple values"),
    (lambda r: r.log(1.5, loss_d=1.0), "log: step must be a whole number"),
    (lambda r: r.log(-1, loss_d=1.0), "log: step must be 0 or more"),
    (lambda r: (r.log(5, loss_d=1.0), r.log(4, loss_d=1.0)), "log: step 4 is lower than the last one logged (5)"),
    (lambda r: r.log(1, loss_d="high"), "log: loss_d must be a number"),
    (lambda r: r.log(1, loss_d=np.ones(3)), "log: loss_d must be a number or a one-element tensor or array, got "
                                            "ndarray of 3 elements"),
    (lambda r: r.images(1, np.zeros((2, 5, 7))), None),  # N x H x W: fine (grey)
    (lambda r: r.images(1, np.zeros((5, 7))), "images: expected N x C x H x W or N x H x W x C"),
    (lambda r: r.images(1, np.zeros((2, 4, 8, 8))), "images: expected N x C x H x W or N x H x W x C"),
    (lambda r: r.points(1, np.zeros((5, 3)), np.zeros((5, 2))), "real: expected N x 2 points"),
    (lambda r: r.evaluate(1, **{"2fid": 3.0}), "evaluate: column name '2fid' is not an identifier"),
])
def test_bad_input_gets_one_clear_error_naming_the_argument(tmp_path, call, message):
    with Recorder(tmp_path / "run") as rec:
        if message is None:
            call(rec)
            return
        with pytest.raises((ValueError, TypeError)) as e:
            call(rec)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_bad_run_folders_are_refused(tmp_path):
    with pytest.raises(ValueError, match="run_dir: the folder name 'my run'"):
        Recorder(tmp_path / "my run")
    Recorder(tmp_path / "r").close()
    with pytest.raises(FileExistsError, match="pass resume=True"):
        Recorder(tmp_path / "r")
    with pytest.raises(FileNotFoundError, match="cannot resume"):
        Recorder(tmp_path / "new", resume=True)


def test_a_repeated_step_keeps_its_last_row_and_resume_rewinds(tmp_path):
    with Recorder(tmp_path / "run", flush_secs=1000) as rec:
        for s, loss in ((1, 1.0), (2, 2.0), (3, 3.0), (3, 3.5), (4, 4.0)):
            rec.log(s, loss_d=loss)
    assert rf.read_metrics(tmp_path / "run")["loss_d"].tolist() == [1.0, 2.0, 3.5, 4.0]
    with Recorder(tmp_path / "run", resume=True) as rec:  # from a checkpoint at step 2
        rec.log(3, loss_d=30.0)
        rec.log(4, loss_d=40.0)
    m = rf.read_metrics(tmp_path / "run")
    assert m["loss_d"].tolist() == [1.0, 2.0, 30.0, 40.0] and m["elapsed"].is_monotonic_increasing


def test_how_the_with_block_ends_is_the_runs_state(tmp_path):
    with pytest.raises(RuntimeError):
        with Recorder(tmp_path / "failed") as rec:
            rec.log(1, loss_d=1.0)
            raise RuntimeError("out of memory")
    st = rf.read_json(tmp_path / "failed" / "status.json")
    assert st["state"] == "failed" and "RuntimeError: out of memory" in st["message"]
    with Recorder(tmp_path / "stopped") as rec:
        rf.write_control(tmp_path / "stopped", "stop")
        assert rec.should_stop()
    assert rf.read_json(tmp_path / "stopped" / "status.json")["state"] == "stopped"
    with pytest.raises(KeyboardInterrupt):
        with Recorder(tmp_path / "ctrl-c"):
            raise KeyboardInterrupt
    assert rf.read_json(tmp_path / "ctrl-c" / "status.json")["state"] == "stopped"


def test_nan_is_kept_and_the_run_is_shown_diverged(tmp_path, runs):
    with Recorder(runs / "nan", algo="wgan-gp") as rec:
        for s in range(1, 301):
            rec.log(s, w_estimate=0.5, loss_d=float("nan") if s == 200 else -0.5, loss_g=0.1)
        rec.log(301, loss_d=-0.5)  # loss_g left out: missing, not a divergence
    m = rf.read_metrics(runs / "nan")
    assert len(m) == 301 and np.isnan(m["loss_d"].iloc[199])
    st = rf.read_json(runs / "nan" / "status.json")
    assert st["diverged_at"] == 200 and "loss_d became nan at step 200" in st["message"]
    at = app("monitor", run="nan")
    assert "diverged" in texts(at).lower()


def test_the_example_script_is_watched_like_any_run(tmp_path, runs):
    """examples/: a WGAN-GP written the way a user writes one, logging through Recorder, from another folder."""
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "wgan_gp_8gaussians.py"), "--steps", "300",
                        "--run-dir", str(runs / "mine")], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    m, ev = rf.read_metrics(runs / "mine"), rf.read_evals(runs / "mine")
    assert m["step"].tolist() == list(range(1, 301)) and m["w_estimate"].notna().all()
    assert ev["step"].tolist() == [100, 200, 300] and (ev["w1_exact"] > 0).all()
    at = app("monitor", run="mine")
    names = traces(at)
    assert "mine · W estimate (critic)" in names and "mine · exact W1 (OT)" in names
    assert "generated" in names and "critic D(x)" in names
    assert any("Should I stop?" in str(e.value) for k in ("info", "success", "warning", "error") for e in getattr(at, k))
    runs_page = app()
    assert "monitor?run=mine" in set(runs_table(runs_page)["run"])


def test_the_latent_lab_says_how_a_scripts_generator_gets_there(runs):
    with Recorder(runs / "mine", algo="wgan-gp") as rec:
        rec.log(1, w_estimate=0.5)
    at = app("latent")
    assert "No run has an exported generator yet" in texts(at) and "rec.generator(step, G)" in texts(at)
