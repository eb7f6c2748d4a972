"""A run's status, control and lock files: who trains it, how far, and whether to stop.

status.json is rewritten at every flush (the heartbeat); control.json is the
dashboard's one write ({"command": "stop"}); trainer.lock keeps two writers off
one folder. No torch import.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Optional

from .atomic import atomic_write_json, read_json, unlink_quietly

STATES = ("starting", "running", "stopping", "finished", "stopped", "diverged", "failed")
ACTIVE_STATES = ("starting", "running", "stopping")
STALE_HEARTBEAT_S = 120.0  # a run on another host with no heartbeat for this long is lost
STOP_WITH_PARENT = "WGAN_WATCH_STOP_WITH_PARENT"
"""Set to its own pid by a process that starts a trainer it must not outlive (a study's worker): the trainer
then stops at its next step, with a checkpoint, once that process is gone."""


def write_status(run_dir: str | os.PathLike, **fields: Any) -> dict:
    """Update status.json (merging with what is there) and stamp updated_at and host."""
    path = Path(run_dir) / "status.json"
    status = read_json(path) or {}
    status.update(fields)
    status["updated_at"] = time.time()
    status["host"] = socket.gethostname()
    atomic_write_json(path, status)
    return status


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_state(status: Optional[dict]) -> str:
    """The state to show: 'lost' for a run that says it is active but whose process is gone."""
    if not status:
        return "unknown"
    state = status.get("state")
    if state not in STATES:
        return "unknown"
    if state in ACTIVE_STATES:
        if status.get("host") == socket.gethostname():
            if not pid_alive(status.get("pid")):
                return "lost"
        else:
            updated = status.get("updated_at")
            if not isinstance(updated, (int, float)) or time.time() - updated > STALE_HEARTBEAT_S:
                return "lost"
    return state


def write_control(run_dir: str | os.PathLike, command: str = "stop") -> None:
    atomic_write_json(Path(run_dir) / "control.json", {"command": command, "time": time.time()})


def clear_served_control(run_dir: str | os.PathLike) -> None:
    """Forget a request the run's previous process has already served (it wrote its status after it).

    A stop written later (say, while a resumed trainer is starting) stays and is obeyed.
    """
    control = read_json(Path(run_dir) / "control.json")
    status = read_json(Path(run_dir) / "status.json") or {}
    asked, ended = (control or {}).get("time"), status.get("updated_at")
    if isinstance(asked, (int, float)) and isinstance(ended, (int, float)) and asked <= ended:
        unlink_quietly(Path(run_dir) / "control.json")


def read_control(run_dir: str | os.PathLike) -> Optional[str]:
    obj = read_json(Path(run_dir) / "control.json")
    cmd = obj.get("command") if obj else None
    return cmd if isinstance(cmd, str) else None


class RunLockedError(RuntimeError):
    pass


def acquire_lock(run_dir: str | os.PathLike) -> Path:
    """Claim the run folder for this process; a lock from a dead process is taken over."""
    path = Path(run_dir) / "trainer.lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            held = read_json(path) or {}
            same_host = held.get("host") in (None, socket.gethostname())
            if held.get("pid") == os.getpid() or (same_host and not pid_alive(held.get("pid"))):
                unlink_quietly(path)  # stale: its process is gone
                continue
            raise RunLockedError(f"run {Path(run_dir).name!r} is already being trained by process "
                                 f"{held.get('pid')} on {held.get('host')}") from None
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}, f)
        return path
    raise RunLockedError(f"could not lock run {Path(run_dir).name!r}")


def release_lock(run_dir: str | os.PathLike) -> None:
    path = Path(run_dir) / "trainer.lock"
    held = read_json(path) or {}
    if held.get("pid") == os.getpid():
        unlink_quietly(path)
