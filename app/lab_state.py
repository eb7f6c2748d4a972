"""What the latent lab shows, as URL query parameters: a link reproduces the screen exactly."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Mapping, Optional

METHODS = ("sefa", "ganspace", "raw")
INTERPOLATIONS = ("slerp", "lerp")


@dataclass
class LabState:
    run: Optional[str] = None
    step: Optional[int] = None
    seed: int = 0
    method: str = "sefa"
    amounts: list[float] = field(default_factory=list)  # standard deviations along each direction
    seed_a: int = 0
    seed_b: int = 1
    frames: int = 12
    interp: str = "slerp"
    walk: list[int] = field(default_factory=lambda: [0, 1, 2, 3])
    play: bool = False  # the interpolation and the walk as looping GIFs (off: the strip and the downloads only)

    def to_params(self) -> dict[str, str]:
        out = {}
        for k, v in asdict(self).items():
            if v is None:
                continue
            out[k] = ",".join(_fmt(x) for x in v) if isinstance(v, list) else _fmt(v)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "LabState":
        """Tolerant: a value that does not parse keeps its default."""
        s = cls()
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None:
                continue
            try:
                if f.name == "amounts":
                    val = [max(-10.0, min(10.0, float(x))) for x in raw.split(",") if x != ""][:64]
                elif f.name == "walk":
                    val = [int(x) for x in raw.split(",") if x != ""][:32] or s.walk
                elif f.name in ("step", "seed", "seed_a", "seed_b", "frames"):
                    val = int(raw)
                elif f.name == "play":
                    val = raw.strip().lower() in ("1", "true", "yes", "on")
                else:
                    val = str(raw)
            except ValueError:
                continue
            setattr(s, f.name, val)
        if s.method not in METHODS:
            s.method = "sefa"
        if s.interp not in INTERPOLATIONS:
            s.interp = "slerp"
        s.frames = max(2, min(s.frames, 120))
        s.seed, s.seed_a, s.seed_b = (max(0, min(v, 2**31 - 1)) for v in (s.seed, s.seed_a, s.seed_b))
        return s


def _fmt(x) -> str:
    if isinstance(x, bool):
        return "1" if x else "0"
    return f"{x:g}" if isinstance(x, float) else str(x)
