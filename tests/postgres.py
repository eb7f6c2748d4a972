"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder (initdb), listening on a
Unix socket only (pg_ctl), stopped and removed afterwards. Debian's `postgresql` package provides the programs
(.ci/run installs it); without them the test skips, which CI (WGAN_WATCH_NO_SKIPS) turns into a failure."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional


def programs() -> Optional[Path]:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(f"{d}/initdb") and os.path.exists(f"{d}/pg_ctl"):
            return Path(d)
    return None


def _as_owner(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server's programs as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def server() -> Iterator[str]:
    """A running server; yields its SQLAlchemy URL (database `postgres`, user `wgan`, no password)."""
    bin_dir = programs()
    if bin_dir is None:
        import pytest

        pytest.skip("PostgreSQL's initdb/pg_ctl not found (apt-get install postgresql)")
    work = Path(tempfile.mkdtemp(prefix="pg-"))  # short: a socket path has at most 107 characters
    data, sock = work / "data", work / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for p in (work, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    try:
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "wgan",
                                  "--no-sync"]), check=True, capture_output=True, timeout=120)
        opts = f"-k {sock} -c listen_addresses='' -c fsync=off -c max_connections=50"
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(work / "log"),
                                  "-w", "-t", "60", "start"]), check=True, capture_output=True, timeout=120)
        yield f"postgresql://wgan@/postgres?host={sock}"
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
