"""One run's row in bench/advisor.py's tables: what the advisor did with it, scored against the truth."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    algo: str
    data: str
    budget: int
    measure: str
    best: float
    best_step: int
    floor: float  # the truth's real-vs-real floor at its n
    floor_band: float  # ... its top: FLOOR_BAND_SD above the floor, what real data scores
    converged_step: int  # truth: first snapshot within 10% of the best (or its noise)
    first_stop_call: int | None  # first evaluation where the advisor said stop (STOP_VERDICTS)
    early_stop_step: int | None  # where --early-stop N stops
    quality_at_stop: float
    lost: float  # quality at the stop relative to the best (0.05 = 5% worse)
    within_noise: bool  # the quality at the stop is within the truth's noise of the best
    at_floor: bool  # ... or the run's measure, at its n, cannot tell it from real data
    kept_step: int  # the snapshot the run keeps as its best by then (its own evaluations' lowest)
    kept_lost: float  # that snapshot's quality relative to the best
    kept_within_noise: bool
    kept_at_floor: bool
    saved: float  # share of the budget not trained
    changes_per_1k: float
    false_worse: int
    premature_plateau: int  # stop calls while the truth still improved by more than 10% and its noise, off the floor
    verdicts: list
    seconds: float
    converges: bool = False  # truth: within 10% of its best by half the budget, and still at the end
    run: str = ""
    variant: str = ""  # settings other than the defaults, as the tables show them
    draws: list = field(default_factory=list)  # the same run's calls on other draws of its evaluations
    patience: dict = field(default_factory=dict)  # {N: where --early-stop N stops, lost, ok, saved}
    on_truth: dict = field(default_factory=dict)  # the advisor's calls replayed on the truth itself (draw_summary)

    @property
    def label(self) -> str:
        """The data column of the tables: the dataset and any settings the row changed."""
        return f"{self.data} ({self.variant})" if self.variant else self.data

    @property
    def stop_ok(self) -> bool:
        """Where it stopped, quality was within 10% of the best or its noise (within_noise holds both), or
        at the floor."""
        return self.within_noise or self.at_floor
