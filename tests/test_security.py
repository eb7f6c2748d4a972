"""Nothing let in: loopback and XSRF by default, no unpickling in the dashboard, no shell."""

import ast
import tomllib
from pathlib import Path

from tests.conftest import ROOT


def py_files(folder):
    return sorted((ROOT / folder).rglob("*.py"))


def calls(path: Path) -> list[str]:
    """Dotted names of everything called in a file (e.g. 'torch.load', 'subprocess.Popen')."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f, parts = node.func, []
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
            out.append(".".join(reversed(parts)))
    return out


def test_dashboard_listens_on_loopback_with_xsrf_protection():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["server"]["enableXsrfProtection"] is True


def test_dashboard_never_unpickles():
    for path in py_files("app"):
        text = path.read_text()
        assert "import pickle" not in text and "torch.load" not in text, path
        for name in calls(path):
            assert not name.endswith(("pickle.load", "pickle.loads", "torch.load", "joblib.load", "jit.load",
                                      "export.load", "load_state_dict")), (path, name)
        assert "allow_pickle=True" not in text


def test_every_torch_load_is_weights_only():
    for path in py_files("trainer") + py_files("app"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "load" and \
                    getattr(node.func.value, "id", "") == "torch":
                kw = {k.arg: k.value for k in node.keywords}
                assert isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is True, path


def test_no_shell_anywhere():
    for path in py_files("trainer") + py_files("app"):
        text = path.read_text()
        assert "shell=True" not in text and "os.system" not in text, path
        assert "os.popen" not in text, path


def test_generator_weights_are_safetensors_only(tmp_path):
    """A run folder with a pickle bomb in place of a snapshot: load_generator refuses it without running it."""
    import pickle

    import pytest

    from wgan_watch import TrainConfig, load_generator, train

    run = train(TrainConfig(steps=2, width=8, eval_every=2, sample_every=2, snapshot_every=2, checkpoint_every=2,
                            eval_samples=50, progress=False, run_dir=str(tmp_path / "r")))
    marker = tmp_path / "pwned"

    class Bomb:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    snap = run / "generator" / "step_00000002.safetensors"
    snap.write_bytes(pickle.dumps(Bomb()))
    with pytest.raises(Exception):
        load_generator(run)
    assert not marker.exists()
