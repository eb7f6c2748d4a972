"""TensorBoard logs people already have, read into run folders with tensorboard's own event reader."""

import builtins

import numpy as np
import pytest

from tests.test_app import app, traces
from wgan_watch.runs import runfiles as rf
from wgan_watch.runs.tensorboard import column_for
from wgan_watch.runs.tensorboard import main as import_main


@pytest.fixture
def logdir(tmp_path):
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "logs" / "wgan-faces"))
    for s in range(1, 301):
        w.add_scalar("critic/wdist", 1.0 / s, s)
        w.add_scalar("loss/D", -1.0 / s, s)
        w.add_scalar("Loss_G", 0.5, s)
        w.add_scalar("train/lr", 1e-4, s)
        if s % 100 == 0:
            w.add_scalar("eval/FID", 300.0 / s, s)
            w.add_image("samples", np.random.default_rng(s).random((3, 16, 16)), s)
    w.close()
    return tmp_path / "logs"


def test_a_logdir_becomes_a_run_the_dashboard_shows(logdir, runs, capsys):
    assert import_main([str(logdir), "--runs-dir", str(runs), "--map", "w_estimate=critic/wdist",
                        "--algo", "wgan-gp"]) == 0
    run = runs / "tb-wgan-faces"
    assert str(run) in capsys.readouterr().out
    m = rf.read_metrics(run)
    assert m["step"].tolist() == list(range(1, 301))
    assert m["w_estimate"].iloc[0] == pytest.approx(1.0) and m["loss_d"].iloc[-1] == pytest.approx(-1 / 300)
    assert (m["loss_g"] == 0.5).all()  # guessed from the tag's name
    assert "train_lr" in rf.read_part(rf.part_files(run / "metrics")[-1]).columns  # unmapped tags kept
    assert m["elapsed"].iloc[0] == 0 and m["elapsed"].is_monotonic_increasing  # the events' own clock
    ev = rf.read_evals(run)
    assert ev["step"].tolist() == [100, 200, 300] and ev["fid"].tolist() == pytest.approx([3.0, 1.5, 1.0])
    assert [s for s, _ in rf.step_files(run / "samples", "png")] == [100, 200, 300]
    cfg, st = rf.read_json(run / "config.json"), rf.read_json(run / "status.json")
    assert cfg["algo"] == "wgan-gp" and cfg["user_config"]["map"] == {"critic/wdist": "w_estimate"}
    assert st["state"] == "finished"
    names = traces(app("monitor", run="tb-wgan-faces"))
    assert "tb-wgan-faces · W estimate (critic)" in names and "tb-wgan-faces · FID" in names
    # again: the same run, imported once more, not a second copy
    assert import_main([str(logdir), "--runs-dir", str(runs), "--map", "w_estimate=critic/wdist"]) == 0
    assert rf.list_runs(runs) == ["tb-wgan-faces"] and len(rf.read_metrics(run)) == 300


def test_common_tag_names_are_guessed_and_a_mapping_wins():
    assert column_for("critic/Wasserstein_Distance", {}) == "w_estimate"
    assert column_for("losses/d_loss", {}) == "loss_d" and column_for("G_loss", {}) == "loss_g"
    assert column_for("eval/fid", {}) == "fid" and column_for("2/weird tag", {}) == "t_2_weird_tag"
    assert column_for("loss/D", {"loss/D": "w_estimate"}) == "w_estimate"


def test_without_tensorboard_one_clear_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "events.out.tfevents.1").write_bytes(b"")
    real_import = builtins.__import__

    def no_tensorboard(name, *a, **k):
        if name.startswith("tensorboard"):
            raise ImportError("No module named 'tensorboard'")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    assert import_main([str(tmp_path), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install tensorboard" in err
    assert not (tmp_path / "runs").exists() or not rf.list_runs(tmp_path / "runs")


def test_bad_arguments_are_refused(tmp_path, capsys):
    assert import_main([str(tmp_path), "--map", "not an identifier=x"]) == 2
    assert import_main([str(tmp_path)]) == 2 and "no TensorBoard event files" in capsys.readouterr().err
