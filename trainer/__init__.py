"""WGAN Watch's trainer: WGAN, WGAN-GP and a vanilla GAN writing live run folders.

`from trainer import TrainConfig, Recorder` imports no torch; `train` and
`load_generator` load it on first use, so the dashboard can read runs without it,
and a training script can log through Recorder whatever framework it uses.
"""

__version__ = "0.2.0"

from .config import ConfigError, TrainConfig  # noqa: E402
from .record import Recorder  # noqa: E402

__all__ = ["TrainConfig", "ConfigError", "Recorder", "train", "load_generator", "__version__"]


def __getattr__(name: str):
    if name == "train":
        from .loop import train

        return train
    if name == "load_generator":
        from .artifacts import load_generator

        return load_generator
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")
