"""`python -m wgan_watch study NAME ...`: run a study, join one, or say where it stands.

    python -m wgan_watch study g8 --data gaussians8 --algos wgan-gp,wgan,gan --samples 8 --seeds 3 --workers 2
    python -m wgan_watch study g8 --storage postgresql://user@db/studies --join    # another machine
    python -m wgan_watch study g8 --status
    python -m wgan_watch study quick --data gaussians8 --steps 500 -- --eval-every 100   # trainer flags after --

Bad input (an unknown algorithm, a storage that cannot be reached, a name taken by another design) prints one
line and exits with code 2 before anything is written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from ..config import ConfigError
from .design import NARROWED, Design

EXIT_OK, EXIT_USAGE = 0, 2


def parser():
    from ..flags import PROG, OneLineParser

    p = OneLineParser(prog=f"{PROG} study", description="Run every algorithm under K settings samples and N seeds "
                      "(sample 0: the defaults; the others drawn from Lucic et al.'s ranges), each an ordinary run "
                      "folder in --runs-root; Optuna keeps the queue and the record.",
                      epilog="Ranges narrowed for a run where they mean nothing: " + "; ".join(
                          f"{k}: {v}" for k, v in NARROWED.items()))
    p.add_argument("name", help="the study's name (also the runs' group, and the start of their names)")
    p.add_argument("--data", help="any --data of the trainer (a new study needs it)")
    p.add_argument("--algos", default="wgan-gp,wgan,gan", help="comma-separated (default: wgan-gp,wgan,gan)")
    p.add_argument("--samples", type=int, default=8, help="settings per algorithm, the defaults included (default 8)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per setting (default 3)")
    p.add_argument("--steps", type=int, default=None, help="generator steps per run (default: the data's)")
    p.add_argument("--design-seed", type=int, default=0, help="seed of the settings draws (default 0)")
    p.add_argument("--workers", type=int, default=1,
                   help="trainers side by side on this machine; each gets cores / workers threads (default 1)")
    p.add_argument("--storage", default=None,
                   help="Optuna storage URL (default: sqlite:///<runs-root>/studies.db; postgresql://... to share "
                        "a study between machines)")
    p.add_argument("--runs-root", default="runs", help="where the runs go (default: runs)")
    p.add_argument("--join", action="store_true", help="work on an existing study (its design comes from the storage)")
    p.add_argument("--status", action="store_true", help="print done / running / waiting / failed, and exit")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, theirs = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    ns = parser().parse_args(ours)
    try:
        ns.fixed = trainer_flags(theirs)
        return _run(ns)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE


def trainer_flags(args: list[str]) -> dict:
    """Trainer flags after `--` that every run of a new study shares (e.g. -- --eval-every 100 --width 128)."""
    if not args:
        return {}
    from ..flags import build_parser

    given = vars(build_parser().parse_args(args))
    if given.pop("config", None) or given.pop("resume", None):
        raise ConfigError("--config and --resume cannot be given to a study's runs")
    owned = sorted(set(given) & {"algo", "data", "seed", "steps", "group", "study_sample", "run_dir", "runs_root"})
    if owned:
        raise ConfigError(f"--{owned[0].replace('_', '-')} is the study's own: give it before --, or leave it out")
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    return given


def _run(ns) -> int:
    from .queue import StudyQueue, default_storage

    if ns.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {ns.workers}")
    new = not (ns.join or ns.status)
    design = None
    if new:
        if not ns.data:
            raise ConfigError("a new study needs --data (or --join an existing one)")
        design = Design(ns.name, ns.data, tuple(a.strip() for a in ns.algos.split(",") if a.strip()), ns.samples,
                        ns.seeds, ns.steps, ns.design_seed, ns.fixed).validate()  # before anything is written
    url = ns.storage or default_storage(ns.runs_root)
    if url.startswith("sqlite:///") and not ns.storage and not new and not Path(ns.runs_root, "studies.db").exists():
        raise ConfigError(f"no studies in {ns.runs_root}/studies.db (start one with --data, or give --storage)")
    if new and not ns.storage:
        Path(ns.runs_root).mkdir(parents=True, exist_ok=True)
    queue = StudyQueue(ns.name, url)
    if ns.status:
        queue.open()
        print_status(queue)
        return EXIT_OK
    if new:
        created = queue.create(design)
        n = len(design.points())
        print(f"study {ns.name}: {'created, ' + str(n) + ' runs queued' if created else 'exists (same design)'}"
              f" in {url}")
    else:
        design = queue.open(wait=True)
    record_design(Path(ns.runs_root), design)
    from .worker import Worker

    t = time.time()
    done = Worker(queue, design, Path(ns.runs_root), ns.workers).run()
    print(f"this worker recorded {done} run(s) in {time.time() - t:.0f} s")
    print_status(queue)
    return EXIT_OK


def record_design(runs_root: Path, design: Design) -> None:
    """The design beside the runs (<runs>/.studies/NAME.json), so the dashboard knows what is still to come
    without reading the storage."""
    from ..runs import runfiles as rf

    (runs_root / ".studies").mkdir(parents=True, exist_ok=True)
    rf.atomic_write_json(runs_root / ".studies" / f"{design.name}.json", design.to_dict())


def print_status(queue) -> None:
    """done / running / waiting / failed over the design's points, with each algorithm's share."""
    by_state = queue.points_by_state()
    design = queue.design()
    total = sum(len(v) for v in by_state.values())
    diverged = sum(p.get("outcome") == "diverged" for p in by_state["done"])
    print(f"study {queue.name} ({design.data}, {design.samples} samples x {design.seeds} seeds, {total} runs): "
          + ", ".join(f"{len(by_state[s])} {s}" for s in by_state)
          + (f" ({diverged} of the done diverged)" if diverged else ""))
    for algo in design.algos:
        counts = {s: sum(p["algo"] == algo for p in v) for s, v in by_state.items()}
        print(f"  {algo:8s} " + "  ".join(f"{s} {n}" for s, n in counts.items()))
    for p in by_state["failed"][:5]:
        print(f"  failed: {p['run']}: {p.get('message') or 'no message'}")
