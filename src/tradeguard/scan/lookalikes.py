"""What looks like a key and is not: the tests a candidate of `patterns` must pass before it
is reported (a hash, a line of a wrapped base64 block, part of a longer token, an id, a
signature, base64 of readable text, a placeholder), and the line arithmetic they share. Pure:
bytes in, answers out.
"""

from __future__ import annotations

import binascii
import re

_HASH_PREFIX = re.compile(
    rb"(?:(?:sha\d{0,3}|md5|blake2[bs]?|sha3-\d{3}|integrity)[-:=\s\"']*|\?[bq]\?)\Z"
)
_B64_LINE = re.compile(
    rb"[ \t]*(?:[rbuRBU]?[\"'`])?(?P<b>[A-Za-z0-9+/_\-]{40,})={0,2}[\"'`]?[ \t,;)\]\\]*\r?"
)


def line_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    first = data.rfind(b"\n", 0, start) + 1
    last = data.find(b"\n", end)
    return first, len(data) if last < 0 else last


def around(data: bytes, start: int, end: int, lines: int = 2) -> tuple[int, int]:
    """Byte bounds of the lines from `lines` before `start` to `lines` after `end`."""
    first = start
    for _ in range(lines + 1):
        first = data.rfind(b"\n", 0, max(first - 1, 0)) + 1 if first > 0 else 0
    last = end
    for _ in range(lines + 1):
        nxt = data.find(b"\n", last + 1)
        if nxt < 0:
            last = len(data)
            break
        last = nxt
    return first, last


def hash_prefixed(data: bytes, start: int) -> bool:
    return _HASH_PREFIX.search(data[max(0, start - 16) : start].lower()) is not None


def in_b64_block(data: bytes, start: int, end: int) -> bool:
    """The token is a whole line of a wrapped base64 block: its line holds nothing else (but
    quotes, commas, brackets) and a neighbouring line is base64 with a `+` or `/` in it or
    longer than the token (a certificate, an embedded file and its short last line; a list of
    keys, one per line, has neither)."""
    first, last = line_bounds(data, start, end)
    line = _B64_LINE.fullmatch(data, first, last)
    if line is None or line.span("b") != (start, end):
        return False
    neighbours = []
    if first > 0:
        neighbours.append((data.rfind(b"\n", 0, first - 1) + 1, first - 1))
    if last < len(data):
        after = data.find(b"\n", last + 1)
        neighbours.append((last + 1, len(data) if after < 0 else after))
    for a, b in neighbours:
        other = _B64_LINE.fullmatch(data, a, b)
        if other is None:
            continue
        body = other.group("b")
        if b"+" in body or b"/" in body or len(body) > end - start:
            return True
    return False


_WORD_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_OPENERS = frozenset(b"\"'`=:([{,\n")
_ID_NAME = re.compile(rb"([A-Za-z_][\w.\-]*)[\"'\]]?[ \t]*(?:=>|=|:)[ \t]*[\"'`]?\Z")
_ID_SUFFIXES = (b"id", b"ids", b"etag", b"hash", b"digest", b"checksum", b"sum", b"md5", b"sha")
_CLOSERS = frozenset(b"\"'`,;)]} \t\r\n")


def fragment(data: bytes, start: int, end: int) -> bool:
    """The run is part of a longer token (base64url, a hash in a RECORD file, a long name)."""
    if start > 0 and data[start - 1] in _WORD_CHARS:
        return True
    while end < len(data) and data[end] == 0x3D:  # "=" padding
        end += 1
    return end < len(data) and data[end] in _WORD_CHARS


def standalone(data: bytes, start: int, end: int) -> bool:
    """A value on its own: after a quote, `=`, `:`, a bracket, a comma or a line start, and
    before a quote, a comma, a bracket or the line end (not inside a path, URL or sentence)."""
    at = start
    while at > 0 and data[at - 1] in (0x20, 0x09):
        at -= 1
    before = data[at - 1] if at > 0 else 0x0A
    after = data[end] if end < len(data) else 0x0A
    if before not in _OPENERS or after not in _CLOSERS:
        return False
    name = _ID_NAME.search(data, max(0, start - 64), start)
    return name is None or not name.group(1).lower().endswith(_ID_SUFFIXES)


_BOUND_TO = re.compile(
    rb"(?P<name>[A-Za-z_][\w.\-]*)"  # a name, or the function whose result it is compared with
    rb"(?:\([^()\n]*\))?"  # that call's arguments
    rb"[\"'\]]?\s*(?:=>|==|!=|=|:)[ \t]*[rbuRBU]?[\"'`]?\Z"
)
_SIGNATURE_WORDS = (b"sig", b"digest", b"hmac", b"hash")
_KEY_WORDS = (b"key", b"secret", b"private", b"token", b"passw")


def signature(data: bytes, start: int) -> bool:
    """The value is bound to a signature's or digest's name (`"API-Sign": "…"`, `expected_sig =
    "…"`, `kraken_sign(…) == "…"`, on its line or the one before): 64 random bytes in base64
    are a Kraken private key's shape and just as much an HMAC-SHA512 or Ed25519 signature's.
    A name that also says key or secret (`signing_key`) keeps it a key."""
    bound = _BOUND_TO.search(data, max(0, start - 160), start)
    if bound is None:
        return False
    name = bound.group("name").lower()
    return any(w in name for w in _SIGNATURE_WORDS) and not any(w in name for w in _KEY_WORDS)


def encoded_text(token: bytes) -> bool:
    """Base64 of readable text (an example string, a JSON header), not of random key bytes."""
    if len(token) % 4:
        return False
    try:
        raw = binascii.a2b_base64(token)
    except (binascii.Error, ValueError):
        return False
    printable = sum(1 for b in raw if 0x20 <= b < 0x7F or b in (9, 10, 13))
    return printable >= 0.9 * len(raw)


_PLACEHOLDERS = (
    b"xxxx",
    b"****",
    b"....",
    b"your",
    b"example",
    b"dummy",
    b"changeme",
    b"change_me",
    b"placeholder",
    b"redacted",
    b"replace",
    b"insert",
    b"fake",
    b"sample",
    b"todo",
    b"<",
    b"${",
    b"{{",
    b"%(",
    b"..",
)
_FORMAT = re.compile(rb"%[-+ #0-9.]*[sdfrxi]|#[a-z_]+#|@[A-Za-z_]+@")
_FILENAME = re.compile(rb"\.[a-z]{2,4}\Z")


def placeholder(value: bytes) -> bool:
    lowered = value.lower()
    return (
        any(p in lowered for p in _PLACEHOLDERS)
        or len(set(value)) <= 3
        or _FORMAT.search(value) is not None
        or _FILENAME.search(value) is not None
    )
