"""The dashboard's garbage-collector freeze (app/collector.py): after a run that imported many modules, what is
alive goes where full collections do not walk, garbage of the moment is collected first, and a page's run
calls it."""

import gc
import importlib
import sys
import weakref

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from wgan_watch.app import collector


@pytest.fixture
def unfrozen(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(collector, "_modules_at_freeze", 0)
    yield  # (conftest unfreezes after every test)


class Node:
    pass


def test_a_freeze_comes_after_many_new_modules_and_keeps_no_garbage(unfrozen, tmp_path, monkeypatch):
    kept = [{"a": [1, 2]} for _ in range(1000)]  # noqa: F841  (alive across the freeze)
    cycle = Node()
    cycle.me = cycle  # garbage once dropped, but only a collection frees it
    gone = weakref.ref(cycle)
    del cycle
    collector.freeze_imports()  # the first: every module so far is new
    frozen = gc.get_freeze_count()
    assert frozen > 1000
    assert gone() is None  # collected before the freeze, not kept for the process's life
    probe = "wgan_watch_probe_module"  # a module made here (a name, so deptry looks for no requirement)
    (tmp_path / f"{probe}.py").write_text("VALUE = [1, 2, 3]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module(probe)
    try:
        more = [{"b": [3]} for _ in range(1000)]  # noqa: F841
        collector.freeze_imports()  # one new module: not worth a freeze
        assert gc.get_freeze_count() == frozen
        monkeypatch.setattr(collector, "NEW_MODULES", 1)
        collector.freeze_imports()  # counted as many: what is alive now, `more` among it, is frozen too
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        del sys.modules[probe]


def test_a_page_run_freezes_what_the_imports_made(unfrozen):
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert collector._modules_at_freeze > 0
    assert gc.get_freeze_count() > 10_000
