"""Which files to scan, and their bytes.

In a git work tree the files are those git would commit: tracked ones and untracked ones that
.gitignore does not exclude (`git ls-files --cached --others --exclude-standard`); with
`all_files`, or outside git, every file under the path. `.git` is never entered, symlinks are
not followed, binary files (a NUL byte in the first 8 KiB, or a known binary extension) and files
over `max_bytes` are skipped and counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tradeguard.errors import ConfigError
from tradeguard.scan.history import run_git

MAX_BYTES = 2_000_000
_SNIFF = 8192
BINARY_SUFFIXES = frozenset(
    (  # noqa: SIM905
        ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .pdf .zip .gz .tgz .bz2 .xz .zst .7z "
        ".tar .whl .egg .jar .war .class .so .dylib .dll .exe .o .a .pyc .pyo .pyd .db "
        ".sqlite .sqlite3 .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .wav .flac .ogg "
        ".parquet .feather .npy .npz .pkl .pickle .bin .dat"
    ).split()
)


@dataclass(slots=True)
class WalkStats:
    files: int = 0
    bytes: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    unreadable: list[str] = field(default_factory=list)


def git_toplevel(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None (not in one, or no git)."""
    where = path if path.is_dir() else path.parent
    try:
        done = run_git(where, "rev-parse", "--show-toplevel")
    except (OSError, ConfigError):
        return None
    if done.returncode != 0:
        return None
    return Path(os.fsdecode(done.stdout.strip()))


def _git_files(root: Path) -> list[Path] | None:
    try:
        done = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, ConfigError):
        return None
    if done.returncode != 0:
        return None
    names = sorted({n for n in done.stdout.split(b"\0") if n})
    return [root / os.fsdecode(n) for n in names]


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        base = Path(dirpath)
        for name in sorted(filenames):
            yield base / name


def files(root: Path, *, all_files: bool = False) -> Iterator[Path]:
    """The files under `root` (or `root` itself when it is a file)."""
    if not root.is_dir():
        yield root
        return
    listed = None if all_files or git_toplevel(root) is None else _git_files(root)
    yield from (_walk(root) if listed is None else listed)


def read(path: Path, stats: WalkStats, max_bytes: int = MAX_BYTES) -> bytes | None:
    """The file's bytes, or None when it is skipped (binary, too large, unreadable, not a
    regular file)."""
    if path.suffix.lower() in BINARY_SUFFIXES:
        stats.skipped_binary += 1
        return None
    try:
        if path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError:
        stats.unreadable.append(str(path))
        return None
    if len(data) > max_bytes:
        stats.skipped_large += 1
        return None
    if b"\0" in data[:_SNIFF]:
        stats.skipped_binary += 1
        return None
    stats.files += 1
    stats.bytes += len(data)
    return data


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:_SNIFF]
