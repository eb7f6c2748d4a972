"""Every third-party import is declared, checked by deptry (it reads the imports and the requirements).

Two passes: the installed code (trainer/, app/) against requirements.txt and the optional extras,
where importing a dev-only package is an error too; then everything, tests and benchmarks
included, against all of it. A missing, transitive or (in the first pass) unused dependency fails."""

import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT

DEPTRY = [sys.executable, "-m", "deptry"] if shutil.which("deptry") is None else [shutil.which("deptry")]


def local_venvs() -> list[str]:
    """Virtual environments made inside the clone, whatever their name (deptry itself skips only venv and .venv)."""
    return ["^" + re.escape(cfg.parent.name) + "/" for cfg in ROOT.glob("*/pyvenv.cfg")]


def deptry(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*DEPTRY, ".", "--no-ansi", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_installed_code_imports_only_what_requirements_and_extras_declare():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["deptry"]  # the rest from there too
    r = deptry(*(arg for pattern in settings["extend_exclude"] + local_venvs() for arg in ("-ee", pattern)))
    assert r.returncode == 0, r.stdout + r.stderr


def test_tests_and_benchmarks_import_only_what_the_dev_extra_declares():
    r = deptry("--exclude", "|".join([r"\.venv|\.ci-venv|^runs|^build|\.git|test-artifacts"] + local_venvs()),
               "--extend-exclude", "^$", "--optional-dependencies-dev-groups", "", "--ignore", "DEP002")
    assert r.returncode == 0, r.stdout + r.stderr


def test_an_undeclared_import_is_caught(tmp_path):
    """The check can fail: a module importing a package no requirement names."""
    probe = ROOT / "trainer" / "_deptry_probe.py"
    probe.write_text("import wgan_watch_probe_undeclared  # noqa: F401  (installed nowhere, declared nowhere)\n")
    try:
        r = deptry()
    finally:
        probe.unlink()
    if "DEP001" not in r.stdout + r.stderr:
        pytest.fail("deptry did not report an undeclared import:\n" + r.stdout + r.stderr)
