"""The dashboard's garbage-collector freeze (app/collector.py): what is alive after a run that imported new
modules goes where full collections do not walk, once per new import, and a page's run calls it."""

import gc
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from wgan_watch.app import collector


@pytest.fixture
def unfrozen(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(collector, "_modules_at_freeze", 0)
    yield  # (conftest unfreezes after every test)


def test_objects_alive_are_frozen_once_per_new_import(unfrozen, tmp_path, monkeypatch):
    kept = [{"a": [1, 2]} for _ in range(1000)]  # noqa: F841  (alive across the freeze)
    collector.freeze_imports()
    frozen = gc.get_freeze_count()
    assert frozen > 1000
    more = [{"b": [3]} for _ in range(1000)]  # noqa: F841
    collector.freeze_imports()  # nothing imported since: nothing more frozen
    assert gc.get_freeze_count() == frozen
    (tmp_path / "wgan_watch_probe_module.py").write_text("VALUE = [1, 2, 3]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import wgan_watch_probe_module  # noqa: F401
    try:
        collector.freeze_imports()  # a new module: what is alive now, `more` among it, is frozen too
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        del sys.modules["wgan_watch_probe_module"]


def test_a_page_run_freezes_what_the_imports_made(unfrozen, tmp_path):
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert collector._modules_at_freeze == len(sys.modules)
    assert gc.get_freeze_count() > 10_000
