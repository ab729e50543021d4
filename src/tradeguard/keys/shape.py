"""Telling a name (an environment variable, a keyring entry, a file path) from key material.

Used by the profile loader to refuse a secret pasted into tradeguard.toml, and by every
credentials message to avoid showing a "name" that is really a secret. Pure.
"""

from __future__ import annotations

import math
import re

_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_B64 = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
_ENTROPY_MIN_LEN = 20
_ENTROPY_BITS = 4.0


def _entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _classes(text: str) -> int:
    return sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )


def _random_run(part: str) -> bool:
    if _HEX.fullmatch(part) and any(c.isdigit() for c in part):
        return True
    if _B64.fullmatch(part) and _classes(part.rstrip("=")) >= 3:
        return True
    return len(part) >= _ENTROPY_MIN_LEN and _classes(part) >= 3 and _entropy(part) >= _ENTROPY_BITS


def looks_like_secret(text: str) -> bool:
    """True for a value that looks like key material rather than a name: a PEM block, a hex or
    base64 run of 32+ characters, or a long high-entropy token. Names of variables
    (BINANCE_API_SECRET), keyring entries (binance-main) and paths (~/.config/tg/key.pem) are
    not; a path's parts are judged one by one, so a secret pasted as a path is still caught."""
    value = text.strip()
    if "-----BEGIN" in value or "PRIVATE KEY" in value:
        return True
    if any(c.isspace() for c in value):
        return False  # a sentence, not a token
    if _B64.fullmatch(value) and ("+" in value or value.endswith("=")) and _random_run(value):
        return True
    return any(_random_run(part) for part in re.split(r"[/\\.]", value) if part)


def shown(name: str) -> str:
    """A name as a message may show it: itself, unless it looks like a secret."""
    return "(a value that looks like a secret, not shown)" if looks_like_secret(name) else name
