"""The user's own secrets, found by hash: the values are hashed when read and then dropped.

For each secret we keep its length, the narrowest character class it is drawn from (hex,
alphanumeric, base64, base64url, printable) and its sha256. Scanning a file finds runs of that
class at least that long (`bytes.translate` + `bytes.find`, C speed) and hashes the windows of
the right length inside them; a digest that matches is a finding. The secret itself is never
kept, printed or written; a finding shows only the first characters of what was found in the
file and the name the secret came from.

A multi-line secret (a PEM private key) is matched by its longest line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from tradeguard.scan.patterns import OWN_SECRET, Hit, make_hit

MIN_LENGTH = 8

_CLASSES: tuple[tuple[str, bytes], ...] = (
    ("hex", b"0123456789abcdefABCDEF"),
    ("alnum", b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    ("base64", b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
    ("base64url", b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="),
    ("printable", bytes(range(0x21, 0x7F))),
    ("text", bytes(range(0x20, 0x7F)) + b"\t"),
)
_TABLES = {
    name: bytes(ord("a") if i in chars else ord(" ") for i in range(256))
    for name, chars in _CLASSES
}
# In the wide classes, windows start only after a delimiter (or at a run's start).
_DELIMITERS = frozenset(b"\"'`=:,;([{<> \t")
_WIDE = frozenset(("printable", "text"))


@dataclass(frozen=True, slots=True)
class OwnSecret:
    """What is kept of one secret: never the value."""

    label: str
    length: int
    charclass: str
    digest: bytes


def _charclass(value: bytes) -> str | None:
    chars = frozenset(value)
    for name, allowed in _CLASSES:
        if chars <= frozenset(allowed):
            return name
    return None


def hashed(label: str, value: str) -> OwnSecret | None:
    """Hash one secret. None when it is too short to search for without noise, or not text."""
    text = value.strip()
    if "\n" in text:
        text = max((line.strip() for line in text.splitlines()), key=len)
        label = f"{label} (a line of it)"
    raw = text.encode("utf-8", "replace")
    if len(raw) < MIN_LENGTH:
        return None
    charclass = _charclass(raw)
    if charclass is None:
        return None
    return OwnSecret(label, len(raw), charclass, hashlib.sha256(raw).digest())


class OwnSecrets:
    """A set of hashed secrets, searched for in bytes."""

    def __init__(self, secrets: Iterable[OwnSecret] = ()) -> None:
        self._by_group: dict[tuple[str, int], dict[bytes, str]] = {}
        for secret in secrets:
            group = self._by_group.setdefault((secret.charclass, secret.length), {})
            group.setdefault(secret.digest, secret.label)

    @classmethod
    def from_values(cls, values: Iterable[tuple[str, str]]) -> tuple[OwnSecrets, list[str]]:
        """(label, value) pairs -> the set, and the labels too short or odd to search for."""
        kept: list[OwnSecret] = []
        skipped: list[str] = []
        for label, value in values:
            secret = hashed(label, value)
            if secret is None:
                skipped.append(label)
            else:
                kept.append(secret)
        return cls(kept), skipped

    def __len__(self) -> int:
        return sum(len(group) for group in self._by_group.values())

    def __bool__(self) -> bool:
        return bool(self._by_group)

    def find(self, data: bytes) -> list[Hit]:
        hits: list[Hit] = []
        for (charclass, length), digests in self._by_group.items():
            runs = data.translate(_TABLES[charclass])
            probe = b"a" * length
            wide = charclass in _WIDE
            pos = 0
            while True:
                start = runs.find(probe, pos)
                if start < 0:
                    break
                end = runs.find(b" ", start + length)
                if end < 0:
                    end = len(data)
                pos = end
                for at in range(start, end - length + 1):
                    if wide and at > start and data[at - 1] not in _DELIMITERS:
                        continue
                    window = data[at : at + length]
                    label = digests.get(hashlib.sha256(window).digest())
                    if label is not None:
                        hits.append(make_hit(at, at + length, f"{OWN_SECRET}:{label}", window))
        return hits
