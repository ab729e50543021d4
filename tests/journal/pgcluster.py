"""A throwaway PostgreSQL cluster from the server binaries: initdb and pg_ctl on a temporary
directory, listening only on a unix socket inside it. Used by the journal tests and by
bench/bench_journal.py (so: no pytest here).

As root, the server refuses to run; the cluster is then created and run as the `postgres`
user that Debian's package creates, through runuser (or su).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

HOW_TO_ENABLE = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: "
    "`apt-get install postgresql` to run the PostgreSQL journal tests"
)


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's versioned directory (newest first), or PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if os.access(os.path.join(candidate, "initdb"), os.X_OK):
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.base = Path(tempfile.mkdtemp(prefix="tgpg"))  # short: socket paths max 107 bytes
        self.data = self.base / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            self._as = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]
            shutil.chown(self.base, "postgres", "postgres")

    @property
    def dsn(self) -> str:
        return f"postgresql://tradeguard@/postgres?host={self.base}&port={self.port}"

    def _run(self, *argv: str) -> None:
        cmd = [str(a) for a in argv]
        su = bool(self._as) and self._as[-1] == "-c"  # su takes one shell string
        cmd = [*self._as, " ".join(cmd)] if su else [*self._as, *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            self.bin / "initdb",
            "-D",
            self.data,
            "-U",
            "tradeguard",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = f"-k {self.base} -p {self.port} -c listen_addresses='' -c fsync=on"
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.base / "log",
            "-w",
            "-o",
            options if not self._as or self._as[-1] != "-c" else f'"{options}"',
            "start",
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[Cluster | None]:
    """A started cluster, or None when the binaries are missing."""
    binaries = bin_dir()
    if binaries is None:
        yield None
        return
    cluster = Cluster(binaries)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
