"""The other pages at scale, in Chromium: Compare with a trio over four seeds, the Study page on a 72-run study,
the Latent lab's run list with 1,000 runs.

    python -m bench.pages [--repeat 5] [--only compare study lab] [--link-mbit 10]

Runs written from the contract (tests/fixtures.py: 2,000 metric rows and 20 evaluations each; the lab's
runs each hold the same small ONNX generator, exported once through Recorder.generator and hard-linked).
Each page in its own server, first visit (cold) then --repeat visits in fresh browser contexts (warm
server), each reloaded once in its context (the browser's cache warm); seconds from navigation to every chart
drawn (Compare, Study: every chart of the tab a link opens, the first) or to the generated image (the lab).
With --link-mbit, the browser reaches the server over an emulated link (that many Mbit/s, 40 ms).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser_harness import Browser, Server  # noqa: E402
from tests.fixtures import write_fixture_run  # noqa: E402

ALGOS = ("wgan-gp", "wgan", "gan")


def compare_runs(root: Path) -> str:
    """A trio over four seeds, started together: one group."""
    for seed in range(4):
        for i, algo in enumerate(ALGOS):
            write_fixture_run(root, f"trio-{algo}-s{seed}", algo=algo, n=2000, eval_every=100, group="trio",
                              seed=seed, quality=0.05 + 0.02 * i + 0.01 * seed)
    return "compare?group=trio"


def study_runs(root: Path) -> str:
    """72 runs: 3 algorithms x 8 settings samples x 3 seeds, as `python -m wgan_watch study s72` names them."""
    for i, algo in enumerate(ALGOS):
        for k in range(8):
            for seed in range(3):
                write_fixture_run(root, f"s72-{algo}-k{k:02d}-s{seed}", algo=algo, n=2000, eval_every=100,
                                  group="s72", seed=seed, study_sample=k,
                                  quality=0.04 + 0.03 * i + 0.01 * k + 0.005 * seed)
    return "study?study=s72"


def lab_runs(root: Path, n: int = 1000) -> str:
    """n digits-like runs, each with the same exported generator (a small MLP, 16 latents to 28x28)."""
    import torch

    from wgan_watch import Recorder

    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 784), torch.nn.Tanh(),
                            torch.nn.Unflatten(1, (1, 28, 28)))
    template = root.parent / "lab-template"
    with Recorder(template, algo="wgan-gp", data="digits", steps=1000) as rec:
        rec.log(1, w_estimate=1.0)
        if not rec.generator(1000, G):
            raise RuntimeError("the generator could not be exported")
    for i in range(n):
        d = write_fixture_run(root, f"lab-{i:04d}", data="digits", n=200, eval_every=100)
        (d / "generator").mkdir()
        for f in (template / "generator").iterdir():
            os.link(f, d / "generator" / f.name)
    return "latent"


def visit(browser: Browser, url: str, image: bool) -> tuple[float, float]:
    """(in a fresh browser context, reloaded in it with the browser's cache warm)."""
    def shown(p) -> float:
        """Seconds from the navigation's start, by the page's own clock (performance.now())."""
        if image:
            p.page.locator('[data-testid="stImage"] img[src^="data:image"]').first.wait_for(timeout=300_000)
            return p.page.evaluate("performance.now()") / 1000
        p.page.locator(".js-plotly-plot").first.wait_for(timeout=300_000)
        return p.wait_all_drawn()

    return browser.fresh_then_reloaded(url, shown)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=("compare", "study", "lab"), nargs="+", help="these pages only")
    ap.add_argument("--link-mbit", type=float, help="an emulated link to the server: Mbit/s each way, 40 ms")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    cases = {"Compare, a trio over 4 seeds (12 runs)": (compare_runs, False),
             "Study, 72 runs (3 algorithms x 8 settings x 3 seeds)": (study_runs, False),
             "Latent lab, 1,000 runs with a generator": (lab_runs, True)}
    if args.only:
        cases = {k: v for k, v in cases.items() if v[0].__name__.split("_")[0] in args.only}
    results = {}
    with Browser(args.link_mbit) as browser:
        for name, (make, image) in cases.items():
            root = tmp / make.__name__
            root.mkdir()
            path = make(root)
            with Server([str(ROOT / "app" / "main.py"), "--", "--runs-dir", str(root)]) as server:
                url = f"{server.url}/{path}"
                cold, _ = visit(browser, url, image)
                warm = [visit(browser, url, image) for _ in range(args.repeat)]
            results[name] = (cold, [w[0] for w in warm], [w[1] for w in warm])
    print(f"Pages at scale, Debian chromium headless, {platform.machine()}, {os.cpu_count()} cores; seconds from "
          f"navigation to every chart drawn (Compare, Study: the first tab's; the lab: its image); warm: median of "
          f"{args.repeat} fresh contexts"
          + (f"; over an emulated {args.link_mbit:g} Mbit/s, 40 ms link" if args.link_mbit else ""))
    print("| page | cold: first visit after start (s) | warm server (s) | warm server and browser cache (s) |")
    print("|---|---|---|---|")
    for name, (cold, warm, cached) in results.items():
        print(f"| {name} | {cold:.2f} | {statistics.median(warm):.2f} ({min(warm):.2f}–{max(warm):.2f}) | "
              f"{statistics.median(cached):.2f} ({min(cached):.2f}–{max(cached):.2f}) |")


if __name__ == "__main__":
    main()
