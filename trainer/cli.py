"""`python -m wgan_watch` (in a clone also `python -m trainer`): the command line, from TrainConfig.

Every field is a flag with dashes (`batch_size` -> `--batch-size`) whose help is
the field's docstring. Bad input prints one line and exits with code 2 before
anything is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from pathlib import Path
from typing import Any, Optional, Sequence

from .config import ConfigError, TrainConfig, field_docs

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED = 0, 1, 2, 3
PROG = f"python -m {__name__.split('.')[0]}"  # wgan_watch, or trainer in a clone


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad input as one line (no usage block) with exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        message = " ".join(message.split())  # one line
        if len(message) > 300:
            message = message[:296] + " ..."
        self.exit(EXIT_USAGE, f"error: {message} (see {PROG} --help)\n")


def _flag_type(hint: Any) -> tuple[Any, dict]:
    """(base type, extra argparse kwargs) for a field's annotation."""
    args = typing.get_args(hint)
    if type(None) in args:
        hint = next(a for a in args if a is not type(None))
    if typing.get_origin(hint) is tuple:
        return float, {"nargs": len(typing.get_args(hint)), "metavar": ("B1", "B2")}
    if hint is bool:
        return bool, {"action": argparse.BooleanOptionalAction}
    return hint, {}


def build_parser() -> OneLineParser:
    p = OneLineParser(
        prog=PROG,
        description="Train a WGAN, WGAN-GP or vanilla GAN and write a live run folder under runs/.",
        epilog=f"Examples: {PROG} --algo wgan-gp --data gaussians8 --steps 5000 | "
               f"{PROG} --resume runs/<name> | {PROG} demo --data gaussians25 "
               "(the WGAN-GP / WGAN / GAN trio in the background)",
    )
    p.add_argument("--config", metavar="FILE.json", help="Load settings from a JSON file (flags override it).")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="Continue the run in RUN_DIR from its last checkpoint (--steps and --device may change).")
    docs = field_docs()
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        base, extra = _flag_type(hints[f.name])
        default = f.default
        help_text = docs.get(f.name, "").replace("%", "%%")  # argparse formats help with %
        if default is not None and base is not bool:
            help_text += f" (default: {default})"
        kwargs = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text, **extra}
        if "action" not in extra:
            kwargs["type"] = base
            kwargs.setdefault("metavar", f.name.upper())
        p.add_argument("--" + f.name.replace("_", "-"), **kwargs)
    return p


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


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        return demo_main(argv[1:])
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
