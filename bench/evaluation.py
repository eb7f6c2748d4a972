"""What one evaluation on digits costs, part by part, in one pass and in chunks.

    python -m bench.evaluation [--repeat 7] [--algo gan] [--device cpu]

Times each part of the trainer's evaluation of 1,000 samples on the embedded
digits (the generator's samples, the critic on held-out and generated images,
the digit classifier's features, FID, KID and the Inception Score) with the
images in one batch (NCHW) and as the trainer does it (chunks of
wgan_watch.quality.evaluate.EVAL_CHUNK_CPU on the CPU, the classifier channels-last), and
prints the median milliseconds of `--repeat` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from wgan_watch import TrainConfig  # noqa: E402
from wgan_watch.data import load_data  # noqa: E402
from wgan_watch.quality.evaluate import EVAL_CHUNK_CPU, in_chunks  # noqa: E402
from wgan_watch.quality.features import digit_classifier  # noqa: E402
from wgan_watch.quality.image_quality import ImageQuality  # noqa: E402
from wgan_watch.models import build_models  # noqa: E402
from wgan_watch.runtime import cache_dir  # noqa: E402


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--algo", default="gan")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    device = torch.device(args.device)
    cfg = TrainConfig(algo=args.algo, data="digits", device=args.device).resolved()
    torch.manual_seed(0)
    G, D = build_models(cfg)
    G, D = G.to(device).eval(), D.to(device).eval()
    data = load_data(cfg, device)
    quality = ImageQuality(1, 28, device, cache_dir(Path(cfg.runs_root) / "bench"), n=1000)  # runs/.cache
    real, z = data.held_out(1000), torch.randn(1000, cfg.latent_dim, device=device)
    quality.set_real(real)
    clf = digit_classifier(cache_dir(Path(cfg.runs_root) / "bench")).to(device)
    with torch.no_grad():
        fake = G(z)
        feats, logits = quality.features(fake)

        def one_pass_features():
            f = clf.body(fake.contiguous())
            return f, clf.head(f)

        def fid():
            quality._fid.reset()
            quality._fid.update(feats, real=False)
            return quality._fid.compute()

        def kid():
            quality._kid.reset()
            quality._kid.update(feats, real=False)
            return quality._kid.compute()

        def inception_score():
            quality._is.reset()
            quality._is.update(logits)
            return quality._is.compute()

        rows = [
            ("generator, 1,000 samples", lambda: G(z), lambda: in_chunks(G, z)),
            ("critic, held-out + generated", lambda: (D(real), D(fake)), lambda: (in_chunks(D, real), in_chunks(D, fake))),
            ("classifier features + logits", one_pass_features, lambda: quality.features(fake)),
            ("FID from features", fid, fid),
            ("KID from features (10 subsets of 500)", kid, kid),
            ("Inception Score from logits", inception_score, inception_score),
        ]
        print(f"One evaluation on digits ({args.algo} models, 1,000 samples): {platform.machine()}, "
              f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}, {device}; "
              f"median of {args.repeat}, milliseconds")
        print(f"| part | one batch | as the trainer does it (chunks of {EVAL_CHUNK_CPU} on the CPU) |")
        print("|---|---|---|")
        total = [0.0, 0.0]
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, whole, chunked in rows:
                a, b = median_ms(whole, args.repeat), median_ms(chunked, args.repeat)
                total[0] += a
                total[1] += b
                print(f"| {name} | {a:.1f} | {b:.1f} |", flush=True)
        print(f"| **total** | **{total[0]:.1f}** | **{total[1]:.1f}** |")


if __name__ == "__main__":
    main()
