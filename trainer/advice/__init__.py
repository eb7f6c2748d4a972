"""The stop advisor: is the run still improving, or is it time to stop? Pure functions on a run's
metrics and evals tables (pandas and numpy, no torch), shared by the dashboard and `--early-stop`.

Read from the top down; each file calls only the ones below it:

    verdicts.py        advise(): the verdict in plain words with its numbers; what --early-stop counts
    quality_trend.py   what the independent quality measure says: its trend, its noise, the floor
    estimate_trend.py  what the critic's estimate says: its change, its transient, the warning signs
    oscillation.py     the Compare page's measures (turns per 1,000 steps; tracking quality), on the two above
"""

from .verdicts import (PAUSE_NOTE, STOP_VERDICTS, VERDICTS, Advice, advise, best_quality, estimate_tracks_quality,
                       stop_streak)

__all__ = ["Advice", "advise", "best_quality", "estimate_tracks_quality", "stop_streak", "PAUSE_NOTE",
           "STOP_VERDICTS", "VERDICTS"]
