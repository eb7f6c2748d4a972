"""Nothing lost: kills at random moments, a full disk, hostile files in a run folder."""

import errno
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.fixtures import metrics_frame
from wgan_watch import train
from wgan_watch.runs import atomic
from wgan_watch.runs import runfiles as rf

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def test_full_disk_fails_the_run_with_a_message_and_keeps_what_was_written(tiny, monkeypatch):
    cfg = tiny(steps=40, checkpoint_every=10)
    real_write = atomic.atomic_write_bytes
    state = {"armed": False}

    def disk_full(path, data):
        if state["armed"] and "metrics" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", disk_full)
    from wgan_watch import objectives

    real_g = objectives.WGANGP.generator_loss
    calls = {"n": 0}

    def arm_after_20(self, D, fake):
        calls["n"] += 1
        state["armed"] = calls["n"] > 20
        return real_g(self, D, fake)

    monkeypatch.setattr(objectives.WGANGP, "generator_loss", arm_after_20)
    with pytest.raises(OSError):
        train(cfg)
    run = Path(cfg.run_dir)
    st_ = rf.read_json(run / "status.json")
    assert st_["state"] == "failed" and "No space left" in st_["message"]
    m = rf.read_metrics(run)  # what was written is intact and readable
    assert m["step"].tolist() == list(range(1, int(m["step"].max()) + 1)) and m["step"].max() >= 10
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] >= 10
    assert not [p for p in run.rglob("*.tmp")]  # no temporary files left behind


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_twenty_sigkills_at_random_moments_lose_no_step(tmp_path):
    """Kill -9 during flushes, snapshots and checkpoints (all every few steps), resume, 20 times."""
    run = tmp_path / "r"
    args = ["--steps", "1000000", "--width", "16", "--batch-size", "32", "--flush-secs", "0.01",
            "--checkpoint-every", "7", "--snapshot-every", "3", "--sample-every", "5", "--eval-every", "11",
            "--eval-samples", "100", "--max-snapshots", "4", "--no-progress", "--run-dir", str(run)]
    rng = random.Random(0)
    kills = 0
    proc = subprocess.Popen([sys.executable, "-m", "trainer", *args], cwd=tmp_path, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while kills < 20:
        ckpt = run / "checkpoints" / "last.pt"
        resumed_at = torch.load(ckpt, weights_only=True)["step"] if ckpt.exists() else 0
        deadline = time.time() + 120
        while time.time() < deadline:  # until this process trains past its next checkpoint, however slow the machine
            st_ = rf.read_json(run / "status.json") or {}
            if st_.get("pid") == proc.pid and st_.get("state") == "running" and st_.get("step", 0) >= resumed_at + 7:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.05, 1.5))  # then a random moment: mid-step, mid-flush, mid-checkpoint
        assert proc.poll() is None, "a trainer died on its own"
        proc.kill()
        proc.wait()
        kills += 1
        # every file stays readable after each kill
        rf.read_metrics(run), rf.read_evals(run), rf.read_json(run / "config.json")
        assert rf.read_json(run / "status.json") is not None
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "--resume", str(run), "--no-progress"],
                                cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.send_signal(15)  # the 21st trainer: stop it cleanly, then finish 20 steps past its checkpoint
    proc.wait(timeout=120)
    steps = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] + 20
    r = subprocess.run([sys.executable, "-m", "trainer", "--resume", str(run), "--steps", str(steps), "--no-progress"],
                       cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    m = rf.read_metrics(run)
    assert kills == 20
    assert steps > 100  # the lives trained past their checkpoints (every 7 steps) before their kills
    assert m["step"].tolist() == list(range(1, steps + 1))
    assert rf.read_json(run / "status.json")["state"] == "finished"
    assert len(rf.list_snapshots(run)) <= 4


# --- readers under fire ------------------------------------------------------------------

garbage = st.one_of(st.binary(max_size=2000), st.just(b""), st.just(b"PAR1"), st.just(b"PAR1" + b"\0" * 100 + b"PAR1"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=garbage, cut=st.integers(0, 5000), name=st.sampled_from(["part-000002.parquet", "part-999999.parquet"]))
def test_readers_return_the_valid_parts_and_report_the_rest(tmp_path_factory, junk, cut, name):
    d = tmp_path_factory.mktemp("r")
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
    good = w.write(metrics_frame(5))
    (d / "metrics" / name).write_bytes(junk)
    data = good.read_bytes()
    (d / "metrics" / "part-000003.parquet").write_bytes(data[: cut % len(data)])  # truncated copy
    problems = []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = rf.read_metrics(d, problems)
    assert df["step"].tolist() == [1, 2, 3, 4, 5]
    assert len(problems) <= 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=st.sampled_from(["wrong", "nostep", "strings"]))
def test_wrong_schema_parts_are_skipped_or_coerced(tmp_path_factory, frame):
    import pandas as pd

    d = tmp_path_factory.mktemp("r")
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
    w.write(metrics_frame(3))
    bad = {"wrong": pd.DataFrame({"a": [1, 2]}), "nostep": pd.DataFrame({"w_estimate": [0.1]}),
           "strings": pd.DataFrame({"step": ["x", "4"], "w_estimate": ["a", "b"]})}[frame]
    rf.atomic_write_parquet(d / "metrics" / "part-000009.parquet", bad)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = rf.read_metrics(d)
    assert {1, 2, 3} <= set(df["step"].tolist())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300), text=st.text(max_size=300))
def test_broken_json_files_read_as_missing(tmp_path_factory, blob, text):
    d = tmp_path_factory.mktemp("j")
    (d / "status.json").write_bytes(blob)
    (d / "config.json").write_text(text)
    for f in ("status.json", "config.json"):
        v = rf.read_json(d / f)
        assert v is None or isinstance(v, dict)
    assert rf.effective_state(rf.read_json(d / "status.json")) in rf.STATES + ("unknown", "lost")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "\0" not in s),
                      max_size=8))
def test_odd_file_names_are_ignored_by_listings(tmp_path_factory, names):
    d = tmp_path_factory.mktemp("n")
    for n in names:
        try:
            (d / n).mkdir()
            (d / n / "config.json").write_text("{}")
        except OSError:
            continue  # a name the filesystem refuses
    for name in rf.list_runs(d):
        assert rf.is_valid_run_name(name)
        assert rf.resolve_run(d, name).parent == d.resolve()
    assert rf.part_files(d) == [] and rf.step_files(d, "png") == []
