import gc
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.*, bench.*

from tests.this_tree import install  # noqa: E402

install()  # `wgan_watch` is this tree's trainer/ and app/, whatever is installed
os.environ.setdefault("OMP_NUM_THREADS", "2")
# no test reaches the network: the standard Inception weights "come" from a file URL that is not there (offline)
os.environ.setdefault("WGAN_WATCH_INCEPTION_URL", "file:///nonexistent/weights-inception-2015-12-05-6726825d.pth")
# one digit classifier (FID features) for the whole session, trained on first use
os.environ.setdefault("WGAN_WATCH_CACHE", str(Path(os.environ.get("TMPDIR", "/tmp")) / "wgan-watch-test-cache"))


@pytest.fixture(autouse=True)
def _unfrozen():
    """The dashboard freezes the garbage collector's view of what is alive after a page's run (app/collector.py):
    right for its server, not for this process, where each test's objects must be collectable after it."""
    yield
    gc.unfreeze()


@pytest.fixture
def tiny(tmp_path):
    """Keyword arguments for a TrainConfig that trains in well under a second a step."""
    def make(**kw):
        from wgan_watch import TrainConfig

        base = dict(steps=12, width=32, eval_every=5, sample_every=5, snapshot_every=5, checkpoint_every=5,
                    eval_samples=200, flush_secs=0.05, progress=False, device="cpu",
                    run_dir=str(tmp_path / f"run-{kw.get('algo', 'wgan-gp')}-{kw.get('data', 'g8')}"))
        base.update(kw)
        return TrainConfig(**base)
    return make


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """An empty runs folder that the dashboard (AppTest) reads through $WGAN_RUNS."""
    d = tmp_path / "runs"
    d.mkdir()
    monkeypatch.setenv("WGAN_RUNS", str(d))
    return d


# --- CI: a skip that hides a feature is a failure ------------------------------------------------
# .ci/run sets WGAN_WATCH_NO_SKIPS: there a test that skips (chromium missing, an extra not installed)
# fails instead, so a green CI run means every feature was exercised. Only GPU-only tests may skip.

def _skip_reason(report) -> str:
    return str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)


def _gpu_only(reason: str) -> bool:
    return "GPU" in reason or "CUDA" in reason


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("WGAN_WATCH_NO_SKIPS") and report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        if not _gpu_only(reason):
            report.outcome = "failed"
            report.longrepr = f"skipped, and WGAN_WATCH_NO_SKIPS (CI) allows only GPU-only skips: {reason}"


def pytest_terminal_summary(terminalreporter):
    gpu = [r for r in terminalreporter.stats.get("skipped", []) if _gpu_only(_skip_reason(r))]
    if gpu:
        terminalreporter.write_line(f"{len(gpu)} GPU-only test(s) skipped: this machine has no CUDA GPU")
