"""The one place every training setting lives.

`TrainConfig` is the CLI (`python -m wgan_watch --batch-size 64`), the JSON on disk
(`runs/<name>/config.json`) and the dashboard's start form. Each field's
docstring is its help text. Fields left at None mean "the algorithm's (or the
data's) default" and are filled in by `resolved()`, so `config.json` always
holds the concrete values a run used.

This module imports no torch: the dashboard reads configs without it.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Optional

ALGOS = ("wgan", "wgan-gp", "gan")
TOY_DATA = ("gaussians8", "gaussians25", "swissroll")
IMAGE_DATA = ("digits", "mnist", "fashion-mnist", "cifar10")
IMAGE_SIZES = (28, 32, 64)
DEVICES = ("auto", "cpu", "cuda", "mps")
OPTIMIZERS = ("adam", "rmsprop")
CRITIC_NORMS = ("none", "batch", "layer")
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")  # what folder: datasets read


class ConfigError(ValueError):
    """A setting that cannot work. The message is one line meant for the user."""


def short(value: Any, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters: error messages stay one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def is_toy(data: str) -> bool:
    """2-D point data (MLP models, exact W1 evaluation) rather than images."""
    return data in TOY_DATA


def data_slug(data: str) -> str:
    """A file-name-safe short name for the data, used in default run names."""
    if data.startswith("folder:"):
        base = Path(data[len("folder:"):].rstrip("/\\")).name or "folder"
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in base)
        return f"folder-{safe}"[:40]
    return data


@dataclass
class TrainConfig:
    """Everything a training run needs; None means the algorithm's or data's default."""

    algo: str = "wgan-gp"
    """Objective: wgan (weight clipping), wgan-gp (gradient penalty) or gan (vanilla baseline)."""
    data: str = "gaussians8"
    """gaussians8, gaussians25, swissroll, digits (5,000 embedded MNIST digits), mnist, fashion-mnist, cifar10, or folder:PATH."""
    data_root: str = "data"
    """Where torchvision datasets (mnist, fashion-mnist, cifar10) are looked for."""
    download: bool = False
    """Let torchvision download mnist/fashion-mnist/cifar10 into --data-root (needs network)."""
    steps: Optional[int] = None
    """Generator steps to train for (the run's total, also after a resume). Default: 3,000 on gaussians25, 2,000 otherwise."""
    batch_size: Optional[int] = None
    """Real samples per critic batch. Default: 256 for 2-D data, 64 for images."""
    n_critic: Optional[int] = None
    """Critic updates per generator step. Default: 5 for wgan and wgan-gp, 1 for gan."""
    n_critic_warmup: Optional[int] = None
    """Critic updates during warm-up steps. Default: 100 for wgan (the WGAN paper's schedule), n_critic otherwise."""
    warmup_steps: int = 25
    """The first this many generator steps use n_critic_warmup critic updates."""
    warmup_every: int = 500
    """Every this many generator steps also uses n_critic_warmup (0 turns it off)."""
    latent_dim: Optional[int] = None
    """Size of the generator's Gaussian input z. Default: 2 for 2-D data (as in the WGAN-GP toys), 64 for images."""
    optimizer: Optional[str] = None
    """adam or rmsprop. Default: rmsprop for wgan, adam otherwise."""
    lr_d: Optional[float] = None
    """Critic learning rate. Default: 1e-3 for WGAN and WGAN-GP on 2-D data (measured: README, "Speed"), else 5e-5 wgan, 1e-4 wgan-gp, 2e-4 gan."""
    lr_g: Optional[float] = None
    """Generator learning rate. Default: same as the critic's."""
    lr_decay_steps: Optional[int] = None
    """Both learning rates fall linearly to 10% over this many generator steps, then stay there (0: constant). Default: 2,000 for WGAN and WGAN-GP on 2-D data (3,000 on gaussians25), 0 otherwise."""
    betas: Optional[tuple[float, float]] = None
    """Adam betas. Default: (0.5, 0.9) for wgan-gp, (0.5, 0.999) for gan; unused by RMSprop."""
    clip: Optional[float] = None
    """WGAN: critic weights are clipped to [-clip, clip] after each critic step. Default: 0.01 on images (the WGAN paper), 0.05 on 2-D data (0.01 left the toy MLP's critic too weak to learn in 3,000 steps; measured, bench/README.md)."""
    gp_lambda: Optional[float] = None
    """WGAN-GP: penalty weight. Default: 0.1 for 2-D data (the paper's toy code), 10 for images."""
    width: Optional[int] = None
    """Model width: MLP hidden units (2-D data) or base conv channels (images). Default: 256 / 32."""
    critic_norm: Optional[str] = None
    """Normalisation in the critic: none, batch or layer. Default: none for 2-D data; images: layer for wgan-gp (batch norm breaks the penalty), batch otherwise."""
    image_size: Optional[int] = None
    """Image side in pixels: 28, 32 or 64. Default: the data's own (28 digits/mnist, 32 cifar10, 64 folders)."""
    channels: Optional[int] = None
    """Image channels, 1 or 3. Default: 1 for digits/mnist/fashion-mnist, 3 for cifar10 and folders."""
    seed: int = 0
    """Random seed for weights, data order and noise."""
    device: str = "auto"
    """auto (CUDA, then MPS, then CPU), cpu, cuda or mps."""
    cuda_graphs: bool = False
    """CUDA, one process, data on the GPU: replay each generator step as one CUDA graph instead of ~1,000 kernel launches. Ignored (with a log line) elsewhere."""
    channels_last: Optional[bool] = None
    """Images: run the convolutions channels-last (NHWC). Default: on (the digits step measured 3-14% faster on the CPU; cuDNN's fastest kernels want it)."""
    run_dir: Optional[str] = None
    """The run folder. Default: <runs-root>/<time>-<algo>-<data>."""
    runs_root: str = "runs"
    """Where new run folders are made when --run-dir is not given."""
    group: Optional[str] = None
    """A name shared by runs started together (the demo, a trio, a study): the Compare page opens on the newest group."""
    study_sample: Optional[int] = None
    """Set by a study (python -m wgan_watch study): which of its settings samples this run is (0: the defaults)."""
    eval_every: Optional[int] = None
    """Generator steps between evaluations (exact W1 and modes on 2-D data, FID/KID/IS on images). Default: 250, spaced out in multiples of 250 when an evaluation would take over 2% of the training time."""
    eval_samples: int = 1000
    """Real and generated samples per evaluation."""
    sample_every: int = 250
    """Generator steps between sample files (fixed-noise grid, or points and critic map)."""
    snapshot_every: int = 500
    """Generator steps between generator snapshots (safetensors, for the dashboard)."""
    checkpoint_every: int = 500
    """Generator steps between resumable checkpoints (checkpoints/last.pt)."""
    inception_weights: Optional[str] = None
    """Path to torch-fidelity's Inception-v3 weights on disk, for FID/KID/IS on any images (digits need none)."""
    early_stop: int = 0
    """Stop once the advisor has said 'plateaued', 'converged' or 'getting worse' for this many generator steps, keeping the best snapshot (0: never)."""
    max_snapshots: int = 20
    """Generator snapshots kept; older ones are thinned evenly, the latest always kept."""
    max_samples: int = 60
    """Sample files kept (grids or 2-D point sets), thinned evenly like the snapshots."""
    flush_secs: float = 2.0
    """Seconds between writes of the metrics buffer to a Parquet part (and status heartbeats)."""
    progress: bool = True
    """Show a progress bar on the terminal."""

    # --- derived values ---------------------------------------------------

    @property
    def is_toy(self) -> bool:
        return is_toy(self.data)

    def resolved(self) -> "TrainConfig":
        """A validated copy with every None replaced by its concrete default."""
        self.validate()
        c = dataclasses.replace(self)
        toy = c.is_toy
        if c.steps is None:
            c.steps = 3000 if c.data == "gaussians25" else 2000
        if c.batch_size is None:
            c.batch_size = 256 if toy else 64
        if c.n_critic is None:
            c.n_critic = 1 if c.algo == "gan" else 5
        if c.n_critic_warmup is None:
            c.n_critic_warmup = 100 if c.algo == "wgan" else c.n_critic
        if c.latent_dim is None:
            c.latent_dim = 2 if toy else 64
        if c.optimizer is None:
            c.optimizer = "rmsprop" if c.algo == "wgan" else "adam"
        wgan_toy = toy and c.algo != "gan"
        if c.lr_d is None:
            c.lr_d = 1e-3 if wgan_toy else {"wgan": 5e-5, "wgan-gp": 1e-4, "gan": 2e-4}[c.algo]
        if c.lr_decay_steps is None:
            c.lr_decay_steps = (3000 if c.data == "gaussians25" else 2000) if wgan_toy else 0
        if c.clip is None:
            c.clip = 0.05 if toy else 0.01
        if c.lr_g is None:
            c.lr_g = c.lr_d
        if c.betas is None:
            c.betas = (0.5, 0.999) if c.algo == "gan" else (0.5, 0.9)
        c.betas = (float(c.betas[0]), float(c.betas[1]))
        if c.gp_lambda is None:
            c.gp_lambda = 0.1 if toy else 10.0
        if c.width is None:
            c.width = 256 if toy else 32
        if c.critic_norm is None:
            if toy:
                c.critic_norm = "none"
            else:
                c.critic_norm = "layer" if c.algo == "wgan-gp" else "batch"
        if c.image_size is None:
            c.image_size = 0 if toy else {"cifar10": 32}.get(c.data, 64 if c.data.startswith("folder:") else 28)
        if c.channels is None:
            c.channels = 0 if toy else (3 if c.data == "cifar10" or c.data.startswith("folder:") else 1)
        c.validate()
        return c

    def validate(self) -> None:
        """Raise ConfigError (one line) for a value that cannot work."""
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(msg)

        need(self.algo in ALGOS, f"unknown algo {short(self.algo)}: choose one of {', '.join(ALGOS)}")
        known = self.data in TOY_DATA + IMAGE_DATA or (self.data.startswith("folder:") and len(self.data) > 7)
        need(known, f"unknown data {short(self.data)}: choose one of {', '.join(TOY_DATA + IMAGE_DATA)} or folder:PATH")
        if self.data.startswith("folder:"):
            path = self.data[len("folder:"):]
            need(os.path.isdir(path), f"image folder {short(path)} does not exist or is not a folder")
        need(self.steps is None or self.steps >= 1, f"steps must be at least 1, got {self.steps}")
        for name in ("batch_size", "n_critic", "n_critic_warmup", "latent_dim", "width"):
            v = getattr(self, name)
            need(v is None or v >= 1, f"{name} must be at least 1, got {v}")
        need(self.batch_size is None or self.batch_size <= 65536, f"batch_size {self.batch_size} is too large (at most 65536)")
        need(self.width is None or self.width <= 4096, f"width {self.width} is too large (at most 4096)")
        need(self.latent_dim is None or self.latent_dim <= 4096, f"latent_dim {self.latent_dim} is too large (at most 4096)")
        need(self.warmup_steps >= 0 and self.warmup_every >= 0, "warmup_steps and warmup_every must be 0 or more")
        need(self.optimizer is None or self.optimizer in OPTIMIZERS, f"unknown optimizer {short(self.optimizer)}: choose adam or rmsprop")
        for name in ("lr_d", "lr_g"):
            v = getattr(self, name)
            need(v is None or (0 < v < 1), f"{name} must be between 0 and 1, got {v}")
        if self.betas is not None:
            need(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), f"betas must be two numbers in [0, 1), got {self.betas}")
        need(self.clip is None or (self.clip > 0 and self.clip == self.clip), f"clip must be greater than 0, got {self.clip}")
        need(self.lr_decay_steps is None or self.lr_decay_steps >= 0, f"lr_decay_steps must be 0 or more, got {self.lr_decay_steps}")
        need(self.gp_lambda is None or self.gp_lambda >= 0, f"gp_lambda must be 0 or more, got {self.gp_lambda}")
        need(self.critic_norm is None or self.critic_norm in CRITIC_NORMS, f"unknown critic_norm {short(self.critic_norm)}: choose none, batch or layer")
        if self.algo == "wgan-gp":
            need(self.critic_norm != "batch", "wgan-gp cannot use batch norm in the critic (the penalty is per sample): use --critic-norm layer or none")
        if not self.is_toy:
            need(self.image_size is None or self.image_size in IMAGE_SIZES,
                 f"image_size {self.image_size} is not supported: choose one of {', '.join(map(str, IMAGE_SIZES))}")
            need(self.channels is None or self.channels in (1, 3), f"channels must be 1 or 3, got {self.channels}")
        need(self.device in DEVICES, f"unknown device {short(self.device)}: choose one of {', '.join(DEVICES)}")
        for name in ("eval_every", "sample_every", "snapshot_every", "checkpoint_every"):
            v = getattr(self, name)
            need(v is None or v >= 1, f"{name} must be at least 1, got {v}")
        need(10 <= self.eval_samples <= 100_000, f"eval_samples must be between 10 and 100000, got {self.eval_samples}")
        need(self.early_stop >= 0, f"early_stop must be 0 or more, got {self.early_stop}")
        if self.inception_weights:
            need(os.path.isfile(self.inception_weights), f"inception weights {short(self.inception_weights)} not found")
        need(self.max_snapshots >= 2, f"max_snapshots must be at least 2, got {self.max_snapshots}")
        need(self.max_samples >= 2, f"max_samples must be at least 2, got {self.max_samples}")
        need(self.flush_secs > 0, f"flush_secs must be greater than 0, got {self.flush_secs}")
        need(self.seed >= 0, f"seed must be 0 or more, got {self.seed}")
        need(self.study_sample is None or self.study_sample >= 0, f"study_sample must be 0 or more, got {self.study_sample}")
        if self.group is not None:
            need(0 < len(self.group) <= 128 and self.group.isprintable(),
                 f"group must be 1 to 128 printable characters, got {short(self.group)}")

    # --- JSON ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if d["betas"] is not None:
            d["betas"] = list(d["betas"])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        """Build from a dict, rejecting unknown keys and wrong types with a ConfigError."""
        if not isinstance(d, dict):
            raise ConfigError("a config must be a JSON object")
        d = {k: v for k, v in d.items() if k not in ("format", "version")}
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown config key(s): {short(', '.join(unknown), 200)}")
        hints = typing.get_type_hints(cls)
        kwargs = {k: _coerce(k, v, hints[k]) for k, v in d.items()}
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"config is not valid JSON: {e}") from None
        return cls.from_dict(d)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainConfig":
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise ConfigError(f"cannot read config {str(path)!r}: {e.strerror or e}") from None
        return cls.from_json(text)


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Check a JSON value against a field's type, allowing int for float and lists for tuples."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    bad = ConfigError(f"config key {short(name)} has the wrong type: {short(value)}")
    if hint is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise bad
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise bad
        return tuple(_coerce(name, v, a) for v, a in zip(value, args))
    raise bad  # pragma: no cover - every field type is handled above


def field_docs() -> dict[str, str]:
    """Each field's docstring (the string literal under it), read from this file's source."""
    tree = ast.parse(inspect.getsource(TrainConfig))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for prev, node in zip(body, body[1:]):
        if isinstance(prev, ast.AnnAssign) and isinstance(prev.target, ast.Name):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                docs[prev.target.id] = node.value.value
    return docs
