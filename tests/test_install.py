"""Installed like a tool: `pip install -e .` gives a `wgan-watch` command and `from wgan_watch import Recorder`
anywhere, even in a folder with its own trainer.py and app.py; a plain `pip install .` gives the same without
the clone, and puts no bare `trainer` or `app` package into site-packages."""

import os
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wgan_watch.launch import SERVER_SETTINGS, dashboard_command, main


def test_the_launcher_passes_the_projects_streamlit_settings():
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        toml = tomllib.load(f)
    flat = {f"{section}.{k}": str(v).lower() if isinstance(v, bool) else str(v)
            for section, values in toml.items() for k, v in values.items()}
    assert flat.pop("server.address") == "127.0.0.1"
    assert flat == SERVER_SETTINGS
    cmd = dashboard_command("somewhere", 8600, "127.0.0.1")
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8600" in cmd
    assert cmd[-2:] == ["--runs-dir", str(Path("somewhere").resolve())]


def test_subcommands_are_the_trainers(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(w in out for w in ("train", "demo", "import-tensorboard", "--runs-dir", "--port", "--host"))
    assert main(["train", "--steps", "-1"]) == 2 and "steps must be at least 1" in capsys.readouterr().err
    assert main(["--port", "0"]) == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_seeing_this_one(where: Path) -> Path:
    """A new virtual environment whose Python also sees this one's packages (torch is not installed twice)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=300)
    py = where / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_wgan_watch_test_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return py


def check_installed(py: Path, work: Path) -> None:
    """wgan-watch --help, the dashboard's health endpoint, and a Recorder script from another folder, which
    holds a trainer.py and an app.py of its own (common names in training code) that must not shadow ours."""
    (work / "trainer.py").write_text("raise SystemExit('the user\'s own trainer.py was imported')\n")
    (work / "app.py").write_text("raise SystemExit('the user\'s own app.py was imported')\n")
    bin_dir = py.parent
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WGAN_RUNS")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    r = subprocess.run([str(bin_dir / "wgan-watch"), "--help"], cwd=work, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "import-tensorboard" in r.stdout, r.stderr
    script = work / "my_training.py"
    script.write_text("from wgan_watch import Recorder, TrainConfig, train, load_generator  # noqa: F401\n"
                      "with Recorder('runs/mine', algo='wgan', data='mine') as rec:\n"
                      "    for s in range(1, 11):\n"
                      "        rec.log(s, w_estimate=1.0 / s, loss_d=-1.0 / s)\n")
    r = subprocess.run([str(py), script.name], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from wgan_watch.runs import runfiles as rf

    assert rf.list_runs(work / "runs") == ["mine"] and len(rf.read_metrics(work / "runs" / "mine")) == 10
    port = free_port()
    server = subprocess.Popen([str(bin_dir / "wgan-watch"), "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as resp:
                    assert resp.read() == b"ok"
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.3)
        else:
            raise AssertionError("the dashboard did not answer")
    finally:
        server.terminate()
        out = server.communicate(timeout=30)[0]
    assert str((work / "runs").resolve()) in out  # it showed ./runs of the folder it was started in
    site = Path(sysconfig.get_paths()["purelib"])
    assert not list(site.glob("runs")) and not (ROOT / "runs" / "mine").exists()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_editable_install_gives_the_command_and_the_recorder_anywhere(tmp_path):
    py = venv_seeing_this_one(tmp_path / "venv")
    t = time.time()
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(ROOT)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    print(f"editable install: {time.time() - t:.1f} s")
    (tmp_path / "work").mkdir()
    check_installed(py, tmp_path / "work")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_plain_install_works_without_the_clone(tmp_path):
    py = venv_seeing_this_one(tmp_path / "venv")
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(ROOT)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    where = subprocess.run([str(py), "-c", "import wgan_watch, wgan_watch.app.load as l; print(wgan_watch.__file__, "
                            "l.__file__)"], cwd=tmp_path, capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert str(ROOT) not in where.stdout and where.stdout.count("site-packages") == 2, where
    site = Path(where.stdout.split()[0]).parents[1]
    assert (site / "wgan_watch" / "app" / "views" / "monitor.py").is_file()  # the pages travel with the package
    assert (site / "wgan_watch" / "app" / "assets" / "plotly-basic.min.js").is_file()  # and Compare's chart library
    assert not (site / "trainer").exists() and not (site / "app").exists()  # no bare top-level names
    (tmp_path / "work").mkdir()
    check_installed(py, tmp_path / "work")
