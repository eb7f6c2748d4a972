"""Summarise finished runs the way the Compare page does, as a table for notes and READMEs.

    python -m bench.trio RUN_DIR [RUN_DIR ...]

Per run: steps, seconds, oscillation index of each loss and of the estimate, modes and
high-quality share (last evaluation, and the range over the second half), exact W1 or
FID (first -> last), the rank correlation of the estimate with it, and the advisor's verdict.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wgan_watch.runs import runfiles as rf  # noqa: E402
from wgan_watch.advice import advise, estimate_tracks_quality  # noqa: E402
from wgan_watch.advice.quality_trend import quality_column  # noqa: E402
from wgan_watch.advice.oscillation import oscillation_index  # noqa: E402


def row(run: Path) -> str:
    cfg = rf.read_json(run / "config.json") or {}
    m, ev = rf.read_metrics(run), rf.read_evals(run)
    q = quality_column(ev)
    r_all, r_last, _ = estimate_tracks_quality(m, ev)
    half = ev[ev["step"] > ev["step"].max() / 2]
    modes = (f"{ev['modes'].iloc[-1]:.0f} ({half['modes'].min():.0f}–{half['modes'].max():.0f})"
             if ev["modes"].notna().any() else "–")
    hq = (f"{ev['hq_frac'].iloc[-1]:.2f} ({half['hq_frac'].min():.2f}–{half['hq_frac'].max():.2f})"
          if ev["hq_frac"].notna().any() else "–")
    qual = f"{ev[q].dropna().iloc[0]:.3f} → {ev[q].dropna().iloc[-1]:.3f}" if q else "–"
    osc = [oscillation_index(m[c]) for c in ("loss_d", "loss_g", "w_estimate")]
    fmt = lambda x: "–" if x != x else f"{x:.2f}"  # noqa: E731
    return (f"| {cfg.get('algo')} | {cfg.get('data')} | {int(m['step'].iloc[-1])} | {m['elapsed'].iloc[-1]:.0f} | "
            f"{' / '.join(fmt(o) for o in osc)} | {modes} | {hq} | {q or ''} {qual} | "
            f"{fmt(r_all)} / {fmt(r_last)} | {advise(m, ev).verdict} |")


def main() -> None:
    print("| algo | data | steps | seconds | oscillation loss_d / loss_g / W | modes last (2nd half range) | "
          "high-quality share last (range) | quality first → last | ρ(estimate, quality) run / 2nd half | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for arg in sys.argv[1:]:
        print(row(Path(arg)))


if __name__ == "__main__":
    main()
