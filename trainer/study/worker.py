"""A study's worker: takes points from the queue, trains each as an ordinary run folder with the trainer's
own command line, and records how each ended. No torch here: the trainers are child processes.

`workers` trainers run side by side, the cores divided among them (threads per trainer = cores // workers):
torch threads that outnumber the cores collapse (a 2-thread trainer sharing 2 cores with others fell from 18
to about 1.3 steps/s). Each child stops at its next step, with a checkpoint, when this worker dies (even by
SIGKILL: it watches its parent); the worker started again finds the trial's worker gone, enqueues the point
again, and resumes its run folder from the checkpoint. Ctrl-C stops the children the same way and gives their
points back to the queue.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .. import spawn
from ..advice import best_quality
from ..runs import runfiles as rf
from ..runs.runstatus import STOP_WITH_PARENT
from .design import Design, Point
from .queue import HEARTBEAT_S, StudyQueue

POLL_S = 0.5
RECOVER_EVERY_S = 60.0  # look for trials of dead workers elsewhere this often
LOCK_WAIT_S = 120.0  # a resumed run's previous trainer may still be writing its last checkpoint


@dataclass
class Job:
    number: int
    attrs: dict
    run_dir: Path
    proc: Optional[subprocess.Popen]  # None: the run had ended already, only its result was not recorded
    started: float


def threads_per_trainer(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


class Worker:
    def __init__(self, queue: StudyQueue, design: Design, runs_root: Path, workers: int = 1,
                 say: Callable[[str], None] = print):
        self.queue, self.design, self.runs_root = queue, design, Path(runs_root)
        self.workers, self.say = max(1, workers), say
        self.threads = threads_per_trainer(self.workers)
        self.interrupted = False
        self.done_here = 0

    def run(self) -> int:
        """Train until no point waits and nothing runs here; the number of runs this worker recorded."""
        again = self.queue.recover()
        if again:
            self.say(f"{len(again)} trial(s) of a worker that died here are queued again: "
                     f"{', '.join(map(str, again))}")
        self.say(f"study {self.queue.name}: {self.workers} trainer(s) at a time, {self.threads} thread(s) each")
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        jobs: dict[int, Job] = {}
        try:
            self._loop(jobs)
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            if self.interrupted:
                self._give_back(jobs)
        return self.done_here

    def _loop(self, jobs: dict[int, Job]) -> None:
        next_beat = next_recover = time.monotonic()
        while not self.interrupted:
            while len(jobs) < self.workers and not self.interrupted:
                claimed = self.queue.claim()
                if claimed is None:
                    break
                job = self.start(*claimed)
                jobs[job.number] = job
            if not jobs:
                return  # nothing waits, nothing runs here
            time.sleep(POLL_S)
            for n, job in list(jobs.items()):
                if not self.interrupted and (job.proc is None or job.proc.poll() is not None):
                    self.report(job)
                    del jobs[n]
            now = time.monotonic()
            if now >= next_beat:
                self.queue.heartbeat(jobs)
                next_beat = now + HEARTBEAT_S / 2
            if now >= next_recover:
                self.queue.recover()
                next_recover = now + RECOVER_EVERY_S

    def _on_signal(self, signum, frame) -> None:
        self.interrupted = True

    # --- one trial ---------------------------------------------------------------------------

    def start(self, number: int, attrs: dict) -> Job:
        run_dir = self.runs_root / attrs["run"]
        status = rf.read_json(run_dir / "status.json") or {}
        if (run_dir / "config.json").is_file():
            if status.get("state") in ("finished", "diverged"):  # it ended while no worker listened
                return Job(number, attrs, run_dir, None, time.time())
            _wait_for_lock(run_dir)
            args = ["--resume", str(run_dir), "--no-progress"]
            self.say(f"resuming {run_dir.name} (trial {number}) from step {status.get('step', 0)}")
        else:
            point = Point(attrs["algo"], int(attrs["sample"]), int(attrs["seed"]), attrs.get("settings") or {})
            cfg = self.design.config(point, str(self.runs_root))
            run_dir.mkdir(parents=True, exist_ok=True)
            args = [*spawn.cli_args(cfg), "--run-dir", str(run_dir)]
            rf.write_status(run_dir, state="starting", step=0, started_at=time.time(),
                            message=f"starting trial {number} of study {self.queue.name}")
            self.say(f"starting {run_dir.name} (trial {number})")
        proc = spawn.trainer_process(args, run_dir / "launch.log", threads=self.threads, detach=False,
                                     env={STOP_WITH_PARENT: str(os.getpid())})
        return Job(number, attrs, run_dir, proc, time.time())

    def report(self, job: Job) -> None:
        """Record how the job's run ended (see StudyQueue.finish)."""
        status = rf.read_json(job.run_dir / "status.json") or {}
        state = status.get("state")
        column, best, best_step = best_quality(rf.read_evals(job.run_dir))
        value = best if column is not None and math.isfinite(best) else None
        outcome = state if state in ("finished", "diverged", "stopped") else "failed"
        code = job.proc.returncode if job.proc is not None else 0
        message = status.get("message") or ""
        if outcome == "failed" and state != "failed":  # it never got as far as saying why: its console does
            message = _last_line(job.run_dir / "launch.log") or f"the trainer exited with code {code}"
        self.queue.finish(job.number, value, outcome, measure=column, best_step=best_step,
                          step=status.get("step"), message=str(message)[:500], seconds=time.time() - job.started)
        self.done_here += 1
        shown = f"{column} {value:.4g}" if value is not None else "no quality measure"
        self.say(f"{job.run_dir.name}: {outcome}, best {shown}" + (f" ({message})" if outcome == "failed" else ""))

    def _give_back(self, jobs: dict[int, Job]) -> None:
        """Ctrl-C or SIGTERM: stop the trainers (each writes a checkpoint) and put their points back."""
        for job in jobs.values():
            if job.proc is not None and job.proc.poll() is None:
                job.proc.send_signal(signal.SIGTERM)
        for job in jobs.values():
            if job.proc is not None:
                try:
                    job.proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    job.proc.kill()
            self.queue.release(job.number)
        if jobs:
            self.say(f"stopped; {len(jobs)} run(s) resume from their checkpoints when a worker starts again")


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def _wait_for_lock(run_dir: Path) -> None:
    """Until no live process holds the run's lock (a trainer of a dead worker stopping at its next step)."""
    deadline = time.time() + LOCK_WAIT_S
    while time.time() < deadline:
        held = rf.read_json(run_dir / "trainer.lock") or {}
        if not held or not rf.pid_alive(held.get("pid")):
            return
        time.sleep(0.5)
