"""Keeping secrets out of the journal (safety invariant 3).

Two layers:
- `redact_query` (and `redact_params`) is the path every request's parameters take into a
  `RequestSent`: the signature and anything named like a secret are dropped, an API key is cut
  to its prefix.
- a `Redactor` knows the actual secret values of the session (the API secret, the private key's
  lines, the full API key) and is handed to the store, which checks every encoded record for
  them before it is written. A record that holds one (an exchange error message quoting a
  parameter, a bug) is rewritten with the value replaced, never written as it was.

The Redactor keeps the values only as the byte strings it searches for; it has no repr that
shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import msgspec

from tradeguard.events import EventBase
from tradeguard.keys.credentials import Secret, key_prefix

E = TypeVar("E", bound=EventBase)

# parameter names compared lower-cased, without "_" and "-"
_SECRET_NAMES = frozenset(
    {"signature", "secret", "secretkey", "apisecret", "privatekey", "password", "passphrase"}
)
_KEY_NAMES = frozenset({"apikey", "xmbxapikey"})
_MIN_PEM_LINE = 16
MASK = "***"


def _plain(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def redact_params(params: Mapping[str, object] | Iterable[tuple[str, object]]) -> dict[str, str]:
    """Request parameters as the journal may hold them."""
    out: dict[str, str] = {}
    for name, value in params.items() if isinstance(params, Mapping) else params:
        plain = _plain(name)
        if plain in _SECRET_NAMES:
            continue
        text = str(value)
        out[name] = key_prefix(text) if plain in _KEY_NAMES else text
    return out


def redact_query(params: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """The request's parameters as `RequestSent.query` holds them: `k=v&k=v` in the order
    given, redacted as `redact_params`, values not percent-encoded (it is a record, not a URL).
    """
    return "&".join(f"{k}={v}" for k, v in redact_params(params).items())


class Redactor:
    """Finds and masks this session's secret values in anything bound for the journal."""

    __slots__ = ("_keys", "_needles")

    def __init__(self, api_keys: Iterable[str] = (), secrets: Iterable[Secret | str] = ()) -> None:
        texts: list[str] = []
        for secret in secrets:
            value = secret.reveal() if isinstance(secret, Secret) else secret
            texts.append(value)
            if "PRIVATE KEY" in value:  # a PEM: each base64 line gives the key away too
                texts += [ln.strip() for ln in value.splitlines()
                          if len(ln.strip()) >= _MIN_PEM_LINE and "-----" not in ln]  # fmt: skip
        self._keys = {k: key_prefix(k) for k in api_keys if k}
        ordered = sorted({t for t in texts if t} | set(self._keys), key=len, reverse=True)
        self._needles = tuple((t, t.encode()) for t in ordered)

    def __repr__(self) -> str:
        return f"Redactor({len(self._needles)} values)"

    def leaks(self, body: bytes) -> bool:
        # once per journaled event: a plain loop, not any() over a generator (half the time);
        # find, not `in`: bytes' `in` first tries the needle as a byte value (an int), and
        # raising and clearing that TypeError cost about 1,800 instructions a needle
        for _, raw in self._needles:  # noqa: SIM110
            if body.find(raw) >= 0:
                return True
        return False

    def text(self, value: str) -> str:
        for needle, _ in self._needles:
            if needle in value:
                value = value.replace(needle, self._keys.get(needle, MASK))
        return value

    def event(self, event: E) -> E:
        """The event with every secret value in every string field masked."""
        scrubbed = self._walk(msgspec.to_builtins(event))
        return msgspec.convert(scrubbed, type(event))

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): self._walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        return value
