"""WGAN Watch: train WGAN, WGAN-GP and a vanilla GAN, or log your own loop, into live run folders.

    from wgan_watch import Recorder, TrainConfig, train, load_generator

`wgan_watch` is this folder (`trainer/` in the repository; pyproject.toml maps the name), and the
dashboard is `wgan_watch.app` (`app/`). Inside, the files are grouped by concern:

    runs/      the run-folder contract and the Recorder        no torch at import
    advice/    the stop advisor: pure functions on tables      no torch
    quality/   quality measures (W1, modes, FID/KID/IS) and latent tools
    (here)     training itself: config.py, the loop and what it calls, the CLI

`Recorder` and `TrainConfig` import no torch; `train` and `load_generator` load it on first use, so a
script that only logs, and the dashboard, never pay for it.
"""

from .config import ConfigError, TrainConfig
from .runs.record import Recorder
from .version import __version__

__all__ = ["TrainConfig", "ConfigError", "Recorder", "train", "load_generator", "__version__"]


def __getattr__(name: str):
    if name == "train":
        from .loop import train

        return train
    if name == "load_generator":
        from .artifacts import load_generator

        return load_generator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
