"""The house's plan, held against its imports (README "Layout"): the run-folder contract and the advisor
import no torch, the dashboard stands on them and on nothing that trains, no two modules import each other
round a circle (bench/ included), and the installed package lists every folder of code."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT

# the dashboard may import these parts of wgan_watch (and itself): the contract, the advisor, the settings
# dataclass behind the start form and config.json, and starting runs in the background; all torch-free
DASHBOARD_MAY_IMPORT = ("wgan_watch.runs", "wgan_watch.advice", "wgan_watch.config", "wgan_watch.spawn",
                        "wgan_watch.study.analysis", "wgan_watch.study.design", "wgan_watch.app")


def module_name(path: Path) -> str:
    """The dotted name a file of this tree has once installed (pyproject.toml's package-dir)."""
    rel = path.relative_to(ROOT).with_suffix("")
    top, *rest = rel.parts
    base = {"trainer": ["wgan_watch"], "app": ["wgan_watch", "app"]}.get(top, [top])
    parts = base + [p for p in rest if p != "__init__"]
    return ".".join(parts)


def sources(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py") if "__pycache__" not in p.parts)


def imports_of(path: Path) -> set[str]:
    """Every module this file imports, at the top or inside a function, relative imports resolved; `from P
    import X` counts as P.X when P.X is a module of this tree, else as P."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            out.update(f"{base}.{a.name}" for a in node.names)
            out.add(base)
    return out


def our_graph(folders=("trainer", "app", "bench")) -> dict[str, set[str]]:
    files = sources(*folders)
    modules = {module_name(p) for p in files}
    graph = {}
    for p in files:
        me = module_name(p)
        targets = {t for t in imports_of(p) if t in modules}
        # a package's own __init__ (and its parents') runs before any of its modules: not an arrow
        graph[me] = {t for t in targets if t != me and not me.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_in_the_package_the_dashboard_or_the_benchmarks():
    graph = our_graph()
    assert len(graph) > 60 and graph["wgan_watch.app.load"]  # the walk found the tree and its arrows
    assert cycles(graph) == []


def test_the_circle_check_can_fail():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_dashboard_imports_nothing_that_trains():
    wrong = [f"{p.relative_to(ROOT)} imports {t}" for p in sources("app") for t in sorted(imports_of(p))
             if (t.startswith("wgan_watch") and t != "wgan_watch" and not t.startswith(DASHBOARD_MAY_IMPORT))
             or t.split(".")[0] == "torch"]
    assert wrong == []


def test_the_dashboard_check_can_fail(tmp_path, monkeypatch):
    probe = ROOT / "app" / "_house_probe.py"
    probe.write_text("from wgan_watch.models import build_models  # noqa: F401\n")
    try:
        found = [t for t in imports_of(probe) if t.startswith("wgan_watch") and not t.startswith(DASHBOARD_MAY_IMPORT)]
    finally:
        probe.unlink()
    assert "wgan_watch.models.build_models" in found


def test_the_trainer_imports_itself_by_relative_names_only():
    """So that a clone's `python -m trainer` and an installed `wgan_watch` each hold one copy of every module."""
    wrong = [f"{p.relative_to(ROOT)}: {t}" for p in sources("trainer") for node in ast.walk(ast.parse(p.read_text()))
             if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0)
             for t in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
             if t.split(".")[0] in ("wgan_watch", "trainer", "app")]
    assert wrong == []


# torch cannot be imported: a finder that refuses it (rather than sys.modules['torch'] = None, which libraries
# that only look whether torch was imported, as scipy does, trip over)
NO_TORCH_PRELUDE = """import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r} (made unimportable by the test)")
sys.meta_path.insert(0, NoTorch())
import tests.this_tree as t
t.install()
"""


def run_without_torch(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh Python where `import torch` fails, with this tree importable as wgan_watch."""
    prelude = NO_TORCH_PRELUDE
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_the_contract_and_the_advisor_import_without_torch():
    names = sorted(module_name(p) for p in sources("trainer/runs", "trainer/advice"))
    names += ["wgan_watch", "wgan_watch.config", "wgan_watch.spawn", "wgan_watch.study.analysis",
              "wgan_watch.study.design", "wgan_watch.study.worker", "wgan_watch.study.queue"]
    r = run_without_torch(f"import importlib\nfor n in {names!r}: importlib.import_module(n)\nprint('ok')")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    assert len(names) >= 15  # every module of both subpackages
    # and the block is real: what trains does need torch
    r = run_without_torch("import wgan_watch.loop")
    assert r.returncode != 0 and "torch" in r.stderr


def test_the_installed_package_lists_every_folder_of_code():
    with open(ROOT / "pyproject.toml", "rb") as f:
        tool = tomllib.load(f)["tool"]["setuptools"]
    folders = {module_name(p) for p in sources("trainer", "app") if p.name == "__init__.py"}
    assert set(tool["packages"]) == folders
    assert tool["package-dir"] == {"wgan_watch": "trainer", "wgan_watch.app": "app"}
    assert not (ROOT / "app" / "views" / "__init__.py").exists() and "views/*.py" in tool["package-data"][
        "wgan_watch.app"]


def test_old_names_still_work_inside_the_clone(tmp_path):
    """`python -m trainer` and `from trainer import Recorder` from the clone's root, as before the rename."""
    code = ("from trainer import Recorder, TrainConfig\nimport sys\n"
            f"with Recorder({str(tmp_path / 'old')!r}, algo='wgan') as rec:\n    rec.log(1, w_estimate=1.0)\n"
            "print('torch' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr
    r = subprocess.run([sys.executable, "-m", "trainer", "--help"], cwd=ROOT, capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0 and "usage: python -m trainer" in r.stdout, r.stderr


def test_every_page_of_the_dashboard_runs_without_torch(runs):
    """Each of the five pages, on runs of every kind (the Latent lab on a real exported generator), in a Python
    where `import torch` fails: the dashboard needs no torch."""
    from tests.fixtures import write_fixture_run, write_generator_run

    write_generator_run(runs, "gen")
    for algo in ("wgan-gp", "gan"):
        write_fixture_run(runs, f"st-{algo}", algo=algo, group="st", study_sample=0)
    pages = [("runs", {}), ("monitor", {"run": "gen"}), ("compare", {"cmp": "st-gan"}), ("study", {}),
             ("latent", {"run": "gen"})]
    code = (f"from streamlit.testing.v1 import AppTest\nfor page, params in {pages!r}:\n"
            f"    at = AppTest.from_file({str(ROOT / 'app' / 'main.py')!r}, default_timeout=120)\n"
            "    for k, v in params.items(): at.query_params[k] = v\n"
            "    at.switch_page(f'views/{page}.py').run()\n"
            "    assert not at.exception, (page, at.exception)\n"
            "    assert not at.error, (page, [e.value for e in at.error])\n"
            "print('pages ok; torch importable:', sys.modules.get('torch') is not None)")
    r = subprocess.run([sys.executable, "-c", NO_TORCH_PRELUDE + code], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                    "WGAN_RUNS": str(runs), "HOME": str(runs)})
    assert r.returncode == 0 and "pages ok; torch importable: False" in r.stdout, r.stdout[-2000:] + r.stderr[-3000:]
