"""What every tradeguard process on this host shares about one exchange host: the rate-limit
windows used so far, a 429 pause, and a 418 ban.

Binance limits are per IP, so two bots on one machine spend one budget; and a ban must outlive
the process that earned it, or a restarted bot walks straight back into it. The state is a small
JSON file under the user's state directory, read and written under an exclusive `flock`, so the
read-check-spend-write of every request is atomic across processes.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from tradeguard.errors import ConfigError


def default_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "tradeguard" / "hosts"


class HostState:
    def __init__(self, venue_host: str, directory: Path | None = None) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", venue_host) or "default"
        self.path = (directory or default_dir()) / f"{safe}.json"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"cannot open the shared rate-limit state {self.path}: {exc.strerror}",
                hint="set XDG_STATE_HOME to a writable directory",
            ) from exc

        self._seen: tuple[int, int] = (-1, -1)

    def changed(self) -> bool:
        """Whether another process wrote the state since this one last read or wrote it
        (one fstat: cheap enough for every request)."""
        st = os.fstat(self._fd)
        return (st.st_mtime_ns, st.st_size) != self._seen

    @contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """The shared state, locked; changes made to the dict are written back on exit."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            raw = os.pread(self._fd, 1 << 16, 0)
            try:
                decoded: Any = msgspec.json.decode(raw) if raw else {}
            except msgspec.DecodeError:
                decoded = {}  # a torn or foreign file: start over rather than trust it
            state: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
            yield state
            # One small pwrite at offset 0: other processes only read under the same lock.
            data = msgspec.json.encode(state)
            os.pwrite(self._fd, data, 0)
            os.ftruncate(self._fd, len(data))
            st = os.fstat(self._fd)
            self._seen = (st.st_mtime_ns, st.st_size)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)
