"""Is a value random enough to be a key? Pure functions over bytes.

A credential is drawn uniformly from an alphabet (hex, alphanumeric, base64, printable). Three
things tell it from the words, identifiers, paths and hashes that ordinary code is full of:

- Shannon entropy per character at least `FACTOR` of `log2(D)`, where D is the number of
  distinct characters a uniform draw of that length from that alphabet is expected to show,
  `A * (1 - (1 - 1/A) ** n)`. The bound follows the length: 16 hex characters cannot reach 4
  bits, 64 alphanumeric ones do not reach log2(62). At 0.85 it keeps about 99 % of random
  strings from 16 to 88 characters and drops English, identifiers and placeholders.
- Character classes change often: in a random alphanumeric string about 62 % of neighbouring
  pairs differ in class (upper, lower, digit); in `getUserAccessTokenV2` a quarter do.
- No runs: five equal or consecutive characters (`aaaaa`, `abcde`, `12345`) almost never occur
  by chance in a key and always in alphabets, test data and placeholders.

Words joined by separators (`binance-api-secret-2024`, `BINANCE_API_SECRET`) are never random.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

FACTOR = 0.85
MIN_TRANSITIONS = 0.3
MIN_HEX_TRANSITIONS = 0.25
RUN = 5

HEX = frozenset(b"0123456789abcdefABCDEF")
ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
BASE64 = ALNUM | frozenset(b"+/=-_")

_UPPER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz")
_DIGIT = frozenset(b"0123456789")
_CHUNKS = re.compile(rb"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
WORDY_CHUNK = 3.0
_SEGMENTS = re.compile(rb"[A-Za-z0-9]+")
_WORD = re.compile(rb"(?:[A-Z]+|[a-z]+|[A-Z][a-z]+)?[0-9]*")


def shannon(value: bytes) -> float:
    """Shannon entropy of the characters of `value`, in bits per character."""
    n = len(value)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def expected_bits(length: int, size: int) -> float:
    """log2 of the number of distinct characters expected in `length` uniform draws from an
    alphabet of `size`: about the most entropy such a string shows."""
    return math.log2(size * (1 - (1 - 1 / size) ** length))


def alphabet_size(value: bytes) -> int:
    """The size of the smallest usual alphabet the value is drawn from."""
    chars = frozenset(value)
    if chars <= HEX and not (chars & _UPPER and chars & _LOWER):
        return 16
    if chars <= ALNUM:
        return 62
    if chars <= BASE64:
        return 64
    return 94


def _class(byte: int) -> int:
    if byte in _DIGIT:
        return 0
    if byte in _UPPER:
        return 1
    if byte in _LOWER:
        return 2
    return 3


def transitions(value: bytes) -> float:
    """Share of neighbouring pairs whose character class differs (digit, upper, lower, other)."""
    if len(value) < 2:
        return 0.0
    classes = [_class(b) for b in value]
    changes = sum(1 for a, b in itertools.pairwise(classes) if a != b)
    return changes / (len(value) - 1)


def has_run(value: bytes, length: int = RUN) -> bool:
    """`length` equal, ascending or descending characters in a row (`aaaaa`, `abcde`, `54321`)."""
    if len(value) < length:
        return False
    same = up = down = 1
    for a, b in itertools.pairwise(value):
        same = same + 1 if b == a else 1
        up = up + 1 if b == a + 1 else 1
        down = down + 1 if b == a - 1 else 1
        if same >= length or up >= length or down >= length:
            return True
    return False


def wordy(value: bytes) -> bool:
    """Made of words: `binance-api-secret-2024`, `MY_API_KEY_2`, `idleConf.GetCurrentKeySet`,
    `HTTPPasswordMgrWithDefaultRealm`, `py-cvs-2001_07_13`: either every piece between
    separators is one word or number (`X509`, `cvs`, `Default`), or, cut at case changes,
    digits and separators, the pieces average WORDY_CHUNK characters or more (a random
    string's average under 2)."""
    segments = _SEGMENTS.findall(value)
    if len(segments) >= 2 and all(_WORD.fullmatch(s) for s in segments):
        return True
    chunks = _CHUNKS.findall(value)
    if len(chunks) < 2:
        return False
    return sum(map(len, chunks)) / len(chunks) >= WORDY_CHUNK


def looks_random(value: bytes, min_length: int = 16) -> bool:
    """True when `value` looks drawn at random: a key, a secret, a token."""
    n = len(value)
    if n < min_length:
        return False
    size = alphabet_size(value)
    if shannon(value) < FACTOR * expected_bits(n, size):
        return False
    chars = frozenset(value)
    if size == 16:
        if not (chars & _DIGIT and chars - _DIGIT):
            return False
        return transitions(value) >= MIN_HEX_TRANSITIONS and not has_run(value)
    kinds = bool(chars & _UPPER) + bool(chars & _LOWER) + bool(chars & _DIGIT)
    if kinds < 2 or transitions(value) < MIN_TRANSITIONS:
        return False
    return not has_run(value) and not wordy(value)
