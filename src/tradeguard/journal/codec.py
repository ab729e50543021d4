"""Event <-> bytes, versioned. Pure.

A body is one version byte followed by the event as a MessagePack map (msgspec; the tag field
"event" names the type, Decimals are strings, field names are kept so that a record can be read
by any MessagePack tool without this code). Measured here on a fill event: MessagePack encodes
in about 0.7 µs and decodes in about 1.6 µs, 288 bytes; JSON takes 1.5 / 4 µs, 364 bytes.
(The array form saves half the bytes but decodes no faster and ties records to field order.)

Version 1 is the only one so far. A body with another first byte was written by another
tradeguard: decoding it is `JournalCorrupt` naming the record, never a guess.
"""

from __future__ import annotations

import msgspec

from tradeguard.errors import JournalCorrupt
from tradeguard.events import Event, EventBase

VERSION = 1
_PREFIX = bytes([VERSION])

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Event] = msgspec.msgpack.Decoder(Event)
_json_encoder = msgspec.json.Encoder()


def encode(event: EventBase) -> bytes:
    return _PREFIX + _encoder.encode(event)


def decode(body: bytes, position: int) -> Event:
    """The event in `body`; `position` (the record's sequence number) names it in errors."""
    if not body:
        raise JournalCorrupt(position, "the record's body is empty")
    if body[0] != VERSION:
        raise JournalCorrupt(
            position,
            f"the record was written in journal format {body[0]}, and this tradeguard reads "
            f"format {VERSION}; open it with the tradeguard that wrote it, or upgrade",
        )
    try:
        return _decoder.decode(memoryview(body)[1:])
    except msgspec.DecodeError as exc:
        raise undecodable(position, exc) from None


# Decodes a body whose version byte the store has already checked and cut off; raises
# msgspec.DecodeError, which the store turns into `undecodable(position, exc)`.
payload_decoder = _decoder.decode


def undecodable(position: int, exc: Exception) -> JournalCorrupt:
    return JournalCorrupt(position, f"the record's body does not decode ({exc})")


def to_json(event: EventBase) -> bytes:
    """The event as JSON (for export): the same field names, Decimals as strings."""
    return _json_encoder.encode(event)


def to_builtins(event: EventBase) -> dict[str, object]:
    value = msgspec.to_builtins(event)
    assert isinstance(value, dict)
    return value
