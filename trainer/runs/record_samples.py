"""What a Recorder writes besides tables: sample grids, 2-D points and exported generators (Recorder's
methods, kept in a file of their own)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from . import runfiles as rf
from . import samples as sf
from .record_values import check_step


class SampleWriter:
    """Recorder's images, image_file, points and generator (it provides run_dir, writes, max_samples)."""

    run_dir: Path
    writes: bool
    max_samples: int
    _export_warned = False

    def images(self, step: int, images: Any) -> None:
        """A grid of generated images as samples/step_<step>.png (thinned to `max_samples` files)."""
        step = check_step(step, None, "images")
        grid = sf.images_nhwc_uint8(images)  # checked even on ranks that write nothing
        if self.writes:
            folder = self._samples()
            rf.atomic_write_bytes(folder / rf.step_name(step, "png"), sf.png_bytes(sf.grid(grid)))
            sf.thin_step_files(folder, "png", self.max_samples, protect=(step,))

    def image_file(self, step: int, png: bytes) -> None:
        """An already encoded PNG (a TensorBoard image summary) as samples/step_<step>.png."""
        step = check_step(step, None, "image_file")
        if not png.startswith(b"\x89PNG"):
            raise ValueError("image_file: png must be the bytes of a PNG file")
        if self.writes:
            folder = self._samples()
            rf.atomic_write_bytes(folder / rf.step_name(step, "png"), png)
            sf.thin_step_files(folder, "png", self.max_samples, protect=(step,))

    def points(self, step: int, real: Any, fake: Any, critic: Optional[Callable[[np.ndarray], Any]] = None) -> None:
        """Real and generated 2-D points (N x 2 each), and optionally critic(points) on a grid, as
        samples/step_<step>.parquet: the Monitor page draws them over the critic's heatmap."""
        step = check_step(step, None, "points")
        if self.writes:
            folder = self._samples()
            sf.write_points(folder / rf.step_name(step, "parquet"), real, fake, critic)
            sf.thin_step_files(folder, "parquet", self.max_samples, protect=(step,))

    def _samples(self) -> Path:
        folder = self.run_dir / "samples"
        folder.mkdir(exist_ok=True)
        return folder

    def generator(self, step: int, G: Any, latent_dim: Optional[int] = None, keep: Optional[int] = None,
                  protect: tuple[int, ...] = ()) -> bool:
        """The generator `G` (a torch module) at `step` as generator/step_<step>.onnx, for the Latent lab: in
        eval mode and without gradients (its mode restored after), one self-contained file with a dynamic batch
        dimension, its latent size (`latent_dim`, else read from its first layer), output shape and range
        beside it, and its SeFa and GANSpace directions. A model that cannot be exported gets one warning that
        says why, and training goes on (the lab says so too). True when written. Needs torch and `onnx`."""
        step = check_step(step, None, "generator")
        if not self.writes:
            return False
        from .generator_export import export_generator

        why = export_generator(self.run_dir, step, G, latent_dim, keep or self.max_samples, protect)
        if why and not self._export_warned:
            self._export_warned = True
            warnings.warn(f"the generator could not be exported for the Latent lab (training goes on): {why}",
                          stacklevel=2)
        return why is None
