"""Every blob in the git history, each read once.

`git log --all --reverse --raw -m` names, commit by commit from the oldest, every file version
a commit added or changed (merges against each parent), with its blob id. A blob is kept the
first time it appears, so each is scanned once and reported with the commit that introduced
it. Sizes come from one `git cat-file --batch-check`, contents from one streaming
`git cat-file --batch`. Only regular files (modes 100644 and 100755); no submodules, no
symlinks.

Measured against `git log -p --all` (which prints every added line of every commit, more bytes
to read for a file changed many times, and gives only diff context for the pairing detectors):
see bench/bench_scan.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tradeguard.errors import ConfigError

_FILE_MODES = (b"100644", b"100755")


@dataclass(frozen=True, slots=True)
class Blob:
    oid: str
    commit: str
    path: str


def git_executable() -> str:
    found = shutil.which("git")
    if found is None:
        raise ConfigError("git is not installed", hint="install git, or leave out --history")
    return found


def run_git(
    repo: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`git -C repo ARGS` with fixed arguments (no shell), output captured."""
    command = [git_executable(), "-C", str(repo), *args]
    return subprocess.run(command, input=stdin, capture_output=True, check=False)  # noqa: S603


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = run_git(repo, *args, stdin=stdin)
    except OSError as exc:
        raise ConfigError(f"cannot run git: {exc.strerror or exc}", hint="install git") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"git {args[0]} failed in {repo}: {message[-1] if message else '?'}")
    return done.stdout


def blobs(repo: Path, pathspec: Sequence[str] = ()) -> list[Blob]:
    """The distinct file blobs of every commit reachable from any ref, oldest commit first."""
    out = _git(
        repo,
        "log",
        "--all",
        "--reverse",
        "--format=%x01%H",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "-m",
        "--diff-filter=d",
        "--",
        *pathspec,
    )
    seen: dict[str, Blob] = {}
    for chunk in out.split(b"\x01")[1:]:
        fields = chunk.split(b"\0")
        commit = fields[0].strip().decode("ascii")
        for i in range(1, len(fields) - 1, 2):
            meta = fields[i].strip().split()
            if len(meta) < 5 or meta[1] not in _FILE_MODES:
                continue
            oid = meta[3].decode("ascii")
            if oid not in seen and set(oid) != {"0"}:
                seen[oid] = Blob(oid, commit, os.fsdecode(fields[i + 1]))
    return list(seen.values())


def sizes(repo: Path, oids: Sequence[str]) -> dict[str, int]:
    if not oids:
        return {}
    out = _git(
        repo,
        "cat-file",
        "--batch-check=%(objectname) %(objectsize)",
        stdin="".join(f"{o}\n" for o in oids).encode(),
    )
    result: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            result[parts[0].decode("ascii")] = int(parts[1])
    return result


def contents(repo: Path, wanted: Sequence[Blob]) -> Iterator[tuple[Blob, bytes]]:
    """The bytes of each blob, streamed from one `git cat-file --batch`."""
    if not wanted:
        return
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        [git_executable(), "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    request = "".join(f"{b.oid}\n" for b in wanted).encode()
    stdin = proc.stdin

    def feed() -> None:
        try:
            stdin.write(request)
        except BrokenPipeError:  # pragma: no cover - git went away; reading will say so
            pass
        finally:
            stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for blob in wanted:
            header = proc.stdout.readline().split()
            if len(header) != 3:
                continue  # "<oid> missing"
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)
            yield blob, data
    finally:
        proc.stdout.close()
        writer.join()
        proc.wait()
