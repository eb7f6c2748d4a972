"""TensorBoard logdirs into run folders: `python -m wgan_watch import-tensorboard LOGDIR [--map COLUMN=TAG ...]`.

Each folder of LOGDIR that holds event files becomes one run under --runs-dir, written
through the Recorder (so the dashboard, the advisor and Compare treat it like any run).
Scalars become metric columns through a mapping of tags to column names (guessed for
common tags, `--map` overrides); a tag mapped to a quality column (fid, kid, w1_exact, ...)
becomes an evaluation; other tags are kept as extra columns; images become sample grids.
`--follow` keeps reading new events, for a run that is still training.

Read once with tensorboard's own event reader (about 30,000 events a second here), then
the dashboard reads Parquet: a million-step run would take the dashboard a minute and a
half to read from event files on every cold start, and its charts are Parquet-fast after.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from . import runfiles as rf
from .record import Recorder

GUESSES = {  # column: last parts of tags (lower case, without separators) that usually mean it
    "w_estimate": ("wdist", "wdistance", "wassersteindistance", "wasserstein", "westimate", "emdistance",
                   "emd", "wasserstein_estimate"),
    "loss_d": ("lossd", "dloss", "criticloss", "discriminatorloss", "losscritic", "lossdisc", "errd"),
    "loss_g": ("lossg", "gloss", "generatorloss", "lossgen", "errg"),
    "gp": ("gp", "gradientpenalty", "penalty"),
    "grad_norm": ("gradnorm", "gradientnorm"),
    "fid": ("fid",), "kid": ("kid",), "inception_score": ("inceptionscore", "is"),
}
EVAL_TAGS = set(rf.EVAL_COLUMNS) - {"step", "time"}


class TensorBoardMissing(RuntimeError):
    pass


def _accumulator(path: Path):
    try:
        from tensorboard.backend.event_processing import event_accumulator as ea
    except ImportError:
        raise TensorBoardMissing("reading TensorBoard logs needs the tensorboard package: pip install tensorboard "
                                 "(or the wgan-watch[tensorboard] extra)") from None
    return ea.EventAccumulator(str(path), size_guidance={ea.SCALARS: 0, ea.IMAGES: 0})


def event_dirs(logdir: Path) -> list[Path]:
    """Folders under (and including) logdir that hold event files: one run each."""
    return sorted({p.parent for p in logdir.rglob("events.out.tfevents.*")})


def column_for(tag: str, mapping: dict[str, str]) -> str:
    """The column a tag goes to: the mapping's, a guess for common names, or the tag made an identifier."""
    if tag in mapping:
        return mapping[tag]
    def squash(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    for candidate in (squash(tag.rsplit("/", 1)[-1]), squash(tag)):  # "eval/FID", then "loss/D" as a whole
        for column, names in GUESSES.items():
            if candidate in {squash(n) for n in names}:
                return column
    name = re.sub(r"\W", "_", tag).strip("_") or "value"
    return name if name[0].isalpha() else "t_" + name


class Importer:
    """One event folder into one run folder, incrementally (what --follow repeats)."""

    def __init__(self, events: Path, run_dir: Path, mapping: dict[str, str], algo: Optional[str]):
        self.acc = _accumulator(events)
        self.mapping, self.done = mapping, {}
        self.rec = Recorder(run_dir, algo=algo, data=f"tensorboard:{events.name}",
                            config={"logdir": str(events), "map": mapping}, resume=(run_dir / "config.json").exists())

    def step(self) -> int:
        """Read new events and write them; the number of new scalar values."""
        self.acc.Reload()
        tags = self.acc.Tags()
        metrics: dict[int, dict] = {}
        evals: dict[int, dict] = {}
        times: dict[int, float] = {}
        new = 0
        for tag in tags.get("scalars", []):
            col = column_for(tag, self.mapping)
            for ev in self.acc.Scalars(tag):
                if ev.step <= self.done.get(tag, -1):
                    continue
                (evals if col in EVAL_TAGS else metrics).setdefault(ev.step, {})[col] = ev.value
                times[ev.step] = max(times.get(ev.step, 0.0), ev.wall_time)
                new += 1
            if self.acc.Scalars(tag):
                self.done[tag] = self.acc.Scalars(tag)[-1].step
        for step in sorted(metrics):
            self.rec.log(step, wall_time=times[step], **metrics[step])
        self.rec.flush()
        for step in sorted(evals):
            self.rec.evaluate(step, wall_time=times[step], **evals[step])
        for tag in tags.get("images", []):
            for im in self.acc.Images(tag):
                if im.step > self.done.get("image:" + tag, -1):
                    self.rec.image_file(im.step, im.encoded_image_string)
                    self.done["image:" + tag] = im.step
        return new


def import_logdir(logdir: Path, runs_dir: Path, mapping: dict[str, str], algo: Optional[str] = None,
                  follow: bool = False, poll_s: float = 2.0) -> list[Path]:
    """Import every event folder under logdir as a run under runs_dir; with follow, keep going until Ctrl-C."""
    folders = event_dirs(logdir)
    if not folders:
        raise FileNotFoundError(f"no TensorBoard event files (events.out.tfevents.*) under {str(logdir)!r}")
    importers = []
    for events in folders:
        rel = events.relative_to(logdir).as_posix() if events != logdir else logdir.name
        name = "tb-" + re.sub(r"[^A-Za-z0-9._-]", "-", rel).strip("-.")[:120]
        importers.append(Importer(events, runs_dir / name, mapping, algo))
    try:
        while True:
            for imp in importers:
                imp.step()
            if not follow:
                break
            time.sleep(poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        for imp in importers:
            imp.rec.close("finished")
    return [imp.rec.run_dir for imp in importers]


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m wgan_watch import-tensorboard", allow_abbrev=False,
                                description="Turn TensorBoard logs into run folders the dashboard reads.")
    p.add_argument("logdir", type=Path)
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=TAG",
                   help="which tag is which column, e.g. --map w_estimate=critic/wdist --map fid=eval/fid")
    p.add_argument("--runs-dir", type=Path, default=Path("runs"))
    p.add_argument("--algo", choices=("wgan", "wgan-gp", "gan"), help="the algorithm, shown by the dashboard")
    p.add_argument("--follow", action="store_true", help="keep importing new events until Ctrl-C")
    ns = p.parse_args(argv)
    mapping = {}
    for item in ns.map:
        column, _, tag = item.partition("=")
        if not tag or not column.isidentifier():
            print(f"error: --map takes COLUMN=TAG with COLUMN an identifier, got {item!r}", file=sys.stderr)
            return 2
        mapping[tag] = column
    try:
        runs = import_logdir(ns.logdir, ns.runs_dir, mapping, ns.algo, ns.follow)
    except (TensorBoardMissing, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for r in runs:
        print(r)
    return 0
