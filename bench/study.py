"""What a finished study shows, as the tables bench/README.md quotes: read from its run folders alone.

    python -m bench.study --runs RUNS_DIR --name g8 [--threshold 0.12]

The study itself is `python -m wgan_watch study g8 --data gaussians8 --algos wgan-gp,wgan,gan --samples 8
--seeds 3 --workers 2` (its wall time is what that command prints). Per algorithm: runs, diverged, best quality
(median and range), success rate at each threshold with its 95% Wilson interval, median time to quality by
training time and by generator step (Kaplan-Meier), the expected best against settings tried; then the
only/both/neither table for each pair, and the caption the Study page writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load(runs: Path, name: str):
    """Each run of the study as an analysis record (the dashboard's reader, without Streamlit's caches)."""
    from wgan_watch.advice.estimate_trend import estimate_at
    from wgan_watch.advice.quality_trend import quality_column
    from wgan_watch.runs import runfiles as rf
    from wgan_watch.study.analysis import RunResult
    import pandas as pd

    out, measure = [], ""
    for r in rf.list_runs(runs):
        cfg = rf.read_json(runs / r / "config.json") or {}
        if cfg.get("group") != name or not isinstance(cfg.get("study_sample"), int):
            continue
        m, ev = rf.read_metrics(runs / r), rf.read_evals(runs / r)
        measure = quality_column(ev) or measure
        ev = ev.dropna(subset=[measure]) if measure in ev else ev.iloc[:0]
        steps = ev["step"].to_numpy()
        has_w = m["w_estimate"].notna().sum() > 10
        curve = pd.DataFrame({"step": steps, "elapsed": np.interp(steps, m["step"], m["elapsed"]),
                              "quality": ev[measure].to_numpy(float) if measure else [],
                              "estimate": estimate_at(m, steps) if has_w else np.nan})
        state = (rf.read_json(runs / r / "status.json") or {}).get("state", "unknown")
        floor = float(ev["floor"].dropna().iloc[-1]) if "floor" in ev and ev["floor"].notna().any() else np.nan
        out.append(RunResult(r, cfg["algo"], cfg["study_sample"], cfg["seed"], state, curve, cfg.get("steps"), floor))
    return out, measure


def main(argv=None) -> None:
    from wgan_watch.study import analysis as A

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--threshold", type=float, help="the one the caption and time to quality use (default: the "
                    "middle one)")
    args = ap.parse_args(argv)
    results, measure = load(args.runs, args.name)
    if not results:
        sys.exit(f"no run of study {args.name!r} in {args.runs}")
    thresholds = A.default_thresholds(results, measure)
    t = args.threshold or thresholds[len(thresholds) // 2]
    algos = [a for a in ("wgan-gp", "wgan", "gan") if any(r.algo == a for r in results)]
    table = A.success_table(results, thresholds)
    print(f"Study {args.name}: {len(results)} runs, {measure}; thresholds {', '.join(f'{x:g}' for x in thresholds)} "
          f"(1.5, 2 and 3 times the median floor)\n")
    print("| algorithm | runs | diverged | best " + measure + ": median [range] | "
          + " | ".join(f"≤ {x:g}: runs (95% CI)" for x in thresholds)
          + f" | median time to ≤ {t:g}: training s / steps | expected best of 1 / 4 / 8 settings |")
    print("|---" * (6 + len(thresholds)) + "|")
    for a in algos:
        rs = [r for r in results if r.algo == a]
        best = np.array([r.best for r in rs])
        cells = []
        for x in thresholds:
            row = table[(table.algo == a) & (table.threshold == x)].iloc[0]
            cells.append(f"{row.succeeded}/{row.runs} ({row.low:.0%}–{row.high:.0%})")
        times = [A.median_time(A.time_to_quality(rs, t, by=b), b) for b in ("elapsed", "step")]
        eb = A.expected_best(A.setting_quality(results, a))
        pick = [eb["expected"][k - 1] for k in (1, 4, 8) if k <= len(eb)]
        print(f"| {a} | {len(rs)} | {sum(r.state == 'diverged' for r in rs)} | {np.median(best):.3f} "
              f"[{best.min():.3f}, {best.max():.3f}] | " + " | ".join(cells) + " | "
              + " / ".join("never (under half)" if v is None else f"{v:,.0f}" for v in times) + " | "
              + " / ".join(f"{v:.3f}" for v in pick) + " |")
    print(f"\nSettings samples run under both algorithms (same sample and seed), at ≤ {t:g}:\n")
    print("| pair | only the first | only the second | both | neither |")
    print("|---|---|---|---|---|")
    for i, a in enumerate(algos):
        for b in algos[i + 1:]:
            p = A.pair_table(results, a, b, t)
            print(f"| {a} / {b} | {p[f'only {a}']} | {p[f'only {b}']} | {p['both']} | {p['neither']} |")
    print("\nDefault settings (sample 0) only:\n")
    for a in algos:
        d = [r for r in results if r.algo == a and r.sample == 0]
        rho = A.rank_correlations(d)
        print(f"- {a}: best {measure} " + ", ".join(f"{r.best:.3f}" for r in d) + "; estimate-quality ρ "
              + (", ".join(f"{v:.2f}" for v in rho) if len(rho) else "— (no estimate)"))
    print("\nThe Study page's caption: " + A.caption(table, t, {"w1_exact": "W1"}.get(measure, measure)))


if __name__ == "__main__":
    main()
