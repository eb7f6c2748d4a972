"""The trainer's flags, generated from TrainConfig's fields, and the one-line errors of every command line
(`python -m wgan_watch`, its `demo` and `study`). No torch.

Every field is a flag with dashes (`batch_size` -> `--batch-size`) whose help is the field's docstring.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from typing import Any

from .config import TrainConfig, field_docs

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
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
               f"(the WGAN-GP / WGAN / GAN trio in the background) | {PROG} study NAME --data gaussians8 (every "
               "algorithm over settings and seeds: study --help)",
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
