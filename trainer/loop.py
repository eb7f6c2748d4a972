"""The training loop: `train(cfg)` trains and writes a live run folder.

    while step < steps:
        (1) update the critic n_critic times, (2) update the generator once  -> training.step
        (3) record the step                                                   -> Recorder (trainer/record.py)
        (4) evaluate, sample, snapshot, checkpoint when due                   -> Schedule, Evaluator, Training
        (5) stop when asked (control.json, SIGINT/SIGTERM, --early-stop)      -> StopFlag

What each part is lives beside this file: training.py (networks, optimizers, the step,
checkpoints), record.py (the buffered writer of metrics, samples and status, with the
NaN check), schedule.py (what is due at a step, and the time it took), evaluator.py
(quality measures on fixed samples, the noise floor, the best snapshot), runtime.py
(device, optimizers, the stop flag).

Under torchrun every process runs this loop on its own batches with the networks
wrapped in DistributedDataParallel (trainer/distributed.py); only rank 0 writes the
run folder, and the statistics it writes are means over the ranks.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import Optional

import torch

from . import distributed
from .runs import runfiles
from .config import ConfigError, TrainConfig, data_slug
from .data import load_data
from .distributed import Ranks
from .evaluator import Evaluator
from .objectives import critic_iters_at
from .runs.record import Diverged, Recorder
from .runtime import StopFlag
from .schedule import Overhead, Schedule
from .steps import DEVICE_STATS
from .training import Training

log = logging.getLogger("trainer")

__all__ = ["train", "Diverged"]


def train(cfg: TrainConfig, resume: bool = False) -> Path:
    """Train as `cfg` says and return the run folder. With `resume`, continue cfg.run_dir."""
    cfg = cfg.resolved()
    ranks = distributed.ranks_from_env()
    ended_cleanly = False
    try:
        device = distributed.setup(ranks, cfg.device)
        torch.manual_seed(cfg.seed)
        data = load_data(cfg, device)  # before any file is written: bad data leaves nothing behind
        run_dir = _claim_folder(cfg, resume, ranks)
        cfg.run_dir = str(run_dir)
        stop = StopFlag(run_dir)
        handler = _log_to(run_dir) if ranks.main else None
        try:
            stop.install()
            _run(cfg, run_dir, device, data, resume, stop, ranks)
        except Diverged as e:
            if ranks.main:
                log.error("%s", e)
        except BaseException:
            if ranks.main:
                log.exception("training failed")
            raise
        finally:
            stop.uninstall()
            if handler:
                log.removeHandler(handler)
                handler.close()
        ended_cleanly = True
        return run_dir
    finally:
        distributed.shutdown(together=ended_cleanly)


def _claim_folder(cfg: TrainConfig, resume: bool, ranks: Ranks) -> Path:
    """The run folder, checked by rank 0 (and told to the other ranks): raises ConfigError if unusable."""
    if ranks.main:
        run_dir = Path(cfg.run_dir) if cfg.run_dir else runfiles.new_run_dir(cfg.runs_root, cfg.algo,
                                                                               data_slug(cfg.data))
        problem = None
        if resume and not (run_dir / "config.json").exists():
            problem = f"cannot resume {str(run_dir)!r}: it has no config.json"
        if not resume and (run_dir / "config.json").exists():
            problem = f"run folder {str(run_dir)!r} already holds a run: use --resume to continue it"
        distributed.from_main((str(run_dir), problem), ranks)
    else:
        run_dir, problem = distributed.from_main(None, ranks)
    if problem:
        raise ConfigError(problem)
    return Path(run_dir)


def _log_to(run_dir: Path) -> logging.Handler:
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir / "trainer.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def _open_recorder(cfg: TrainConfig, run_dir: Path, device: torch.device, resume: bool, ranks: Ranks) -> Recorder:
    """Rank 0's Recorder writes the run folder; the other ranks' only join the mean over ranks at flushes."""
    return Recorder(run_dir, resume=resume, on_nan="raise", writes=ranks.main, auto_flush=False,
                    flush_secs=cfg.flush_secs, max_samples=cfg.max_samples, config_json=cfg.to_dict(),
                    reduce=functools.partial(distributed.mean_over_ranks_, ranks=ranks),
                    status=dict(state="starting", device=str(device), world_size=ranks.world))


def _run(cfg: TrainConfig, run_dir: Path, device: torch.device, data, resume: bool, stop: StopFlag,
         ranks: Ranks) -> None:
    """Build, restore, train, finish; the run's status says how it ended."""
    rec = _open_recorder(cfg, run_dir, device, resume, ranks)
    try:
        training = Training.build(cfg, device, data, ranks)
        start, elapsed0 = training.restore(run_dir, resume, ranks)
        if resume:
            rec.rewind(start)  # rows after the checkpoint are trained again from it: each step once
            log.info("resumed at step %d", start)
        log.info("training %s on %s for %d steps on %s: %s", cfg.algo, cfg.data, cfg.steps, device, cfg.to_dict())
        evaluator = Evaluator(cfg, data, training, run_dir, rec, resume) if ranks.main else None
        rec.status(state="running", step=start, message="")
        rec.start_clock(elapsed0)
        step, overhead = _train_steps(cfg, training, rec, evaluator, stop, start, ranks, device)
        rng = distributed.gather_to_main(torch.get_rng_state(), ranks) if step < cfg.steps else None
        if ranks.main:
            _finish(cfg, run_dir, step, stop, training, evaluator, rec, overhead, elapsed0, rng)
    except Diverged as e:
        rec.close("diverged", str(e))
        raise
    except BaseException as e:
        rec.close("failed", f"{type(e).__name__}: {e}")
        raise


def _train_steps(cfg: TrainConfig, training: Training, rec: Recorder, evaluator, stop: StopFlag, start: int,
                 ranks: Ranks, device: torch.device) -> tuple[int, Overhead]:
    """The loop itself, from `start` until the last step or a stop: (last step, time spent besides training)."""
    schedule, overhead = Schedule(cfg, start, fixed=ranks.enabled), Overhead()
    last_t = time.time()
    bar = _progress_bar(cfg, start, ranks)
    step = start
    while step < cfg.steps:
        stopping, late = _agree(stop, rec, step, ranks, device)
        if stopping:  # (5) stop when asked: the run ends here with a checkpoint
            break
        n_critic = critic_iters_at(cfg, step)
        training.set_learning_rates(step)
        stats = training.step(n_critic)  # (1) n_critic critic updates, (2) one generator update
        step, now = step + 1, time.time()
        speed = cfg.batch_size * n_critic * ranks.world / max(now - last_t, 1e-9)
        rec.log_row(step, DEVICE_STATS, stats, critic_iters=n_critic, samples_per_s=speed)  # (3) buffered
        last_t = now
        due = schedule.due(step)  # (4) what is due now; a NaN must stop us before anything is saved
        if due or late or rec.full:
            with overhead.timer("flush"):
                rec.flush()
            bar.set_postfix_str(f"W={rec.last('w_estimate'):.4g}", refresh=False)
        rng = distributed.gather_to_main(torch.get_rng_state(), ranks) if due.checkpoint and ranks.enabled else None
        if evaluator is not None:
            _when_due(due, step, schedule, evaluator, training, rec, overhead, stop, rng)
        elif due.evaluate:
            schedule.evaluated(step, 0.0)
        bar.update(1)
    bar.close()
    rec.flush()
    return step, overhead


def _when_due(due, step: int, schedule: Schedule, evaluator: Evaluator, training: Training, rec: Recorder,
              overhead: Overhead, stop: StopFlag, rng_ranks: Optional[list]) -> None:
    """(4) on rank 0: evaluate, write samples, snapshot and checkpoint, each when due, each timed."""
    run_dir = evaluator.run_dir
    if due.evaluate:
        with overhead.timer("evaluate"):
            t = time.perf_counter()
            evaluator.evaluate(step)
            schedule.evaluated(step, time.perf_counter() - t)
            stop.reason = stop.reason or evaluator.early_stop_reason(step)
    if due.samples:
        with overhead.timer("samples"):
            training.write_samples(rec, step, evaluator.real_points)
    if due.snapshot:
        with overhead.timer("snapshot"):
            training.snapshot(run_dir, step, protect=evaluator.kept())
    if due.checkpoint:
        with overhead.timer("checkpoint"):
            training.checkpoint(run_dir, step, rec.elapsed(), rng_ranks)


def _agree(stop: StopFlag, rec: Recorder, step: int, ranks: Ranks, device: torch.device) -> tuple[bool, bool]:
    """(stop now?, flush now for time?): under torchrun the ranks agree at every SYNC_EVERY-th step."""
    if not ranks.enabled:
        return stop.poll(), rec.due()
    if step % distributed.SYNC_EVERY:
        return False, False
    stopping, late = distributed.any_rank([stop.poll(), rec.due()], ranks, device)
    return stopping, late


def _progress_bar(cfg: TrainConfig, start: int, ranks: Ranks):
    from tqdm import tqdm

    return tqdm(total=cfg.steps, initial=start, unit="step", dynamic_ncols=True,
                disable=None if cfg.progress and ranks.main else True)


def _finish(cfg: TrainConfig, run_dir: Path, step: int, stop: StopFlag, training: Training,
            evaluator: Evaluator, rec: Recorder, overhead: Overhead, elapsed0: float,
            rng_ranks: Optional[list]) -> None:
    """How the run ends: stopped early (keep everything up to here) or finished, with the time it took."""
    if step < cfg.steps:
        rec.status(state="stopping", step=step, message=stop.reason or "")
        training.write_samples(rec, step, evaluator.real_points)
        training.snapshot(run_dir, step, protect=evaluator.kept())
        training.checkpoint(run_dir, step, rec.elapsed(), rng_ranks)
        log.info("stopped at step %d: %s", step, stop.reason)
        rec.close("stopped", f"stopped: {stop.reason}", step=step)
        return
    log.info("finished %d steps in %.1f s; logging and evaluation took %s", step, rec.elapsed(),
             ", ".join(f"{k} {v:.2f} s" for k, v in overhead.seconds.items()))
    rec.close("finished", "", step=step, overhead_s=overhead.rounded(),
              session_s=round(rec.elapsed() - elapsed0, 3))
