"""The secret scanner: exchange keys and secrets hard-coded in files and in git history.

    result = scan([Path(".")], history=True, own=OwnSecrets.from_values(...)[0])
    result.findings        # Finding(path, line, kind, redacted, commit, source)

Detectors are in `patterns` (pure), the user's own secrets by hash in `own`, the file walk in
`walk`, git history in `history`, printing in `report`. No finding holds a secret: only its
kind, where it is, and its first characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tradeguard.errors import ConfigError
from tradeguard.scan import history as git_history
from tradeguard.scan import walk
from tradeguard.scan.own import OwnSecrets
from tradeguard.scan.patterns import LineHit, detect, to_lines

__all__ = ["Finding", "OwnSecrets", "ScanResult", "scan", "scan_bytes"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret: where (a file, or a file as of a commit), what kind, its first characters.

    `source` is "file" for the working tree and "history" for a blob found only in history;
    `commit` is the commit that introduced the blob (for a file: set when the same secret is
    also in history, so rotating it is due even once the file is fixed)."""

    path: str
    line: int
    kind: str
    redacted: str
    commit: str | None = None
    source: str = "file"

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "redacted": self.redacted,
            "commit": self.commit,
            "source": self.source,
        }


@dataclass(slots=True)
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    stats: walk.WalkStats = field(default_factory=walk.WalkStats)
    blobs: int = 0
    blob_bytes: int = 0
    blobs_skipped: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "findings": len(self.findings),
            "files": self.stats.files,
            "bytes": self.stats.bytes,
            "skipped_binary": self.stats.skipped_binary,
            "skipped_large": self.stats.skipped_large,
            "unreadable": len(self.stats.unreadable),
            "history_blobs": self.blobs,
            "history_bytes": self.blob_bytes,
            "history_blobs_skipped": self.blobs_skipped,
        }


def scan_bytes(data: bytes, own: OwnSecrets | None = None) -> list[LineHit]:
    """The findings in one file's bytes, by line (allow comments applied)."""
    hits = detect(data)
    if own:
        found = own.find(data)
        if found:
            taken = {(h.start, h.end) for h in found}
            hits = [h for h in hits if (h.start, h.end) not in taken] + found
    return to_lines(data, hits)


def _shown(path: Path) -> str:
    return str(path)


def scan(
    paths: Sequence[Path],
    *,
    history: bool = False,
    all_files: bool = False,
    own: OwnSecrets | None = None,
    max_bytes: int = walk.MAX_BYTES,
) -> ScanResult:
    """Scan files under `paths` and, with `history`, every blob of their git repositories.
    Raises ConfigError for a path that does not exist or, with `history`, is not in git."""
    for path in paths:
        if not path.exists():
            raise ConfigError(f"{path}: no such file or directory", hint="give a file or folder")
    result = ScanResult()
    where: dict[tuple[str, str, bytes], Finding] = {}
    for path in paths:
        for file in walk.files(path, all_files=all_files):
            data = walk.read(file, result.stats, max_bytes)
            if data is None:
                continue
            for hit in scan_bytes(data, own):
                finding = Finding(_shown(file), hit.line, hit.kind, hit.redacted)
                result.findings.append(finding)
                where.setdefault((str(file.resolve()), hit.kind, hit.tag), finding)
    if history:
        _scan_history(paths, result, where, own, max_bytes)
    return result


def _repositories(paths: Sequence[Path]) -> dict[Path, list[str]]:
    """Each git work tree under `paths`, with the pathspecs to limit its history to ([] for
    all of it)."""
    repos: dict[Path, list[str] | None] = {}
    for path in paths:
        top = walk.git_toplevel(path.resolve())
        if top is None:
            raise ConfigError(
                f"{path}: not in a git repository, so it has no history to scan",
                hint="leave out --history, or give a path inside a git work tree",
            )
        rel = str(path.resolve().relative_to(top.resolve()))
        if rel == ".":
            repos[top] = None
        elif top not in repos or repos[top] is not None:
            specs = repos.setdefault(top, [])
            assert specs is not None
            specs.append(rel)
    return {top: specs or [] for top, specs in repos.items()}


def _scan_history(
    paths: Sequence[Path],
    result: ScanResult,
    where: dict[tuple[str, str, bytes], Finding],
    own: OwnSecrets | None,
    max_bytes: int,
) -> None:
    """Blobs of every commit, each once. A secret already found in the working tree at the
    same path is not reported again; its finding gets the commit that first held it. A secret
    in several versions of a file is reported once, at its oldest commit."""
    replaced: dict[int, Finding] = {}
    for top, specs in _repositories(paths).items():
        blobs = git_history.blobs(top, specs)
        size = git_history.sizes(top, [b.oid for b in blobs])
        wanted = [b for b in blobs if size.get(b.oid, 0) <= max_bytes]
        result.blobs_skipped += len(blobs) - len(wanted)
        for blob, data in git_history.contents(top, wanted):
            if walk.is_binary(data):
                result.blobs_skipped += 1
                continue
            result.blobs += 1
            result.blob_bytes += len(data)
            for hit in scan_bytes(data, own):
                key = (str((top / blob.path).resolve()), hit.kind, hit.tag)
                current = where.get(key)
                if current is None:
                    finding = Finding(
                        blob.path, hit.line, hit.kind, hit.redacted, blob.commit, "history"
                    )
                    where[key] = finding
                    result.findings.append(finding)
                elif current.commit is None and id(current) not in replaced:
                    replaced[id(current)] = Finding(
                        current.path,
                        current.line,
                        current.kind,
                        current.redacted,
                        blob.commit,
                        "file",
                    )
    if replaced:
        result.findings = [replaced.get(id(f), f) for f in result.findings]
