"""The detectors: where in a file's bytes a key or secret is written down. Pure: bytes in,
hits out; no I/O.

Three kinds of evidence, cheapest first:

- Shapes that are keys on their own: a PEM private key with a body; Binance's 64-character
  alphanumeric key or secret; Kraken's 56-character base64 API key and its 88-character base64
  private key. Each must also look random (`entropy.looks_random`), must not be a hash written
  the way lockfiles and SRI write them (`sha512-…`, `sha256:…`), must not be one line of a
  wrapped base64 block (a certificate, an embedded file), and the 88-character shape must not
  be bound to a signature's name (an HMAC-SHA512 or Ed25519 signature is 64 bytes too): the
  look-alike tests of `scan.lookalikes`.
- Shapes that are keys only in context: Bybit (an 18-24 character key with a 36-character
  secret), OKX (a UUID key with a 32-hex secret). Reported when the pair stands within two lines
  of each other, or when the exchange is named within two lines.
- Assignments to a name containing key, secret, token, passphrase or password (`name = "…"`,
  `"name": "…"`, `name: …`, `NAME=…`, `name => "…"`, `get("name", "…")`) whose value looks
  random; a hex value only under a strong name (secret, token, password, api key…), never under
  a bare `*key` name such as `cache_key`; a UUID only under an API key name. A passphrase is
  reported whatever its entropy, when quoted and not a placeholder or an environment-variable
  name.

A line holding `tradeguard: allow` (or detect-secrets' `pragma: allowlist secret`) is skipped.
All scanning is done on bytes with a few C-speed passes (`bytes.translate` + `bytes.find` for
runs of key characters, one keyword regex over the lower-cased text); Python code runs only at
candidates.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from tradeguard.scan.entropy import ALNUM, HEX, looks_random
from tradeguard.scan.lookalikes import (
    around,
    encoded_text,
    fragment,
    hash_prefixed,
    in_b64_block,
    line_bounds,
    placeholder,
    signature,
    standalone,
)

ALLOW_MARKERS = (b"tradeguard: allow", b"pragma: allowlist secret")

# Kinds a finding can have.
PRIVATE_KEY = "private-key"
BINANCE_KEY = "binance-key"
BINANCE_SECRET = "binance-secret"
BYBIT_KEY = "bybit-key"
BYBIT_SECRET = "bybit-secret"
OKX_KEY = "okx-key"
OKX_SECRET = "okx-secret"
OKX_PASSPHRASE = "okx-passphrase"
KRAKEN_KEY = "kraken-key"
KRAKEN_PRIVATE_KEY = "kraken-private-key"
PASSPHRASE = "passphrase"
SECRET_ASSIGNMENT = "secret-assignment"
OWN_SECRET = "own-secret"

KINDS = (
    PRIVATE_KEY,
    BINANCE_KEY,
    BINANCE_SECRET,
    BYBIT_KEY,
    BYBIT_SECRET,
    OKX_KEY,
    OKX_SECRET,
    OKX_PASSPHRASE,
    KRAKEN_KEY,
    KRAKEN_PRIVATE_KEY,
    PASSPHRASE,
    SECRET_ASSIGNMENT,
    OWN_SECRET,
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A secret at bytes [start, end) of a file. Holds a redaction of it and `tag`, an 8-byte
    keyed digest that tells two findings of the same secret apart from two different ones
    (de-duplication across history); the tag is never printed or written."""

    start: int
    end: int
    kind: str
    redacted: str
    tag: bytes = b""


@dataclass(frozen=True, slots=True)
class LineHit:
    line: int
    kind: str
    redacted: str
    tag: bytes = b""


_TAG_KEY = secrets.token_bytes(16)  # per process: tags cannot be compared across runs


def make_hit(start: int, end: int, kind: str, value: bytes) -> Hit:
    tag = hashlib.blake2b(value, digest_size=8, key=_TAG_KEY).digest()
    return Hit(start, end, kind, redact(value), tag)


def redact(value: bytes) -> str:
    """The first 4 characters and an ellipsis (fewer for a short value): never the secret."""
    shown = 4 if len(value) >= 16 else len(value) // 4
    return value[:shown].decode("ascii", "replace") + "…"


# ── runs of key characters ───────────────────────────────────────────────────────────────────

_B64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_RUN_TABLE = bytes(ord("a") if i in _B64_CHARS else ord(" ") for i in range(256))
_MIN_RUN = 18
_RUN_PROBE = b"a" * _MIN_RUN
_PEM_SPAN = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S)
_PEM_PRIVATE = re.compile(
    rb"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
    rb"(?:\\[rn]|[\s\"'+,])*(?:Proc-Type:|Comment:|[A-Za-z0-9+/]{16})"
)
_PEM_BODY = re.compile(rb"[A-Za-z0-9+/=]*")
_UUID = re.compile(
    rb"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    rb"-[0-9a-fA-F]{12}(?![0-9A-Za-z])"
)


_SHAPE_LENGTHS = frozenset((18, 19, 20, 21, 22, 23, 24, 32, 36, 56, 64, 86))


def _venue(context: bytes) -> str | None:
    lowered = context.lower()
    if b"bybit" in lowered:
        return "bybit"
    if b"okx" in lowered or b"okex" in lowered:
        return "okx"
    if b"kraken" in lowered:
        return "kraken"
    if b"binance" in lowered:
        return "binance"
    return None


def _in_spans(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in spans)


def _shapes(data: bytes, pem_spans: list[tuple[int, int]], out: dict[int, Hit]) -> None:
    """Keys recognised by their shape, alone or in pairs (see the module docstring)."""
    runs = data.translate(_RUN_TABLE)
    find = runs.find
    size = len(data)
    hex_candidates: list[tuple[int, int]] = []
    bybit_keys: list[tuple[int, int]] = []
    bybit_secrets: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = find(_RUN_PROBE, pos)
        if start < 0:
            break
        end = find(b" ", start + _MIN_RUN)
        if end < 0:
            end = size
        pos = end
        n = end - start
        if n not in _SHAPE_LENGTHS or fragment(data, start, end):
            continue
        token = data[start:end]
        alnum = token.translate(None, b"+/") == token
        if pem_spans and _in_spans(pem_spans, start):
            continue
        kind: str | None = None
        if n == 64 and alnum:
            kind = BINANCE_KEY
        elif n == 56 and token.count(b"/") + token.count(b"+") <= 6:
            kind = KRAKEN_KEY
        elif n == 86 and data[end : end + 2] == b"==" and data[end + 2 : end + 3] != b"=":
            kind = KRAKEN_PRIVATE_KEY
            if token.count(b"/") + token.count(b"+") > 9 or signature(data, start):
                continue
        elif n == 32:
            if frozenset(token) <= HEX and standalone(data, start, end) and looks_random(token):
                hex_candidates.append((start, end))
            continue
        elif n == 36 and alnum:
            if standalone(data, start, end) and looks_random(token, 18):
                bybit_secrets.append((start, end))
            continue
        elif alnum and n <= 24:
            if standalone(data, start, end) and looks_random(token, 18):
                bybit_keys.append((start, end))
            continue
        else:
            continue
        if (
            frozenset(token) <= HEX
            or token.startswith(b"MII")  # DER (a certificate or a key) in base64
            or not looks_random(token)
            or placeholder(token)
            or hash_prefixed(data, start)
            or encoded_text(data[start : end + (2 if n == 86 else 0)])
            or in_b64_block(data, start, end)
        ):
            continue
        if kind == BINANCE_KEY:
            line_start = data.rfind(b"\n", 0, start) + 1
            if b"secret" in data[line_start:start].lower():
                kind = BINANCE_SECRET
        out.setdefault(start, make_hit(start, end, kind, token))
    if hex_candidates or bybit_keys or bybit_secrets:
        _pairs(data, hex_candidates, bybit_keys, bybit_secrets, out)


def _pairs(
    data: bytes,
    hex_candidates: list[tuple[int, int]],
    bybit_keys: list[tuple[int, int]],
    bybit_secrets: list[tuple[int, int]],
    out: dict[int, Hit],
) -> None:
    for start, end in hex_candidates:
        first, last = around(data, start, end)
        uuids = [m for m in _UUID.finditer(data, first, last) if standalone(data, *m.span())]
        plain = data[start:end].lower()
        uuids = [m for m in uuids if m.group().replace(b"-", b"").lower() != plain]
        if uuids or _venue(data[first:last]) == "okx":
            out.setdefault(start, make_hit(start, end, OKX_SECRET, data[start:end]))
            for m in uuids:
                out.setdefault(m.start(), make_hit(m.start(), m.end(), OKX_KEY, m.group()))
    for group, kind, partners in (
        (bybit_keys, BYBIT_KEY, bybit_secrets),
        (bybit_secrets, BYBIT_SECRET, bybit_keys),
    ):
        for start, end in group:
            first, last = around(data, start, end)
            paired = any(first <= s < last for s, _ in partners)
            if paired or _venue(data[first:last]) == "bybit":
                out.setdefault(start, make_hit(start, end, kind, data[start:end]))


def _private_keys(data: bytes, out: dict[int, Hit]) -> list[tuple[int, int]]:
    """PEM private keys (reported once per block); returns the spans of all PEM blocks."""
    if b"-----BEGIN " not in data:
        return []
    spans = [m.span() for m in _PEM_SPAN.finditer(data)]
    if b"PRIVATE KEY" in data:
        for m in _PEM_PRIVATE.finditer(data):
            tail = _PEM_BODY.match(data, m.end())
            body = data[m.end() - 16 : tail.end() if tail else m.end()]
            out.setdefault(m.start(), make_hit(m.start(), m.end(), PRIVATE_KEY, body))
    return spans


# ── assignments to key-like names ────────────────────────────────────────────────────────────

_KEYWORDS = re.compile(rb"key|secret|token|passphrase|passw")
_ASSIGN = re.compile(
    rb"""
    (?P<rest>[a-z0-9_.\-]*)                 # the rest of the name
    (?:["'`]|\])*                           # a closing quote or bracket: "key": / env["KEY"] =
    [ \t]*
    (?::[ \t]*[a-z_][a-z0-9_\[\], .|]*?[ \t]*(?==))?   # a type annotation: name: str = ...
    (?P<op>=>|:=|==|!=|\?=|=|:|,)
    [ \t]*
    (?:[rbuf]{0,2}(?P<q>["'`]))?
    (?P<v>[a-z0-9+/=_\-.~!@\#$%^&*?]{6,})
    """,
    re.X,
)
_NAME_HEAD = re.compile(rb"[a-z0-9_\-.$]*\Z")
_STRONG_NAMES = (
    b"secret",
    b"passw",
    b"passphrase",
    b"token",
    b"apikey",
    b"api_key",
    b"api-key",
    b"api.key",
    b"private",
    b"access_key",
    b"accesskey",
    b"signing",
)
_PREFIXED_HEX = re.compile(rb"(?:[A-Za-z]{1,12}[-_:])?[0-9a-fA-F]+")
_ENV_NAME = re.compile(rb"[A-Z][A-Z0-9_]*")
_LOWER_NAME = re.compile(rb"[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*")
_DOTTED = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+")
_FULL_UUID = re.compile(rb"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _assignments(data: bytes, lowered: bytes, out: dict[int, Hit]) -> None:
    match = _ASSIGN.match
    for kw in _KEYWORDS.finditer(lowered):
        m = match(lowered, kw.end())
        if m is None:
            continue
        start, end = m.span("v")
        if start in out:
            continue
        value = data[start:end].rstrip(b".,")
        end = start + len(value)
        if len(value) < 16 and b"passphrase" not in lowered[kw.start() : m.end("rest")]:
            continue  # too short for anything but a passphrase: skip the name look-up
        head = _NAME_HEAD.search(lowered, max(0, kw.start() - 48), kw.start())
        name = lowered[head.start() if head else kw.start() : m.end("rest")]
        quoted = m.group("q") is not None
        if not quoted and m.group("op") == b",":
            continue
        hit = _classify(data, start, end, value, name, quoted)
        if hit is not None:
            out[start] = hit


def _classify(
    data: bytes, start: int, end: int, value: bytes, name: bytes, quoted: bool
) -> Hit | None:
    if b"passphrase" in name:
        if (
            not quoted
            or len(value) < 8
            or placeholder(value)
            or _ENV_NAME.fullmatch(value)
            or _LOWER_NAME.fullmatch(value)
        ):
            return None
        first, last = around(data, start, end)
        kind = OKX_PASSPHRASE if _venue(name + data[first:last]) == "okx" else PASSPHRASE
        return make_hit(start, end, kind, value)
    if len(value) < 16 or placeholder(value):
        return None
    if not quoted and _DOTTED.fullmatch(value):
        return None  # a reference in code: winreg.OpenKeyEx, settings.API_KEY_V2
    strong = any(word in name for word in _STRONG_NAMES)
    if _FULL_UUID.fullmatch(value):
        if b"key" in name and (b"api" in name or b"access" in name or b"okx" in name):
            return make_hit(start, end, OKX_KEY, value)
        return None
    chars = frozenset(value)
    if _PREFIXED_HEX.fullmatch(value) and (not strong or len(value) < 32):
        return None  # ids and digests (cache keys, key-03c8d3ac…, publicKeyToken); hex secrets
        # are 32+ characters under a secret-like name
    if not looks_random(value):
        return None
    first, last = around(data, start, end)
    venue = _venue(name + data[first:last])
    n = len(value)
    alnum = chars <= ALNUM
    kind = SECRET_ASSIGNMENT
    if n == 64 and alnum and not chars <= HEX:
        kind = BINANCE_SECRET if b"secret" in name else BINANCE_KEY
    elif venue == "okx" and n == 32 and chars <= HEX:
        kind = OKX_SECRET
    elif venue == "bybit" and alnum and n == 36:
        kind = BYBIT_SECRET
    elif venue == "bybit" and alnum and 18 <= n <= 24:
        kind = BYBIT_KEY
    elif venue == "kraken" and n == 56:
        kind = KRAKEN_KEY
    elif venue == "kraken" and n == 88:
        kind = KRAKEN_PRIVATE_KEY
    return make_hit(start, end, kind, value)


# ── a whole file ─────────────────────────────────────────────────────────────────────────────


def detect(data: bytes) -> list[Hit]:
    """Every secret the detectors see in `data`, by position (allow comments not applied)."""
    out: dict[int, Hit] = {}
    pem_spans = _private_keys(data, out)
    _shapes(data, pem_spans, out)
    _assignments(data, data.lower(), out)
    return _without_overlaps(out.values())


def _without_overlaps(hits: Iterable[Hit]) -> list[Hit]:
    ordered = sorted(hits, key=lambda h: (h.start, -h.end))
    kept: list[Hit] = []
    for hit in ordered:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def to_lines(data: bytes, hits: Iterable[Hit]) -> list[LineHit]:
    """Line numbers (1-based) of the hits, leaving out lines marked `tradeguard: allow`."""
    result: list[LineHit] = []
    line = 1
    counted = 0
    for hit in sorted(hits, key=lambda h: h.start):
        line += data.count(b"\n", counted, hit.start)
        counted = hit.start
        first, last = line_bounds(data, hit.start, hit.start)
        text = data[first:last]
        if any(marker in text for marker in ALLOW_MARKERS):
            continue
        result.append(LineHit(line, hit.kind, hit.redacted, hit.tag))
    return result
