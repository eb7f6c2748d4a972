"""Slider to new picture in a real browser: the latent lab on a digits run, a 64x64 DCGAN and a toy run, against
the floor. Every generator runs through onnxruntime from its ONNX export, as the lab always does.

    python -m bench.sliders [--moves 20] [--repeat 2]

Headless Chromium (Debian's, through Playwright) moves a slider with the keyboard (ArrowRight /
ArrowLeft, one 0.1 step) and times from the keydown to the new image loaded in the page (on a toy run
too: the moved points are drawn over the critic's heatmap as one picture). The floor: a page with one slider
and one image (bench/slider_floor.py), in the same run, alternating. Also the interpolation strip (a new frames
count; its GIF is built in the same call, for the download and for "Play the animations", off here).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser_harness import Browser, Server  # noqa: E402

KEYDOWN = "window.__kd = 0; document.addEventListener('keydown', () => { window.__kd = performance.now(); }, true);"
NEW_IMAGE = """old => { const i = document.querySelector("[data-testid='stImage'] img");
  return i && i.src !== old && i.complete && i.naturalWidth > 0 ? performance.now() - window.__kd : null; }"""


def make_runs(root: Path) -> dict[str, str]:
    """Runs whose exported generators have the default sizes (untrained: the same cost as trained ones): digits,
    gaussians8, and a 64x64 colour DCGAN (the DCGAN paper's size: 512 channels at 4x4, latent 100)."""
    from tests.fixtures import write_fixture_run
    from wgan_watch import TrainConfig
    from wgan_watch.models import DCGenerator, build_models
    from wgan_watch.runs.generator_export import export_generator

    out = {}
    for data in ("digits", "gaussians8", "dcgan64"):
        d = write_fixture_run(root, f"lab-{data}", data="gaussians8" if data == "gaussians8" else "digits", n=100)
        G = (DCGenerator(100, 64, 64, 3) if data == "dcgan64" else build_models(TrainConfig(data=data))[0]).eval()
        assert export_generator(d, 100, G) is None
        out[data] = d.name
    return out


SAME_PICTURE = float("nan")  # a move whose picture came out byte for byte the same: no new image to time


def slider_moves(browser: Browser, url: str, moves: int) -> list[float]:
    """Milliseconds from each keydown on the first latent slider to the new picture (SAME_PICTURE for a move
    that left the picture as it was: an untrained toy generator can move its points by less than a pixel)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    times = []
    with browser.page(url) as p:
        page = p.page
        page.wait_for_selector("[data-testid='stImage'] img", timeout=120_000)
        page.wait_for_timeout(2000)
        p.stop_recording()  # (the harness's chart recorder: it would look at every frame, taking CPU from both)
        page.evaluate(KEYDOWN)
        # the first slider: the floor's only one, or the lab's "direction 1" (one snapshot: no step slider)
        page.locator("[data-testid='stSlider'] input[type='range']").first.focus()
        for i in range(moves):
            old = page.evaluate("() => (document.querySelector(\"[data-testid='stImage'] img\") || {}).src")
            page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
            try:
                times.append(page.wait_for_function(NEW_IMAGE, arg=old, timeout=20_000, polling="raf").json_value())
            except PlaywrightTimeout:  # no new picture in 20 s: the same picture, or a very slow one (its time)
                slow = page.evaluate(NEW_IMAGE, old)
                times.append(SAME_PICTURE if slow is None else slow)
            page.wait_for_timeout(300)
    return times


NEW_STRIP = """old => { const i = document.querySelectorAll("[data-testid='stImage'] img")[1];
  return i && i.src !== old && i.complete && i.naturalWidth > 0 ? performance.now() - window.__kd : null; }"""


def interpolation_times(browser: Browser, url: str, repeats: int) -> list[float]:
    """Milliseconds from Enter in the Frames box to the new interpolation strip (its GIF is built in the same call)."""
    times = []
    with browser.page(url) as p:
        page = p.page
        page.wait_for_selector("[data-testid='stImage'] img", timeout=120_000)
        page.wait_for_timeout(2000)
        p.stop_recording()
        page.evaluate(KEYDOWN)
        box = page.get_by_role("spinbutton", name="Frames")
        for i in range(repeats):
            old = page.evaluate("() => (document.querySelectorAll(\"[data-testid='stImage'] img\")[1] || {}).src")
            box.fill(str(10 + i % 2 * 6))
            box.press("Enter")
            times.append(page.wait_for_function(NEW_STRIP, arg=old, timeout=60_000, polling="raf").json_value())
            page.wait_for_timeout(300)
    return times


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    runs = Path(tempfile.mkdtemp(prefix="bench-sliders-")) / "runs"
    runs.mkdir()
    names = make_runs(runs)
    res: dict[str, list[float]] = {"floor: one slider, one image": [], "latent lab, digits": [],
                                   "latent lab, 64x64 DCGAN": [], "latent lab, gaussians8 (points over the critic)": []}
    with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(runs)]) as lab, \
            Server([str(ROOT / "bench" / "slider_floor.py")]) as floor, Browser() as browser:
        for _ in range(args.repeat):
            res["floor: one slider, one image"] += slider_moves(browser, floor.url, args.moves)
            res["latent lab, digits"] += slider_moves(browser, lab.url + f"/latent?run={names['digits']}",
                                                      args.moves)
            res["latent lab, 64x64 DCGAN"] += slider_moves(browser, lab.url + f"/latent?run={names['dcgan64']}",
                                                           args.moves)
            res.setdefault("interpolation strip, digits (10/16 frames)", []).extend(
                interpolation_times(browser, lab.url + f"/latent?run={names['digits']}", max(4, args.moves // 4)))
            res["latent lab, gaussians8 (points over the critic)"] += slider_moves(
                browser, lab.url + f"/latent?run={names['gaussians8']}", args.moves)
    print(f"Slider to new picture in headless Chromium: {platform.machine()}, {os.cpu_count()} cores, "
          f"{args.repeat} x {args.moves} keyboard moves each, milliseconds")
    print("| page | p50 | p95 | max | moves with no new picture |")
    print("|---|---|---|---|---|")
    for name, all_xs in res.items():
        xs = [x for x in all_xs if x == x] or [float("nan")]  # (every move the same picture: no time to give)
        print(f"| {name} | {pct(xs, 50):.0f} | {pct(xs, 95):.0f} | {max(xs):.0f} | {sum(x != x for x in all_xs)} |")


if __name__ == "__main__":
    main()
