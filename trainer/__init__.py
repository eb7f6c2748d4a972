"""WGAN Watch's trainer: WGAN, WGAN-GP and a vanilla GAN writing live run folders.

`from trainer import TrainConfig` imports no torch; `train` and `load_generator`
load it on first use, so the dashboard can read configs without it.
"""

from .config import ConfigError, TrainConfig

__version__ = "0.1.0"
__all__ = ["TrainConfig", "ConfigError", "train", "load_generator", "__version__"]


def __getattr__(name: str):
    if name == "train":
        from .loop import train

        return train
    if name == "load_generator":
        from .artifacts import load_generator

        return load_generator
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")
