"""The training loop: one function, `train(cfg)`, that writes a live run folder.

Per generator step: (1) update the critic n_critic times, (2) update the
generator once. The step's statistics go into a buffer on the device; every
`flush_secs` the buffer is copied to the host in one transfer, checked for
NaN, and written as a Parquet part. Evaluations, samples, snapshots and
checkpoints come at their own intervals. A stop (control.json, SIGINT,
SIGTERM) ends the run at the next step with a checkpoint.

Under torchrun every process runs this loop on its own batches with the
networks wrapped in DistributedDataParallel (trainer/distributed.py); only rank
0 writes the run folder, and the statistics it writes are means over the ranks.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from pathlib import Path

import pandas as pd
import torch

from . import __version__, artifacts, distributed, runfiles
from .advice import advise, best_quality
from .config import FORMAT_VERSION, ConfigError, TrainConfig, data_slug
from .data import load_data
from .distributed import Ranks
from .evaluate import ImageQuality, in_chunks, toy_quality
from .graphs import graphs_unavailable, make_step
from .models import build_models
from .objectives import build_objective, critic_iters_at
from .runtime import StopFlag, cache_dir, make_optimizer
from .steps import DEVICE_STATS, TrainStep

log = logging.getLogger("trainer")

BUFFER_ROWS = 4096  # flushed earlier than flush_secs if it fills
EVAL_EVERY = 250  # default spacing of evaluations, in generator steps ...
EVAL_BUDGET = 0.02  # ... stretched (in multiples of it) so they take at most this share of the time


class Diverged(RuntimeError):
    pass


def _kept(best_step) -> tuple[int, ...]:
    """Snapshots that thinning must keep: the best one."""
    return (best_step,) if best_step is not None else ()


def train(cfg: TrainConfig, resume: bool = False) -> Path:
    """Train as `cfg` says and return the run folder. With `resume`, continue cfg.run_dir."""
    cfg = cfg.resolved()
    ranks = distributed.ranks_from_env()
    ended_cleanly = False
    try:
        device = distributed.setup(ranks, cfg.device)
        torch.manual_seed(cfg.seed)
        data = load_data(cfg, device)  # before any file is written: bad data leaves nothing behind
        if not ranks.main:  # rank 0 owns the folder; the others only need its name
            run_dir, problem = distributed.from_main(None, ranks)
            if problem:
                raise ConfigError(problem)
            cfg.run_dir = run_dir
            stop = StopFlag(Path(run_dir))
            stop.install()
            try:
                _run(cfg, Path(run_dir), device, data, resume, stop, ranks)
            except Diverged:
                pass  # rank 0 says so
            finally:
                stop.uninstall()
            ended_cleanly = True
            return Path(run_dir)
        run_dir = _train_main(cfg, resume, device, data, ranks)
        ended_cleanly = True
        return run_dir
    finally:
        distributed.shutdown(together=ended_cleanly)


def _train_main(cfg: TrainConfig, resume: bool, device: torch.device, data, ranks: Ranks) -> Path:
    """The writing process (the only one without torchrun): own the run folder, record how the run ends."""
    run_dir = Path(cfg.run_dir) if cfg.run_dir else runfiles.new_run_dir(cfg.runs_root, cfg.algo, data_slug(cfg.data))
    problem = None
    if resume and not (run_dir / "config.json").exists():
        problem = f"cannot resume {str(run_dir)!r}: it has no config.json"
    if not resume and (run_dir / "config.json").exists():
        problem = f"run folder {str(run_dir)!r} already holds a run: use --resume to continue it"
    distributed.from_main((str(run_dir), problem), ranks)
    if problem:
        raise ConfigError(problem)
    run_dir.mkdir(parents=True, exist_ok=True)
    runfiles.acquire_lock(run_dir)
    if resume:
        runfiles.clear_served_control(run_dir)  # the stop that ended the last process is not for this one
    cfg.run_dir = str(run_dir)
    handler = logging.FileHandler(run_dir / "trainer.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    stop = StopFlag(run_dir)
    try:
        runfiles.atomic_write_json(run_dir / "config.json",
                                   {"format": FORMAT_VERSION, "version": __version__, **cfg.to_dict()})
        runfiles.write_status(run_dir, state="starting", step=0, pid=os.getpid(), device=str(device),
                              world_size=ranks.world, started_at=time.time(), message="")
        stop.install()
        _run(cfg, run_dir, device, data, resume, stop, ranks)
    except Diverged as e:
        log.error("%s", e)
        runfiles.write_status(run_dir, state="diverged", message=str(e))
    except BaseException as e:
        log.exception("training failed")
        try:
            runfiles.write_status(run_dir, state="failed", message=f"{type(e).__name__}: {e}")
        except OSError:  # the disk may be full: the log has it, the process exit says it
            log.exception("could not write the failed status")
        raise
    finally:
        stop.uninstall()
        log.removeHandler(handler)
        handler.close()
        runfiles.release_lock(run_dir)
    return run_dir


def _run(cfg: TrainConfig, run_dir: Path, device: torch.device, data, resume: bool, stop: StopFlag,
         ranks: Ranks) -> None:
    writes = ranks.main  # only rank 0 writes files, evaluates and shows progress
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # TF32 for the matmuls: fine for GAN training
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    G, D = build_models(cfg)
    # channels-last (NHWC) convolutions: what cuDNN's fastest kernels want, and on the CPU the
    # default digits step ran 3-14% faster with them (python -m bench.step --layouts)
    channels_last = cfg.channels_last is not False
    memory_format = torch.channels_last if channels_last and not cfg.is_toy else torch.contiguous_format
    G, D = G.to(device, memory_format=memory_format), D.to(device, memory_format=memory_format)
    graphs = cfg.cuda_graphs and graphs_unavailable(device, data, ranks.enabled) is None
    opt_g = make_optimizer(cfg, G.parameters(), cfg.lr_g, capturable=graphs)
    opt_d = make_optimizer(cfg, D.parameters(), cfg.lr_d, capturable=graphs)
    objective = build_objective(cfg)
    # fixed noise: the same latents every sample grid, so grids compare across steps
    fixed_noise = torch.randn(64 if not cfg.is_toy else 512, cfg.latent_dim,
                              generator=torch.Generator().manual_seed(cfg.seed + 1))

    start, elapsed0 = 0, 0.0
    ckpt = distributed.from_main(artifacts.load_checkpoint(run_dir) if resume and writes else None, ranks)
    if ckpt is not None:
        G.load_state_dict(ckpt["G"])
        D.load_state_dict(ckpt["D"])
        opt_g.load_state_dict(ckpt["opt_g"])
        opt_d.load_state_dict(ckpt["opt_d"])
        fixed_noise = ckpt["fixed_noise"]
        if writes:
            artifacts.restore_rng(ckpt)
        start, elapsed0 = int(ckpt["step"]), float(ckpt["elapsed"])
    if not writes:  # every rank draws its own batches, also after a resume
        torch.manual_seed(cfg.seed + 7919 * ranks.rank + start)
    # what backward passes through: DDP under torchrun (gradients averaged), the modules themselves otherwise
    G_train, D_train = distributed.wrap(G, ranks, device), distributed.wrap(D, ranks, device)
    fixed_noise = fixed_noise.to(device)
    metrics = evals = quality = None
    best_q, best_step = float("nan"), None
    if writes:
        metrics, evals, quality, best_q, best_step = _open_run(cfg, run_dir, device, data, resume, start)

    train_step = make_step(TrainStep(objective, data, G, D, G_train, D_train, opt_g, opt_d, cfg.batch_size,
                                     cfg.latent_dim, device, memory_format), cfg.cuda_graphs, data, ranks.enabled)
    buf = torch.full((BUFFER_ROWS, len(DEVICE_STATS)), float("nan"), device=device)
    host_rows: list[tuple[int, float, float, int, float]] = []  # (step, time, elapsed, critic_iters, samples/s)
    t0 = time.time() - elapsed0
    last_flush = last_t = time.time()
    last_w = float("nan")
    status = {"state": "running"}
    if writes:
        runfiles.write_status(run_dir, state="running", step=start, message="")

    def flush() -> None:
        """Copy the buffer to the host (one sync), check it, and write a metrics part."""
        nonlocal last_flush, last_w
        last_flush = time.time()
        if not host_rows:
            return
        vals = distributed.mean_over_ranks_(buf[: len(host_rows)], ranks).cpu().numpy()
        df = pd.DataFrame(host_rows, columns=["step", "time", "elapsed", "critic_iters", "samples_per_s"])
        for j, name in enumerate(DEVICE_STATS):
            df[name] = vals[:, j].astype("float64")
        host_rows.clear()
        bad = ~(df["loss_d"].map(math.isfinite) & df["loss_g"].map(math.isfinite))
        if bad.any():
            row = df[bad].iloc[0]
            if writes:
                metrics.write(df[df["step"] <= row["step"]])
            which = "loss_d" if not math.isfinite(row["loss_d"]) else "loss_g"
            raise Diverged(f"{which} became {row[which]} at step {int(row['step'])}; "
                           f"the last good checkpoint is kept")
        last_w = float(df["w_estimate"].iloc[-1])
        if writes:
            metrics.write(df)
            runfiles.write_status(run_dir, step=int(df["step"].iloc[-1]), **status)

    def agree(step: int) -> tuple[bool, bool]:
        """(stop now?, flush now for time?): under torchrun the ranks agree at every SYNC_EVERY-th step."""
        late = time.time() - last_flush >= cfg.flush_secs
        if not ranks.enabled:
            return stop.poll(), late
        if step % distributed.SYNC_EVERY:
            return False, False
        stopping, late = distributed.any_rank([stop.poll(), late], ranks, device)
        return stopping, late

    def evaluate(step: int) -> None:
        """Quality measures into evals/; a snapshot whenever the quality is the best so far."""
        nonlocal best_q, best_step
        G.eval()
        D.eval()
        with torch.no_grad():
            n = cfg.eval_samples
            fake = in_chunks(G, torch.randn(n, cfg.latent_dim, device=device))
            row = {"step": step, "time": time.time()}
            if objective.has_estimate:
                row["w_heldout"] = float(in_chunks(D, data.held_out(n)).mean() - in_chunks(D, fake).mean())
            if cfg.is_toy:
                row.update(toy_quality(cfg.data, data.sample(n), fake))
            elif quality.available:
                row.update(quality.score(fake))
        G.train()
        D.train()
        evals.write(pd.DataFrame([row]))
        q = row.get("w1_exact", row.get("fid", float("nan")))
        if math.isfinite(q) and not (q >= best_q):  # also when best_q is still NaN
            best_q, best_step = q, step
            artifacts.save_snapshot(run_dir, step, G, cfg.max_snapshots, protect=(step,))
            status["best_step"] = step

    base_every = cfg.eval_every or EVAL_EVERY
    next_eval = (start // base_every + 1) * base_every
    last_eval = (start, time.time())
    eval_gap = base_every

    def next_evaluation(step: int, took: float) -> int:
        """The step of the next evaluation: every eval_every steps if given; by default every
        250, or the smallest multiple of 250 that keeps evaluating under EVAL_BUDGET of the time."""
        nonlocal last_eval, eval_gap
        (prev_step, prev_t), now = last_eval, time.time()
        last_eval = (step, now)
        # under torchrun every rank must flush at the same steps: there the spacing stays fixed;
        # a session's first evaluation is not timed (it warms up the feature extractor: 0.8 s vs 0.2 s)
        if cfg.eval_every is None and not ranks.enabled and prev_step > start:
            per_step = max(now - prev_t - took, 1e-9) / (step - prev_step)  # training seconds per step
            gap = base_every * max(1, math.ceil(took / (EVAL_BUDGET * per_step * base_every)))
            if gap != eval_gap:
                log.info("an evaluation takes %.2f s, %.1f%% of %d steps: evaluating every %d steps",
                         took, 100 * took / (per_step * base_every), base_every, gap)
                eval_gap = gap
        return (step // base_every) * base_every + eval_gap

    def plateaued_for(step: int) -> int:
        """Generator steps the advisor has called this run plateaued (0 if it is not)."""
        advice = advise(runfiles.read_metrics(run_dir), runfiles.read_evals(run_dir))
        return step - advice.since_step if advice.verdict == "plateaued" else 0

    def write_samples(step: int) -> None:
        G.eval()
        with torch.no_grad():
            fake = G(fixed_noise)
            path = run_dir / "samples"
            path.mkdir(exist_ok=True)
            if cfg.is_toy:
                D.eval()
                artifacts.write_toy_samples(path / artifacts.step_name(step, "parquet"), data.sample(len(fake)), fake, D)
                D.train()
            else:
                artifacts.write_image_grid(path / artifacts.step_name(step, "png"), fake)
        G.train()
        artifacts.thin_step_files(path, "parquet" if cfg.is_toy else "png", cfg.max_samples, protect=(step,))

    def checkpoint(step: int) -> None:
        artifacts.save_checkpoint(run_dir, step=step, elapsed=time.time() - t0, G=G, D=D,
                                  opt_g=opt_g, opt_d=opt_d, fixed_noise=fixed_noise)

    overhead = {k: 0.0 for k in ("flush", "evaluate", "samples", "snapshot", "checkpoint")}

    @contextlib.contextmanager
    def timer(name: str):
        """Seconds spent on everything but training, by kind (reported in status.json)."""
        t = time.perf_counter()
        try:
            yield
        finally:
            overhead[name] += time.perf_counter() - t

    from tqdm import tqdm

    bar = tqdm(total=cfg.steps, initial=start, unit="step", dynamic_ncols=True,
               disable=None if cfg.progress and writes else True)
    step = start
    try:
        while step < cfg.steps:
            stopping, late = agree(step)
            if stopping:
                break
            n_crit = critic_iters_at(cfg, step)
            # (1) Update D n_crit times, (2) update G once; the statistics go to the buffer's next row
            train_step(n_crit, buf[len(host_rows)])
            step += 1
            now = time.time()
            host_rows.append((step, now, now - t0, n_crit,
                              cfg.batch_size * n_crit * ranks.world / max(now - last_t, 1e-9)))
            last_t = now

            due = {k: step % getattr(cfg, k) == 0 or step == cfg.steps
                   for k in ("sample_every", "snapshot_every", "checkpoint_every")}
            due["eval_every"] = step >= next_eval or step == cfg.steps
            if any(due.values()) or len(host_rows) == BUFFER_ROWS or late:
                with timer("flush"):
                    flush()  # first: a NaN must stop us before it reaches a snapshot or checkpoint
                bar.set_postfix_str(f"W={last_w:.4g}", refresh=False)
            if not writes:
                if due["eval_every"]:
                    next_eval = next_evaluation(step, 0.0)
                continue
            if due["eval_every"]:
                with timer("evaluate"):
                    t_eval = time.perf_counter()
                    evaluate(step)
                    next_eval = next_evaluation(step, time.perf_counter() - t_eval)
                    if cfg.early_stop and (flat := plateaued_for(step)) >= cfg.early_stop:
                        stop.reason = f"early stop: plateaued for {flat} steps; the best snapshot is step {best_step}"
            if due["sample_every"]:
                with timer("samples"):
                    write_samples(step)
            if due["snapshot_every"]:
                with timer("snapshot"):
                    artifacts.save_snapshot(run_dir, step, G, cfg.max_snapshots, protect=_kept(best_step))
            if due["checkpoint_every"]:
                with timer("checkpoint"):
                    checkpoint(step)
            bar.update(1)
        flush()
        if not writes:
            return
        if step < cfg.steps:  # stopped early: keep everything up to here
            runfiles.write_status(run_dir, state="stopping", step=step, message=stop.reason or "")
            write_samples(step)
            artifacts.save_snapshot(run_dir, step, G, cfg.max_snapshots, protect=_kept(best_step))
            checkpoint(step)
            log.info("stopped at step %d: %s", step, stop.reason)
            runfiles.write_status(run_dir, state="stopped", step=step, message=f"stopped: {stop.reason}")
        else:
            total = time.time() - t0 - elapsed0
            log.info("finished %d steps in %.1f s; logging and evaluation took %s", step, time.time() - t0,
                     ", ".join(f"{k} {v:.2f} s" for k, v in overhead.items()))
            runfiles.write_status(run_dir, state="finished", step=step, message="",
                                  overhead_s={k: round(v, 3) for k, v in overhead.items()},
                                  session_s=round(total, 3))
    finally:
        bar.close()
        if writes:
            metrics.merge(since_last_big=True)  # a tidy folder: the big parts and one more


def _open_run(cfg: TrainConfig, run_dir: Path, device: torch.device, data, resume: bool, start: int):
    """Rank 0's writers and quality measure: (metrics, evals, image quality or None, best quality, its step)."""
    metrics = runfiles.PartWriter(run_dir / "metrics", runfiles.METRIC_COLUMNS)
    evals = runfiles.PartWriter(run_dir / "evals", runfiles.EVAL_COLUMNS)
    if resume:
        # rows written after the checkpoint were trained again from it: drop them so each step is once
        metrics.merge(keep_through_step=start)
        evals.merge(keep_through_step=start)
        log.info("resumed at step %d", start)
    log.info("training %s on %s for %d steps on %s: %s", cfg.algo, cfg.data, cfg.steps, device, cfg.to_dict())
    quality = None
    if cfg.is_toy:
        import ot  # noqa: F401  (POT, for exact W1: its 1.4 s import belongs to start-up, not to step 250)
    else:
        quality = ImageQuality(cfg.channels, cfg.image_size, device, cache_dir(run_dir),
                               cfg.inception_weights, n=cfg.eval_samples)
        if quality.available:
            quality.set_real(data.sample(cfg.eval_samples))
            log.info("image quality: FID, KID and IS on %s features", quality.name)
        else:
            log.info("image quality: %s", quality.reason)
    _, best_q, best_step = best_quality(runfiles.read_evals(run_dir)) if resume else (None, float("nan"), None)
    return metrics, evals, quality, best_q, best_step
