"""The tables bench/advisor.py prints (markdown, as bench/README.md quotes them)."""

from __future__ import annotations

import statistics

from bench.advisor_row import Row


def at_step(step: int | None) -> str:
    """Where --early-stop stopped, as the tables write it."""
    return f"{step:,}" if step else "never"


def noted(within_noise: bool, at_floor: bool) -> str:
    """How a quality lost reads in the table: in the best's noise, or where real data scores."""
    return " (in noise)" if within_noise else " (at the floor)" if at_floor else ""


def print_table(rows: list[Row], early_stop: int) -> None:
    print(f"| algo | data | budget | measure | best (step) | truth: within 10% from | converges in budget | "
          f"first stop call | "
          f"--early-stop {early_stop} stops at | quality lost there | best snapshot kept then: lost | budget saved | "
          f"verdict changes / 1k steps | false 'worse' | premature stop calls |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        stop = at_step(r.early_stop_step)
        lost = f"{r.lost:+.1%}" + noted(r.within_noise, r.at_floor)
        kept = f"{r.kept_step:,}: {r.kept_lost:+.1%}" + noted(r.kept_within_noise, r.kept_at_floor)
        print(f"| {r.algo} | {r.label} | {r.budget:,} | {r.measure} | {r.best:.4g} ({r.best_step:,}) | "
              f"{r.converged_step:,} | {'yes' if r.converges else 'no'} | {r.first_stop_call or 'never'} | {stop} | {lost} | {kept} | {r.saved:.0%} | "
              f"{r.changes_per_1k:.2f} | {r.false_worse} | {r.premature_plateau} |", flush=True)


def print_noise_table(rows: list[Row], early_stop: int) -> None:
    """Per run, the run's own evaluations first, then each other draw of them."""
    print(f"| algo | data | draws | --early-stop {early_stop} stops at | quality lost there | stops within 10% / "
          "noise / floor | budget saved | premature stop calls | stop -> go flips | false 'worse' |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        d = r.draws
        stops = ", ".join(at_step(x["stop"]) for x in d)
        print(f"| {r.algo} | {r.label} | {len(d)} | {stops} | "
              f"{min(x['lost'] for x in d):+.0%} to {max(x['lost'] for x in d):+.0%} | "
              f"{sum(x['ok'] for x in d)} of {len(d)} | {min(x['saved'] for x in d):.0%}-{max(x['saved'] for x in d):.0%} | "
              f"{' '.join(str(x['premature']) for x in d)} | {' '.join(str(x['flips']) for x in d)} | "
              f"{' '.join(str(x['false_worse']) for x in d)} |", flush=True)


def print_patience_table(rows: list[Row]) -> None:
    """Per run, where each --early-stop N stops on the run's own evaluations: the price of patience."""
    patiences = list(rows[0].patience) if rows else []
    print("| algo | data | budget | " + " | ".join(f"--early-stop {N:,}" for N in patiences) + " |")
    print("|---|---|---|" + "---|" * len(patiences))
    for r in rows:
        cells = []
        for N in patiences:
            x = r.patience[N]
            cells.append(f"{at_step(x['stop'])}: {x['lost']:+.0%}{'' if x['ok'] else ' (not ok)'}, saves {x['saved']:.0%}")
        print(f"| {r.algo} | {r.label} | {r.budget:,} | " + " | ".join(cells) + " |", flush=True)


def print_truth_table(rows: list[Row], early_stop: int) -> None:
    """Per run, the advisor replayed on the truth itself: what no evaluator of the past could have bettered."""
    print(f"| algo | data | converges in budget | --early-stop {early_stop} stops at | quality lost there | "
          "within 10% / noise / floor | budget saved | premature stop calls |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r.on_truth
        print(f"| {r.algo} | {r.label} | {'yes' if r.converges else 'no'} | {at_step(t['stop'])} | {t['lost']:+.0%} | "
              f"{'yes' if t['ok'] else 'no'} | {t['saved']:.0%} | {t['premature']} |", flush=True)


def spread(values: list[float], fmt: str) -> str:
    """median [lowest, highest], as the seeds table writes it."""
    if not values:
        return "—"
    v = sorted(values)
    return f"{format(statistics.median(v), fmt)} [{format(v[0], fmt)}, {format(v[-1], fmt)}]"


def print_seeds_table(rows: list[Row], early_stop: int, seeds: int) -> None:
    """Per setting, over its seeds: where --early-stop stopped, the quality lost there, the budget saved (median
    [range]); a run that never stopped counts as stopping at its budget, having saved nothing."""
    print(f"| algo | data | seeds | converge in budget | --early-stop {early_stop} stops at | quality lost there | "
          "stops within 10% / noise / floor | budget saved | never stopped |")
    print("|---|---|---|---|---|---|---|---|---|")
    by: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        by.setdefault((r.algo, r.label), []).append(r)
    for (algo, label), rs in by.items():
        conv = [r for r in rs if r.converges]
        stops = [float(r.early_stop_step or r.budget) for r in conv]
        print(f"| {algo} | {label} | {len(rs)} | {len(conv)} of {len(rs)} | {spread(stops, ',.0f')} | "
              f"{spread([r.lost for r in conv], '+.1%')} | {sum(r.stop_ok for r in conv)} of {len(conv)} | "
              f"{spread([r.saved for r in conv], '.0%')} | {sum(r.early_stop_step is None for r in conv)} |",
              flush=True)
    print(f"\n(the spreads are over the seeds whose run converges in its budget, as in the first table; "
          f"{seeds} seeds were trained per setting)")
