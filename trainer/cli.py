"""`python -m wgan_watch` (in a clone also `python -m trainer`): train, resume, or hand over to `demo`, `study`
or `import-tensorboard`. The flags come from TrainConfig (flags.py). Bad input prints one line and exits with
code 2 before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from .config import ConfigError, TrainConfig
from .flags import EXIT_FAILED, EXIT_OK, EXIT_USAGE, PROG, OneLineParser, build_parser

EXIT_DIVERGED = 3


def config_from_args(ns: argparse.Namespace) -> tuple[TrainConfig, bool]:
    """(config, resume?) from parsed flags, a --config file and/or a --resume run folder."""
    given = {k: v for k, v in vars(ns).items() if k not in ("config", "resume")}
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    if ns.resume:
        run_dir = Path(ns.resume)
        extra = set(given) - {"steps", "device", "progress"}
        if extra:
            raise ConfigError(f"--resume takes the run's own config; only --steps and --device may change "
                              f"(got --{sorted(extra)[0].replace('_', '-')})")
        if not (run_dir / "config.json").is_file():
            raise ConfigError(f"cannot resume {str(run_dir)!r}: no config.json there")
        base = TrainConfig.load(run_dir / "config.json").to_dict()
        base.update(given, run_dir=str(run_dir))
        cfg = TrainConfig.from_dict(base)
        cfg.resolved()
        return cfg, True
    base = TrainConfig.load(ns.config).to_dict() if ns.config else {}
    base.update(given)
    cfg = TrainConfig.from_dict(base)
    cfg.resolved()  # validate now, before anything is written
    if cfg.run_dir and (Path(cfg.run_dir) / "config.json").exists():
        raise ConfigError(f"run folder {cfg.run_dir!r} already holds a run: use --resume {cfg.run_dir}")
    return cfg, False


def demo_main(argv: Sequence[str]) -> int:
    """`python -m wgan_watch demo`: start WGAN-GP, WGAN and the vanilla GAN on the same data and seed."""
    p = OneLineParser(prog=f"{PROG} demo",
                      description="Start the matched trio (WGAN-GP, WGAN, vanilla GAN) as background processes.")
    p.add_argument("--data", default="gaussians8", help="any --data of the trainer (default: gaussians8)")
    p.add_argument("--steps", type=int, default=None, help="generator steps for each run (default: the data's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-root", default="runs")
    p.add_argument("--device", default="auto")
    ns = p.parse_args(argv)
    from . import spawn

    try:
        names = spawn.start_many(Path(ns.runs_root), spawn.trio(ns.data, steps=ns.steps, seed=ns.seed,
                                                                device=ns.device, runs_root=ns.runs_root))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    for n in names:
        print(Path(ns.runs_root) / n)
    print("Training in the background; watch them with: wgan-watch (Compare page)")
    return EXIT_OK


def export_main(argv: Sequence[str]) -> int:
    """`export-onnx RUN_DIR ...`: the Latent lab's ONNX files for the snapshots of runs made before they existed."""
    p = OneLineParser(prog=f"{PROG} export-onnx", description="Export every generator snapshot (safetensors) of "
                      "these runs as ONNX, for the Latent lab (runs of this version export as they train).")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR")
    ns = p.parse_args(argv)
    from .artifacts import load_generator
    from .runs import runfiles
    from .runs.generator_export import export_generator

    for run in map(Path, ns.runs):
        snaps = runfiles.list_snapshots(run)
        if not (run / "config.json").is_file() or not snaps:
            print(f"error: {run} has no config.json or no generator snapshot", file=sys.stderr)
            return EXIT_USAGE
        for step, _ in snaps:
            why = export_generator(run, step, load_generator(run, step), keep=len(snaps) + 1)
            print(f"{run.name} step {step}: " + (f"not exported: {why}" if why else "exported"))
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        return demo_main(argv[1:])
    if argv[:1] == ["study"]:
        from .study.command import main as study_main

        return study_main(argv[1:])
    if argv[:1] == ["export-onnx"]:
        return export_main(argv[1:])
    if argv[:1] == ["import-tensorboard"]:
        from .runs.tensorboard import main as import_main

        return import_main(argv[1:])
    parser = build_parser()
    ns = parser.parse_args(argv)
    try:
        cfg, resume = config_from_args(ns)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE

    from .runs import runfiles
    from .data import DataError
    from .loop import train

    try:
        run_dir = train(cfg, resume=resume)
    except (ConfigError, DataError, runfiles.RunLockedError) as e:
        if isinstance(e, DataError) and cfg.run_dir and (Path(cfg.run_dir) / "status.json").exists():
            # a folder made for us (by the dashboard): say there why the run did not start
            runfiles.write_status(cfg.run_dir, state="failed", message=str(e))
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:
        print(f"error: training failed: {type(e).__name__}: {e} (see trainer.log in the run folder)", file=sys.stderr)
        return EXIT_FAILED
    from .distributed import ranks_from_env

    if not ranks_from_env().main:
        return EXIT_OK  # under torchrun, rank 0 reports how the run ended
    status = runfiles.read_json(run_dir / "status.json") or {}
    state = status.get("state")
    print(f"{state}: {run_dir}" + (f" ({status.get('message')})" if status.get("message") else ""))
    return EXIT_DIVERGED if state == "diverged" else EXIT_OK
