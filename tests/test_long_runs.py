"""Long and busy runs: the dashboard reading a trainer writing at full speed; 100,000 steps."""

import os
import subprocess
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from wgan_watch.runs import runfiles as rf

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
MAIN = str(ROOT / "app" / "main.py")
TINY = ["--width", "8", "--batch-size", "16", "--n-critic", "1", "--eval-samples", "200", "--no-progress"]


def page(name: str, run: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.query_params["run"] = run
    at.query_params["cmp"] = run
    at.switch_page(f"views/{name}.py")
    return at


def visible_errors(at: AppTest) -> list[str]:
    """Exceptions and error boxes, except the advisor's verdict (a "getting worse" run is news, not a fault)."""
    boxes = [str(e.value) for e in at.error if not str(e.value).startswith("**Should I stop?**")]
    return boxes + [str(e.message) for e in at.exception]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_dashboard_reading_a_trainer_writing_at_full_speed_never_errors(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setenv("WGAN_RUNS", str(runs))
    args = ["--steps", "1000000", "--flush-secs", "0.01", "--sample-every", "3", "--snapshot-every", "2",
            "--max-snapshots", "3", "--checkpoint-every", "5", "--eval-every", "7", *TINY,
            "--run-dir", str(runs / "busy")]
    proc = subprocess.Popen([sys.executable, "-m", "trainer", *args], cwd=tmp_path, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not rf.read_metrics(runs / "busy").shape[0] and time.time() < deadline:
            time.sleep(0.2)
        pages = {n: page(n, "busy") for n in ("runs", "monitor", "compare", "latent")}
        end, renders = time.time() + 60, 0
        while time.time() < end:
            for name, at in pages.items():
                at.run()
                assert not visible_errors(at), (name, visible_errors(at))
                renders += 1
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert renders >= 40
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_hundred_thousand_steps_keep_files_bounded_and_load_time_flat(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    run = runs / "long"
    monkeypatch.setenv("WGAN_RUNS", str(runs))
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "--steps", "100000", "--flush-secs", "0.5",
                             "--max-snapshots", "10", *TINY, "--run-dir", str(run)], cwd=tmp_path, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    load_times, files, rss = [], [], []
    at = page("monitor", "long")
    try:
        while proc.poll() is None:
            time.sleep(10)
            n = rf.read_metrics(run).shape[0]
            t = time.perf_counter()
            at.run()
            load_times.append((n, time.perf_counter() - t))
            assert not visible_errors(at)
            files.append(sum(len(f) for _, _, f in os.walk(run)))
            try:
                rss.append(int(next(line for line in open(f"/proc/{proc.pid}/status") if line.startswith("VmRSS")).split()[1]))
            except (OSError, StopIteration):
                pass
        assert proc.returncode == 0, proc.stderr.read().decode()[-2000:]
    finally:
        proc.kill()
    report = (f"rows, refresh seconds: {load_times[::max(1, len(load_times) // 10)]}\n"
              f"files: {files[::max(1, len(files) // 10)]}\nRSS kB: {rss[::max(1, len(rss) // 10)]}\n")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "long-run.txt").write_text(report)  # the figures for notes and READMEs
    print(report)
    m = rf.read_metrics(run)
    assert m["step"].tolist() == list(range(1, 100_001))
    # 33 metrics + 33 evals parts at most, 60 samples, 10 (+1 best) snapshots, checkpoint, config, status, log,
    # and beside each snapshot its ONNX export for the Latent lab (.onnx, .json, .directions.safetensors: 3 x 11)
    assert max(files) <= 145 + 33  # parts merged, samples and snapshots thinned: bounded, whatever the length
    exports = sorted((run / "generator").glob("*.onnx"))
    assert 1 <= len(exports) <= 11  # thinned with the snapshots, not one per snapshot ever written
    assert len(rf.list_snapshots(run)) == 10
    late = [t for n, t in load_times if n > 50_000]
    early = [t for n, t in load_times if 5_000 < n <= 50_000]
    if early and late:
        assert sorted(late)[len(late) // 2] < 3 * sorted(early)[len(early) // 2] + 0.1
    if len(rss) > 4:  # the trainer's memory stays flat: no growing lists
        assert max(rss[len(rss) // 4:]) < 1.2 * rss[len(rss) // 4] + 20_000, rss
