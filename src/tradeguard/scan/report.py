"""Printing findings: one line each, a rich table, or JSON. Only redactions are ever shown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradeguard.scan import Finding, ScanResult


def line(finding: Finding) -> str:
    """`path:line: kind (redacted: ABCD…)`, and the commit for history."""
    text = f"{finding.path}:{finding.line}: {finding.kind} (redacted: {finding.redacted})"
    if finding.source == "history" and finding.commit:
        text += f" [commit {finding.commit[:12]}, since removed or changed]"
    elif finding.commit:
        text += f" [also in history since commit {finding.commit[:12]}]"
    return text


def lines(result: ScanResult) -> list[str]:
    return [line(f) for f in result.findings]


def summary(result: ScanResult) -> str:
    s = result.stats
    text = f"{len(result.findings)} finding(s) in {s.files} file(s), {s.bytes / 1e6:.1f} MB"
    if result.blobs:
        text += f"; {result.blobs} history blob(s), {result.blob_bytes / 1e6:.1f} MB"
    skipped = s.skipped_binary + s.skipped_large + result.blobs_skipped
    if skipped:
        text += f"; skipped {skipped} binary or oversized"
    return text


def as_json(result: ScanResult) -> str:
    payload = {
        "findings": [f.as_json() for f in result.findings],
        "summary": result.summary(),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def table(result: ScanResult) -> object:
    """A rich Table of the findings."""
    from rich.table import Table

    grid = Table(title="tradeguard scan", show_lines=False)
    for name in ("path", "line", "kind", "redacted", "commit"):
        grid.add_column(name, justify="right" if name == "line" else "left")
    for f in result.findings:
        grid.add_row(f.path, str(f.line), f.kind, f.redacted, (f.commit or "")[:12])
    return grid
