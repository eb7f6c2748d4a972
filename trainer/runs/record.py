"""Recorder: the one writer of a run folder's tables, samples and status, for any training loop.

    from wgan_watch import Recorder

    with Recorder("runs/my-wgan", algo="wgan-gp", data="my-faces", config=vars(args)) as rec:
        for step in range(1, steps + 1):
            ...                                    # your own critic and generator updates
            rec.log(step, w_estimate=w, loss_d=d_loss, loss_g=g_loss, gp=gp)
            if step % 500 == 0:
                rec.images(step, fake)             # N x C x H x W or N x H x W x C, tensor or array
                rec.evaluate(step, fid=my_fid)     # any quality column (wgan_watch.runs.runfiles.EVAL_COLUMNS)
            if rec.should_stop():                  # the dashboard's Stop button
                break

The trainer's own loop writes through this class too, so the dashboard cannot
tell a user's run from one of `python -m wgan_watch`'s.

What a call costs: `log` checks its arguments and appends to a list; tensors stay
where they are (no device sync per step) and are converted in one batch when the
buffer is flushed, every `flush_secs` (or 4,096 rows), as a new Parquet part that
the dashboard picks up on its next refresh. Steps must not go backwards: a lower
step than the last raises one clear error; the same step again replaces its row
(readers keep the last row for a step). NaN or infinite values are kept and the
run is marked as having diverged at that step (`on_nan="raise"`: the trainer's
choice, stop instead). No torch import: scalars need none.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import numpy as np
import pandas as pd

from . import runfiles as rf
from .record_samples import SampleWriter
from .summary import Summary
from .record_values import buffered_frame, check_name, check_step, check_value, is_tensor, tensors_to_floats

PENDING_MAX = 4096  # rows buffered before a flush, whatever the time
CONTROL_CHECK_S = 0.5  # control.json is looked at no more often than this
_FAST = (float, int)  # values that need no check


class Diverged(RuntimeError):
    """A loss became NaN or infinite (raised by a Recorder made with on_nan="raise")."""


class Recorder(SampleWriter):
    """Writes a run folder of format 1 (see README "The run folder") from any training loop.

    run_dir: the run's folder (created; its name is the run's name on the dashboard).
    algo, data, steps, group: shown by the dashboard (steps: the planned total, for progress).
    config: your settings (a dict, e.g. vars(args)), kept in config.json as "user_config".
    resume: continue a folder that holds a run (logging from a step it already has rewinds it there).
    flush_secs: at most this long before a logged step reaches the disk (and the dashboard).
    on_nan: "keep" (mark the run as diverged, keep logging) or "raise" (Diverged at the flush).
    """

    def __init__(self, run_dir: str | os.PathLike, *, algo: Optional[str] = None, data: Optional[str] = None,
                 config: Optional[Mapping[str, Any]] = None, steps: Optional[int] = None,
                 group: Optional[str] = None, resume: bool = False, flush_secs: float = 2.0,
                 max_samples: int = 60, on_nan: str = "keep", writes: bool = True, auto_flush: bool = True,
                 reduce: Optional[Callable[[Any], Any]] = None, config_json: Optional[dict] = None,
                 status: Optional[dict] = None):
        """`writes`, `auto_flush`, `reduce`, `config_json` and `status` are for the trainer: a torchrun rank
        that writes nothing, flushes the ranks agree on, a mean over ranks, its own config and status."""
        if on_nan not in ("keep", "raise"):
            raise ValueError(f"on_nan must be 'keep' or 'raise', got {on_nan!r}")
        if not flush_secs > 0:
            raise ValueError(f"flush_secs must be greater than 0, got {flush_secs!r}")
        self.run_dir, self.flush_secs, self.on_nan = Path(run_dir), float(flush_secs), on_nan
        self.max_samples, self.writes, self.auto_flush, self._reduce = max_samples, writes, auto_flush, reduce
        self._tail: dict = {}  # the last flushed row
        self._steps: list[int] = []
        self._times: list[float] = []
        self._values: list[Optional[dict]] = []
        self._rows: list[Any] = []  # tensor rows of `_row_names` (the trainer's statistics), or None
        self._row_names: tuple[str, ...] = ()
        self._known: set[str] = set()
        self._last_step: Optional[int] = None
        self._last_eval: Optional[int] = None
        self._rewind_at: Optional[int] = None
        self._next_control = 0.0
        self.stopped = self.closed = False
        self.diverged_at: Optional[int] = None
        self._diverged = ""
        self._t0 = time.time()
        self._last_flush = self._t0
        self._elapsed0 = 0.0
        self._wall_clock = False
        self._summary: Optional[Summary] = Summary()  # None: to be rebuilt from the tables (a resume, a rewind)
        if not writes:
            return
        self._open(resume, config_json, dict(algo=algo, data=data, steps=steps, group=group, config=config))
        try:
            rf.write_status(self.run_dir, **{"state": "running", "step": self._last_step or 0, "pid": os.getpid(),
                                             "started_at": self._t0, "message": "", **(status or {})})
        except BaseException:
            rf.release_lock(self.run_dir)
            raise

    # --- opening ---------------------------------------------------------------------

    def _open(self, resume: bool, config_json: Optional[dict], info: dict) -> None:
        d = self.run_dir
        if not rf.is_valid_run_name(d.name):
            raise ValueError(f"run_dir: the folder name {d.name!r} would not be listed by the dashboard; use "
                             "letters, digits, '.', '_' and '-' (at most 128, not starting with '.' or '-')")
        has_run = (d / "config.json").exists()
        if resume and not has_run:
            raise FileNotFoundError(f"run_dir: cannot resume {str(d)!r}: it has no config.json")
        if not resume and has_run:
            raise FileExistsError(f"run_dir: {str(d)!r} already holds a run; pass resume=True to continue it")
        d.mkdir(parents=True, exist_ok=True)
        rf.acquire_lock(d)
        try:
            self._prepare(resume, config_json, info)
        except BaseException:
            rf.release_lock(d)
            raise

    def _prepare(self, resume: bool, config_json: Optional[dict], info: dict) -> None:
        d = self.run_dir
        if resume:
            rf.clear_served_control(d)  # the stop that ended the last process is not for this one
            last = rf.read_metrics(d)
            self._summary = None  # the whole run's, rebuilt from its tables when first needed (after a rewind)
            if len(last):
                self._last_step = self._rewind_at = int(last["step"].iloc[-1])
                self._elapsed0 = float(np.nan_to_num(last["elapsed"].iloc[-1]))
        if not resume or config_json is not None:  # the trainer's resume may change --steps or --device
            rf.atomic_write_json(d / "config.json", self._config(config_json, info))
        self._metrics = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
        self._evals = rf.PartWriter(d / "evals", rf.EVAL_COLUMNS)

    @staticmethod
    def _config(config_json: Optional[dict], info: dict) -> dict:
        from ..version import __version__

        if config_json is not None:
            return {"format": rf.FORMAT_VERSION, "version": __version__, **config_json}
        user = json.loads(json.dumps(dict(info.pop("config") or {}), default=str))  # Paths, enums: as text
        return {"format": rf.FORMAT_VERSION, "version": __version__, "writer": "recorder", **info, "user_config": user}

    def start_clock(self, elapsed: float = 0.0) -> None:
        """Count training time from now, on top of `elapsed` seconds before (the trainer's checkpoint)."""
        self._elapsed0, self._t0 = float(elapsed), time.time()

    def elapsed(self) -> float:
        """Seconds of training so far, summed across resumes (the `elapsed` column)."""
        return time.time() - self._t0 + self._elapsed0

    def rewind(self, step: int) -> None:
        """Forget rows after `step` (a resume from a checkpoint taken there): each step is then written once."""
        if self.writes:
            self._metrics.merge(keep_through_step=step)
            self._evals.merge(keep_through_step=step)
            self._summary = None
        self._last_step = self._last_eval = step
        self._rewind_at = None

    # --- logging -----------------------------------------------------------------------

    def log(self, step: int, wall_time: Optional[float] = None, **values: Any) -> None:
        """One row of metrics for `step`: numbers, one-element tensors or None (missing).
        `wall_time`: when the step happened (unix time), for logs written earlier; default now."""
        step = self._next_step(step)
        for k, v in values.items():
            if k not in self._known:
                check_name(k, "log")
                self._known.add(k)
            if type(v) not in _FAST:
                check_value(k, v, "log")
        self._append(step, values, None, wall_time)

    def log_row(self, step: int, names: tuple[str, ...], row: Any, **values: Any) -> None:
        """The batched form: `row` is a 1-D tensor (or array) holding the values of `names` (the
        trainer's statistics, written on the device by its step), kept there until the flush."""
        step = self._next_step(step)
        if names != self._row_names:
            if self._rows and any(r is not None for r in self._rows):
                self.flush()
            for k in names:
                check_name(k, "log_row")
            self._row_names = tuple(names)
        self._append(step, values or None, row)

    def _next_step(self, step: Any) -> int:
        step = check_step(step, None if self._rewind_at is not None else self._last_step, "log")
        if self._rewind_at is not None:  # the first step after a resume: drop what came after it
            if step <= self._rewind_at:
                self.rewind(step - 1)
            self._rewind_at = None
        return step

    def _append(self, step: int, values: Optional[dict], row: Any, wall_time: Optional[float] = None) -> None:
        now = time.time()
        if wall_time is not None:  # an imported log: its own clock, its first row at elapsed 0 (or after a resume)
            if not self._wall_clock:
                self._wall_clock, self._t0 = True, float(wall_time)
            now = float(wall_time)
        if self._steps and self._steps[-1] == step:  # the same step again: its last row wins
            self._steps.pop(), self._times.pop(), self._values.pop(), self._rows.pop()
        self._steps.append(step)
        self._times.append(now)
        self._values.append(values)
        self._rows.append(row)
        self._last_step = step
        if self.auto_flush and (time.time() - self._last_flush >= self.flush_secs or len(self._steps) >= PENDING_MAX):
            self.flush()

    @property
    def full(self) -> bool:
        """The buffer holds PENDING_MAX rows (with auto_flush off, the caller flushes)."""
        return len(self._steps) >= PENDING_MAX

    def last(self, column: str) -> float:
        """`column`'s value in the last row written (NaN if none)."""
        return float(self._tail.get(column, math.nan))

    def due(self) -> bool:
        """Whether flush_secs have passed since the last flush (the trainer agrees on it across ranks)."""
        return time.time() - self._last_flush >= self.flush_secs

    def flush(self) -> Optional[pd.DataFrame]:
        """Write the buffered rows as one Parquet part (converting tensors in one batch) and beat the heartbeat."""
        self._last_flush = time.time()
        if not self._steps:
            return None
        df, bad = buffered_frame(self._steps, self._times, self._values, self._rows, self._row_names,
                                 self._t0, self._elapsed0, self._reduce)
        self._steps, self._times, self._values, self._rows = [], [], [], []
        self._tail = df.iloc[-1].to_dict()
        if bad is not None and self.on_nan == "raise":
            step, col, val = bad
            if self.writes:
                self._metrics.write(df[df["step"] <= step])
            raise Diverged(f"{col} became {val} at step {step}; the last good checkpoint is kept")
        if self.writes:
            summary = self._current_summary()  # (before the write: the rebuild must not count these rows)
            self._metrics.write(df)
            extra = {}
            if bad is not None and self.diverged_at is None:
                self.diverged_at = bad[0]
                self._diverged = f"{bad[1]} became {bad[2]} at step {bad[0]}"
                extra = {"diverged_at": bad[0], "message": self._diverged}
            w = df["w_estimate"].to_numpy(np.float64) if "w_estimate" in df else None
            summary.add_metrics(df["step"].to_numpy(), df["elapsed"].to_numpy(np.float64), w)
            rf.write_status(self.run_dir, step=int(df["step"].iloc[-1]), summary=summary.as_dict(), **extra)
        return df

    # --- evaluations and samples -----------------------------------------------------------

    def evaluate(self, step: int, wall_time: Optional[float] = None, **values: Any) -> None:
        """One row of quality measures for `step` (e.g. fid=..., w1_exact=..., modes=...), written at once."""
        step = check_step(step, self._last_eval, "evaluate")
        for k, v in values.items():
            check_name(k, "evaluate")
            if not isinstance(v, str):
                check_value(k, v, "evaluate")
        self._last_eval = step
        row = {k: (v if isinstance(v, str) else (np.nan if v is None else v)) for k, v in values.items()}
        tensors = [k for k, v in row.items() if is_tensor(v)]
        for k, f in zip(tensors, tensors_to_floats([row[k] for k in tensors]) if tensors else []):
            row[k] = f
        if self.writes:
            if self.auto_flush:
                self.flush()  # the metrics up to this step first: a chart shows the evaluation with them
            summary = self._current_summary()
            self._evals.write(pd.DataFrame([{"step": step, "time": wall_time or time.time(), **row}]))
            summary.add_evaluation(row)

    def _current_summary(self) -> Summary:
        """The Runs page's row; after a resume or a rewind, rebuilt once from the tables as they stand."""
        if self._summary is None:
            self._summary = Summary.of_run(self.run_dir)
        return self._summary

    # --- status and stopping -------------------------------------------------------------

    def status(self, **fields: Any) -> None:
        """Add or change fields of status.json now (e.g. device=..., message=...)."""
        if self.writes:
            rf.write_status(self.run_dir, **fields)

    def should_stop(self) -> bool:
        """True once the dashboard's Stop button (control.json) asked this run to stop."""
        if not self.stopped and self.writes and time.monotonic() >= self._next_control:
            self._next_control = time.monotonic() + CONTROL_CHECK_S
            self.stopped = rf.read_control(self.run_dir) == "stop"
        return self.stopped

    def close(self, state: Optional[str] = None, message: str = "", **fields: Any) -> None:
        """Flush, tidy the parts, and write the final state (default: stopped after should_stop(), else finished)."""
        if self.closed:
            return
        self.closed = True
        if not self.writes:
            return
        try:
            if state in (None, "finished", "stopped"):
                self.flush()
                self._metrics.merge(since_last_big=True)  # a tidy folder: the big parts and one more
        finally:
            try:
                state = state or ("stopped" if self.stopped else "finished")
                rf.write_status(self.run_dir, state=state, message=message or self._diverged,
                                summary=self._current_summary().as_dict(), **fields)
            except OSError:  # the disk may be full: the caller's exception or log says what happened
                if state != "failed":
                    raise
            finally:
                rf.release_lock(self.run_dir)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        elif issubclass(kind, KeyboardInterrupt):
            self.close("stopped", "stopped: interrupted (Ctrl-C)")
        else:
            self.close("failed", f"{kind.__name__}: {exc}")
