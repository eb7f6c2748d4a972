"""A study's fixed design: algorithms x settings samples x seeds, each point an ordinary run. No torch, no
optuna: the dashboard reads designs too.

For each algorithm, sample 0 is the default settings and samples 1..K-1 are drawn, reproducibly, from the
ranges below, in the spirit of Lucic et al. 2018 ("Are GANs Created Equal?", their Table 2 and google/
compare_gan): the learning rate log-uniform in [1e-5, 1e-2] (one rate for both networks), Adam's beta1 uniform
in [0, 0.9], critic steps per generator step uniform in {1, ..., 5}, WGAN's clip log-uniform in [1e-3, 1] and
WGAN-GP's penalty weight log-uniform in [0.1, 100]. The settings every algorithm has (learning rate, beta1,
critic steps) are drawn once per sample index and shared, so sample k of WGAN-GP and sample k of the vanilla GAN
differ only in their objective: the pairs the WGAN-GP paper's only-A/only-B/both/neither table counts.

Where a range means nothing for the run it is narrowed, and `NARROWED` says why:
- beta1 is not drawn for WGAN with clipping: it trains with RMSprop (the WGAN paper found momentum hurt it),
  which has no beta1; its sample keeps the shared learning rate and critic steps;
- on the 2-D toys the penalty weight is drawn from [0.001, 1] instead: the WGAN-GP paper's toy code uses 0.1
  there, a hundredth of its images' 10, so the range moves down by the same factor: the same three decades,
  with the toys' default where Lucic et al.'s range puts the images' (two thirds of the way up, in log).
Everything else (architecture, batch, the learning-rate decay of the toys' defaults, evaluations) is the
data's default for every sample.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..config import ALGOS, TOY_DATA, ConfigError, TrainConfig

RANGES = {  # (low, high, scale) as in Lucic et al. 2018
    "lr": (1e-5, 1e-2, "log"),
    "beta1": (0.0, 0.9, "linear"),
    "n_critic": (1, 5, "int"),
    "clip": (1e-3, 1.0, "log"),
    "gp_lambda": (0.1, 100.0, "log"),
}
TOY_GP_LAMBDA = (0.001, 1.0)
NARROWED = {
    "wgan: beta1": "RMSprop, the WGAN paper's optimizer for clipping, has no beta1",
    "2-D toys: gp_lambda": "drawn from [0.001, 1], not [0.1, 100]: the toys' default penalty is 0.1 (the WGAN-GP "
                           "paper's toy code), a hundredth of the images' 10",
}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Point:
    """One run of the design: an algorithm under one settings sample and one seed."""

    algo: str
    sample: int
    seed: int
    settings: dict = field(default_factory=dict, hash=False, compare=False)  # TrainConfig fields over the defaults

    def run_name(self, study: str) -> str:
        return f"{study}-{self.algo}-k{self.sample:02d}-s{self.seed}"

    def attrs(self, study: str) -> dict:
        return {"algo": self.algo, "sample": self.sample, "seed": self.seed, "settings": self.settings,
                "run": self.run_name(study)}


@dataclass(frozen=True)
class Design:
    """What a study runs: `samples` settings per algorithm (sample 0: the defaults), each under `seeds` seeds."""

    name: str
    data: str
    algos: tuple[str, ...]
    samples: int
    seeds: int
    steps: Optional[int] = None
    design_seed: int = 0
    fixed: dict = field(default_factory=dict, hash=False)  # trainer settings every run shares (flags after --)

    def validate(self) -> "Design":
        if not NAME_RE.match(self.name):
            raise ConfigError(f"study name {self.name!r}: use letters, digits, '_' and '-' (at most 64, starting "
                              "with a letter or digit)")
        unknown = [a for a in self.algos if a not in ALGOS]
        if unknown or not self.algos:
            raise ConfigError(f"unknown algorithm {unknown[0] if unknown else '(none)'!r}: choose from "
                              f"{', '.join(ALGOS)}")
        if len(set(self.algos)) != len(self.algos):
            raise ConfigError(f"--algos names an algorithm twice: {','.join(self.algos)}")
        if not 1 <= self.samples <= 1000 or not 1 <= self.seeds <= 1000:
            raise ConfigError(f"--samples and --seeds must be between 1 and 1000, got {self.samples} and {self.seeds}")
        for p in self.points()[: len(self.algos) * 2]:
            self.config(p).resolved()  # the data, the steps: one line now rather than a failed trial later
        return self

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "algos": list(self.algos), "fixed": _json(self.fixed)}

    @classmethod
    def from_dict(cls, d: dict) -> "Design":
        fixed = d.get("fixed") or {}
        typed = TrainConfig.from_dict(fixed)  # JSON lists back into tuples, checked as the CLI checks them
        return cls(**{**d, "algos": tuple(d["algos"]), "fixed": {k: getattr(typed, k) for k in fixed}})

    def fingerprint(self) -> str:
        """Changes with anything that changes the points: two workers on one study agree on it."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def points(self) -> list[Point]:
        """Every run, defaults first (so the seeds of the default setting fill early), then sample by sample;
        within a sample seed by seed, the algorithms side by side."""
        shared = [shared_settings(self.design_seed, k) for k in range(self.samples)]
        return [Point(a, k, s, own_settings(a, self.data, self.design_seed, k, shared[k]))
                for k in range(self.samples) for s in range(self.seeds) for a in self.algos]

    def config(self, p: Point, runs_root: str = "runs") -> TrainConfig:
        fixed = {**self.fixed, **({"steps": self.steps} if self.steps else {})}
        return TrainConfig.from_dict({**_json(fixed), "algo": p.algo, "data": self.data, "seed": p.seed,
                                      "group": self.name, "study_sample": p.sample, "runs_root": runs_root,
                                      "progress": False, **_json(p.settings)})


def _json(d: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def _rng(design_seed: int, *key: Any) -> random.Random:
    return random.Random(hashlib.sha256(repr((design_seed, *key)).encode()).digest())


def _draw(rng: random.Random, name: str, low: Optional[float] = None, high: Optional[float] = None) -> float:
    lo, hi, scale = RANGES[name]
    lo, hi = (lo if low is None else low), (hi if high is None else high)
    if scale == "log":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    if scale == "int":
        return rng.randint(int(lo), int(hi))
    return rng.uniform(lo, hi)


def shared_settings(design_seed: int, sample: int) -> dict:
    """The draws every algorithm of a sample shares (none for sample 0, the defaults)."""
    if sample == 0:
        return {}
    rng = _rng(design_seed, "shared", sample)
    return {"lr": _draw(rng, "lr"), "beta1": _draw(rng, "beta1"), "n_critic": _draw(rng, "n_critic")}


def own_settings(algo: str, data: str, design_seed: int, sample: int, shared: dict) -> dict:
    """TrainConfig fields for one algorithm under one sample (empty for sample 0)."""
    if sample == 0:
        return {}
    out: dict[str, Any] = {"lr_d": shared["lr"], "lr_g": shared["lr"], "n_critic": shared["n_critic"]}
    defaults = TrainConfig(algo=algo, data=data).resolved()
    if defaults.optimizer == "adam":
        out["betas"] = (round(shared["beta1"], 6), defaults.betas[1])
    rng = _rng(design_seed, algo, sample)
    if algo == "wgan":
        out["clip"] = _draw(rng, "clip")
    if algo == "wgan-gp":
        out["gp_lambda"] = _draw(rng, "gp_lambda", *(TOY_GP_LAMBDA if data in TOY_DATA else (None, None)))
    return {k: (round(v, 8) if isinstance(v, float) else v) for k, v in out.items()}
