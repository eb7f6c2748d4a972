"""Import this tree's code as `wgan_watch`, whatever the environment has installed.

The suite tests the files beside it (bench/mutants.py runs it in mutated copies of the tree), so conftest.py
installs this finder first. A subprocess that must run this tree's code either uses the clone's own name
(`python -m trainer`, with PYTHONPATH=ROOT) or starts with `import tests.this_tree as t; t.install()`."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"wgan_watch": ROOT / "trainer", "wgan_watch.app": ROOT / "app"}  # as pyproject.toml maps them


class ThisTree(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        folder = PACKAGES.get(name)
        if folder is None:
            return None
        return importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])


def install() -> None:
    if not any(isinstance(f, ThisTree) for f in sys.meta_path):
        sys.meta_path.insert(0, ThisTree())
