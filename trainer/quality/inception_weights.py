"""The standard Inception-v3 weights for FID, KID and IS on colour images, fetched once into the user's cache.

torch-fidelity's `pt_inception-2015-12-05` weights (the network of the original TensorFlow FID code, ported)
are what FID on colour images is usually reported on. When `--inception-weights` names no file, the trainer
fetches them from torch-fidelity's release once, checks them against the hash in their file name (the first
eight hex digits of their SHA-256, as torch.hub names its files) and keeps them in ~/.cache/wgan-watch (or
$XDG_CACHE_HOME/wgan-watch). Offline, the fetch fails in one line and the run goes on without FID, as it
always did. $WGAN_WATCH_INCEPTION_URL points it elsewhere (a mirror, or a file:// URL).
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.request
from pathlib import Path

URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
       "weights-inception-2015-12-05-6726825d.pth")
URL_ENV = "WGAN_WATCH_INCEPTION_URL"
TIMEOUT_S = 20.0
MAX_BYTES = 200 << 20  # the file is 91 MB


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wgan-watch"


def expected_hash(url: str) -> str:
    """The SHA-256 prefix a file name carries (`name-<hex>.pth`, torch.hub's convention)."""
    m = re.search(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$", url.rsplit("/", 1)[-1])
    if not m:
        raise RuntimeError(f"the weights URL {url!r} carries no hash in its file name to check the download against")
    return m.group(1)


def standard_weights(url: str | None = None) -> Path:
    """The weights file, from the cache or fetched and checked now; RuntimeError (one line) when it cannot be."""
    url = url or os.environ.get(URL_ENV) or URL
    want = expected_hash(url)
    path = cache_dir() / url.rsplit("/", 1)[-1]
    if path.is_file() and _sha256(path).startswith(want):
        return path
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:  # noqa: S310 - https, or a file:// mirror
            data = resp.read(MAX_BYTES + 1)
    except OSError as e:
        raise RuntimeError(f"could not fetch the standard Inception weights from {url} "
                           f"({getattr(e, 'reason', None) or e})") from None
    got = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES or not got.startswith(want):
        raise RuntimeError(f"the Inception weights fetched from {url} do not match their hash ({got[:8]}, not "
                           f"{want[:8]}): not kept")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
