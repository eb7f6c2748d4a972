"""Latent lab latency: from a slider move to the new image, on the embedded digits model.

    python -m bench.latent [--run RUNS/NAME] [--moves 100]

Uses a trained digits run if given (or the newest one under runs/), otherwise writes
a run with a freshly built digits generator (same architecture and cost). Times two
things on this CPU: the page's whole script run after a slider move (Streamlit's
AppTest; in the browser only the sliders' fragment reruns, so this is an upper
bound), and the model work alone (latent move + the generator through onnxruntime + PNG encode).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pick_run(arg: str | None) -> Path:
    from wgan_watch.runs import generator_files as gf
    from wgan_watch.runs import runfiles as rf

    if arg:
        return Path(arg).resolve()
    for name in rf.list_runs(ROOT / "runs"):
        d = ROOT / "runs" / name
        cfg = rf.read_json(d / "config.json") or {}
        if cfg.get("data") == "digits" and gf.onnx_steps(d):
            return d
    from tests.fixtures import write_fixture_run
    from wgan_watch import TrainConfig
    from wgan_watch.models import build_models
    from wgan_watch.runs.generator_export import export_generator

    d = write_fixture_run(Path(tempfile.mkdtemp()), "digits-untrained", data="digits", n=100)
    export_generator(d, 100, build_models(TrainConfig(data="digits"))[0].eval())  # the default width
    return d


def pct(xs, q) -> float:
    return float(np.percentile(np.asarray(xs) * 1000, q))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run")
    ap.add_argument("--moves", type=int, default=100)
    args = ap.parse_args()
    run_dir = pick_run(args.run)
    os.environ["WGAN_RUNS"] = str(run_dir.parent)
    from streamlit.testing.v1 import AppTest

    from wgan_watch.app import lab
    from wgan_watch.app import latents as L
    from wgan_watch.runs import generator_files as gf

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.query_params["run"] = run_dir.name
    at.switch_page("views/latent.py").run()
    assert not at.exception, at.exception
    assert at.slider, [e.value for e in list(at.info) + list(at.error) + list(at.markdown)]
    page, model = [], []
    rng = np.random.default_rng(0)
    for i in range(args.moves):
        at.slider(key=f"lab_sefa_{i % 6}").set_value(round(float(rng.uniform(-3, 3)), 1))
        t = time.perf_counter()
        at.run()
        page.append(time.perf_counter() - t)
    assert not at.exception
    step = gf.onnx_steps(run_dir)[-1][0]
    G = lab.generator(run_dir, step)
    dirs, _ = lab.directions(run_dir, step, "sefa", 6, G.latent_dim)
    for i in range(args.moves):
        amounts = rng.uniform(-3, 3, 6).tolist()
        t = time.perf_counter()
        lab.image_grid_png(G, L.move(L.seed_latents(range(8), G.latent_dim), dirs, amounts), ncol=8)
        model.append(time.perf_counter() - t)
    print(f"Latent lab, slider move to new image: {run_dir.name}, {args.moves} moves, "
          f"{platform.machine()}, {os.cpu_count()} cores, milliseconds")
    print("| what | p50 | p95 | max |")
    print("|---|---|---|---|")
    for name, xs in (("whole page script (AppTest)", page), ("model work: move + G(8 latents) + PNG", model)):
        print(f"| {name} | {pct(xs, 50):.1f} | {pct(xs, 95):.1f} | {max(xs) * 1000:.1f} |")


if __name__ == "__main__":
    main()
