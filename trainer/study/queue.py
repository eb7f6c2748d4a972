"""Optuna as a study's queue and record. Every point of the design is enqueued up front as a waiting trial
that carries the point in its user attributes; a worker takes one by moving it from WAITING to RUNNING in
the storage, which succeeds for exactly one worker however many ask at once, and records how it ended.

Storage: SQLite in the runs folder by default (`<runs>/studies.db`: a first study needs no set-up), or any
URL Optuna's RDBStorage takes (`postgresql://...` when several machines share a study). Running trials send
heartbeats; a trial whose worker died is failed and its point enqueued again, at once when the worker was on
this machine (its pid is gone), after the grace period when it was elsewhere. The run folders stay the truth:
a point taken again resumes its run folder from its checkpoint (worker.py).
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Optional

from ..config import ConfigError
from ..runs.runstatus import pid_alive
from .design import Design

HEARTBEAT_S = 20  # a running trial's worker says it is alive this often
GRACE_S = 90  # ... and is taken for dead after this long without it (a worker elsewhere)
STATES = ("done", "running", "waiting", "failed")


def default_storage(runs_root: str | os.PathLike) -> str:
    return f"sqlite:///{Path(runs_root).resolve() / 'studies.db'}"


def _optuna():
    import warnings

    import optuna  # imported here: `python -m wgan_watch --help` and the dashboard never pay for it

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # heartbeats and fail_stale_trials are "experimental" in Optuna since 2.9: stable enough to build on, said once
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def _requeue(study, trial) -> None:
    """Optuna's stale-trial callback: the point of a trial whose worker died goes back into the queue."""
    attrs = {k: v for k, v in trial.user_attrs.items() if k not in ("worker", "started_at", "outcome")}
    study.enqueue_trial({}, user_attrs={**attrs, "retry_of": trial.number})


class StudyQueue:
    """One study in one storage: the design, the queue of its points and how each run ended."""

    def __init__(self, name: str, url: str):
        optuna = _optuna()
        self.name, self.url = name, url
        try:
            self.storage = optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                                                      heartbeat_stale_trial_callback=_requeue)
        except Exception as e:  # a bad URL, no server, no driver: one line, nothing written
            raise ConfigError(f"cannot open the study storage {_redact(url)}: {_first_line(e)}") from None
        self.study = None

    # --- opening -------------------------------------------------------------------------

    def create(self, design: Design) -> bool:
        """Create the study with its design and enqueue every point; if it exists, check that it is the
        same design (True: created now)."""
        optuna = _optuna()
        try:
            self.study = optuna.create_study(study_name=self.name, storage=self.storage, direction="minimize")
        except optuna.exceptions.DuplicatedStudyError:
            self.open(wait=True)
            theirs = self.design()
            if theirs.fingerprint() != design.fingerprint():
                raise ConfigError(f"study {self.name!r} already exists in {_redact(self.url)} with another design "
                                  f"({_describe(theirs)}); pick a new name, or --join it") from None
            return False
        self.study.set_user_attr("design", design.to_dict())
        self.study.set_user_attr("fingerprint", design.fingerprint())
        for p in design.points():
            self.study.enqueue_trial({}, user_attrs=p.attrs(self.name))
        self.study.set_user_attr("enqueued", len(design.points()))  # the queue is whole: workers may start
        return True

    def open(self, wait: bool = False, timeout_s: float = 60.0) -> Design:
        """Load an existing study (its creator may still be enqueuing: wait for the whole queue)."""
        optuna = _optuna()
        try:
            self.study = optuna.load_study(study_name=self.name, storage=self.storage)
        except KeyError:
            raise ConfigError(f"no study {self.name!r} in {_redact(self.url)}: start it without --join, "
                              "with --data and --algos") from None
        deadline = time.time() + timeout_s
        while "enqueued" not in self.study.user_attrs:
            if not wait or time.time() > deadline:
                raise ConfigError(f"study {self.name!r} has no complete queue yet (its first worker died while "
                                  "enqueuing?)")
            time.sleep(0.5)
        return self.design()

    def design(self) -> Design:
        return Design.from_dict(self.study.user_attrs["design"])

    # --- taking and ending trials -------------------------------------------------------------

    def claim(self) -> Optional[tuple[int, dict]]:
        """Take the first waiting point: (trial number, its attributes), or None when none waits."""
        from optuna.trial import TrialState

        sid = self.storage.get_study_id_from_name(self.name)
        for t in self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            tid = self.storage.get_trial_id_from_study_id_trial_number(sid, t.number)
            try:
                taken = self.storage.set_trial_state_values(tid, TrialState.RUNNING)
            except Exception:  # finished meanwhile
                taken = False
            if taken:
                self.storage.set_trial_user_attr(tid, "worker", {"host": socket.gethostname(), "pid": os.getpid()})
                self.storage.set_trial_user_attr(tid, "started_at", time.time())
                self.storage.record_heartbeat(tid)
                return t.number, dict(t.user_attrs)
        return None

    def heartbeat(self, numbers) -> None:
        for n in numbers:
            self.storage.record_heartbeat(self._trial_id(n))

    def finish(self, number: int, value: Optional[float], outcome: str, **attrs) -> None:
        """Record how a trial's run ended. A run that ended at all (finished, diverged, stopped) is a complete
        trial whose outcome says how; only a run that could not train (an error) is a failed one."""
        from optuna.trial import TrialState

        for k, v in {"outcome": outcome, **attrs}.items():
            self._set(number, k, v)
        if outcome == "failed":
            self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        else:
            self.study.tell(number, value if value is not None else float("inf"), skip_if_finished=True)

    def release(self, number: int) -> None:
        """Give a trial this worker cannot finish back to the queue (Ctrl-C): failed, its point enqueued again."""
        from optuna.trial import TrialState

        self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        _requeue(self.study, self.storage.get_trial(self._trial_id(number)))

    def _trial_id(self, number: int) -> int:
        sid = self.storage.get_study_id_from_name(self.name)
        return self.storage.get_trial_id_from_study_id_trial_number(sid, number)

    def _set(self, number: int, key: str, value) -> None:
        self.storage.set_trial_user_attr(self._trial_id(number), key, value)

    def recover(self) -> list[int]:
        """Fail the trials whose worker is dead (on this machine: its pid is gone; elsewhere: no heartbeat for
        the grace period) and enqueue their points again. The trial numbers recovered."""
        from optuna.trial import TrialState
        from optuna.storages import fail_stale_trials

        host, out = socket.gethostname(), []
        for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            w = t.user_attrs.get("worker") or {}
            if w.get("host") == host and w.get("pid") != os.getpid() and not pid_alive(int(w.get("pid", 0))):
                try:
                    self.study.tell(t.number, state=TrialState.FAIL)
                except Exception:
                    continue  # another worker of this machine got there first
                _requeue(self.study, t)
                out.append(t.number)
        fail_stale_trials(self.study)
        return out

    # --- what is where --------------------------------------------------------------------

    def points_by_state(self) -> dict[str, list[dict]]:
        """Each point of the design under its state (done, running, waiting, failed), by its newest trial that
        says most: a point done once is done, whatever earlier attempts of it show."""
        from optuna.trial import TrialState

        rank = {TrialState.COMPLETE: 0, TrialState.RUNNING: 1, TrialState.WAITING: 2, TrialState.FAIL: 3}
        best: dict[str, tuple[int, object]] = {}
        for t in self.study.get_trials(deepcopy=False):
            run = t.user_attrs.get("run")
            if run is None or t.state not in rank:
                continue
            if run not in best or rank[t.state] < rank[best[run][1].state]:
                best[run] = (t.number, t)
        out = {s: [] for s in STATES}
        names = dict(zip((TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING, TrialState.FAIL), STATES))
        for _, t in best.values():
            out[names[t.state]].append({**t.user_attrs, "value": t.value, "number": t.number})
        return out


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]


def _redact(url: str) -> str:
    """The URL without a password, for messages."""
    if "://" in url and "@" in url.split("://", 1)[1]:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


def _describe(d: Design) -> str:
    return (f"data {d.data}, algorithms {','.join(d.algos)}, {d.samples} samples x {d.seeds} seeds"
            + (f", {d.steps} steps" if d.steps else ""))
