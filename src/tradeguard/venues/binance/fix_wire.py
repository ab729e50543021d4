"""Binance Spot's FIX 4.4 on the wire: encoding, framing with BodyLength and CheckSum checked,
decoding, timestamps and the Logon signature. Pure: bytes in, bytes out; the client's wire
(`venues/binance/fix.py`) and the simulator's acceptor (`sim/fix_acceptor.py`) share it.

Why our own codec rather than simplefix (reference/binance-fix.md §11): simplefix's parser
checks neither BodyLength (9) nor CheckSum (10), which the acceptor must check to answer -1177
as Binance does, so the framer would be ours anyway; encoding is a join and a byte sum. What
is left for a dependency is little, and this keeps the simulator free of an optional extra.

A message is `8=FIX.4.4|9=<len>|35=<type>|...|10=<sum>|` with `|` standing for SOH (0x01):
8, 9 and 35 first, in that order; BodyLength counts the bytes from after 9's SOH up to and
including the SOH before 10; CheckSum is the sum of every byte before 10, mod 256, three
digits. The header the sender writes after 35 is 34 MsgSeqNum, 49 SenderCompID, 52
SendingTime, 56 TargetCompID (the order of Binance's samples).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Final

SOH: Final = b"\x01"
BEGIN: Final = b"8=FIX.4.4\x01"
_PREFIX: Final = BEGIN + b"9="
_TRAILER_LEN: Final = 7  # b"10=nnn\x01"
MAX_BODY: Final = 1 << 20  # a BodyLength beyond this is garbage, not a message to wait for
SERVER_COMP_ID: Final = "SPOT"

# the bytes a message may hold: printable ASCII and SOH (`bytes.translate` deletes them, in C,
# and what is left is what Binance calls garbled)
_ALLOWED: Final = bytes(range(0x20, 0x7F)) + SOH

# Message types
LOGON, HEARTBEAT, TEST_REQUEST, REJECT, LOGOUT, NEWS = "A", "0", "1", "3", "5", "B"
NEW_ORDER, CANCEL, EXEC_REPORT, CANCEL_REJECT = "D", "F", "8", "9"

# Tags
ERROR_CODE: Final = 25016
TEXT: Final = 58


class Garbled(ValueError):
    """Not a FIX message Binance would read (-1177 GARBLED_MESSAGE)."""


class FixMessage:
    """One decoded message: its fields in order, the first of each tag by number."""

    __slots__ = ("_first", "fields", "raw")

    def __init__(self, fields: list[tuple[int, str]], raw: bytes = b"") -> None:
        self.fields = fields
        self.raw = raw
        self._first = dict(reversed(fields))  # the first of each tag wins

    @property
    def msg_type(self) -> str:
        return self._first.get(35, "")

    @property
    def seq(self) -> int:
        text = self._first.get(34, "")
        return int(text) if text.isdigit() else -1

    def get(self, tag: int) -> str | None:
        return self._first.get(tag)

    def all(self, tag: int) -> list[str]:
        return [value for t, value in self.fields if t == tag]

    def __repr__(self) -> str:  # readable in a failed assertion: | for SOH
        return "FixMessage(" + "|".join(f"{t}={v}" for t, v in self.fields) + ")"


Fields = Sequence[tuple[int, object]]


def encode(
    msg_type: str, sender: str, target: str, seq: int, sending_time: str, body: Fields = ()
) -> bytes:
    """A whole message: header, `body` in the order given (None values left out), trailer."""
    parts = [f"35={msg_type}", f"34={seq}", f"49={sender}", f"52={sending_time}", f"56={target}"]
    parts += [f"{tag}={value}" for tag, value in body if value is not None]
    inner = ("\x01".join(parts) + "\x01").encode("ascii")
    head = BEGIN + b"9=" + str(len(inner)).encode("ascii") + SOH
    checksum = (sum(head) + sum(inner)) % 256
    return head + inner + b"10=%03d\x01" % checksum


def take_frame(buffer: bytearray) -> bytes | None:
    """The first whole message in `buffer`, removed from it; None while more bytes are needed.
    Raises Garbled for bytes that cannot become a message (the connection is then closed)."""
    have = len(buffer)
    if buffer[: min(have, len(_PREFIX))] != _PREFIX[: min(have, len(_PREFIX))]:
        raise Garbled("8=FIX.4.4 and 9 must be the first two fields")
    if have <= len(_PREFIX):
        return None
    end = buffer.find(SOH, len(_PREFIX))
    if end < 0:
        if have > len(_PREFIX) + 8:
            raise Garbled("BodyLength (9) is not a number")
        return None
    digits = bytes(buffer[len(_PREFIX) : end])
    if not digits.isdigit() or int(digits) > MAX_BODY:
        raise Garbled("BodyLength (9) is not a number")
    body_end = end + 1 + int(digits)
    if have < body_end + _TRAILER_LEN:
        return None
    trailer = bytes(buffer[body_end : body_end + _TRAILER_LEN])
    if not trailer.startswith(b"10=") or trailer[-1:] != SOH or not trailer[3:6].isdigit():
        raise Garbled("wrong BodyLength (9): CheckSum (10) is not where it says")
    if sum(memoryview(buffer)[:body_end]) % 256 != int(trailer[3:6]):
        raise Garbled("wrong CheckSum (10)")
    frame = bytes(buffer[: body_end + _TRAILER_LEN])
    del buffer[: body_end + _TRAILER_LEN]
    return frame


def decode(frame: bytes) -> FixMessage:
    """A framed message's fields (8, 9 and 10 included). Raises Garbled as Binance would."""
    if frame.translate(None, _ALLOWED):
        raise Garbled("only printable ASCII and SOH are allowed")
    fields: list[tuple[int, str]] = []
    append = fields.append
    for part in frame[:-1].decode("ascii").split("\x01"):
        tag, sep, value = part.partition("=")
        if not value or not tag.isdigit():
            if not sep or not tag.isdigit():
                raise Garbled(f"not a tag=value field: {part[:20]!r}")
            raise Garbled("Tag specified without a value.")
        append((int(tag), value))
    if len(fields) < 4 or fields[2][0] != 35:
        raise Garbled("MsgType (35) must be the third field")
    return FixMessage(fields, frame)


def frames(buffer: bytearray) -> Iterator[FixMessage]:
    """Every whole message in `buffer`, decoded, in order (Garbled as `take_frame`)."""
    while (frame := take_frame(buffer)) is not None:
        yield decode(frame)


# ── time ────────────────────────────────────────────────────────────────────────────────────


# The last few seconds written and days read: a session writes and reads many timestamps
# within one second, and strftime / strptime were most of their cost (several µs a call).
_SECONDS_WRITTEN: dict[int, str] = {}
_DAYS_READ: dict[str, int | None] = {}
_REMEMBERED = 8


def _second(seconds: int) -> str:
    """YYYYMMDD-HH:MM:SS. for a second since the epoch."""
    text = _SECONDS_WRITTEN.get(seconds)
    if text is None:
        if len(_SECONDS_WRITTEN) > _REMEMBERED:
            _SECONDS_WRITTEN.clear()
        text = datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%d-%H:%M:%S.")
        _SECONDS_WRITTEN[seconds] = text
    return text


def timestamp(ms: int) -> str:
    """UTCTIMESTAMP with milliseconds: 20240627-11:17:25.223."""
    return _second(ms // 1000) + f"{ms % 1000:03d}"


def timestamp_us(us: int) -> str:
    """UTCTIMESTAMP with microseconds, as the server writes it."""
    return _second(us // 1_000_000) + f"{us % 1_000_000:06d}"


def _day(date: str) -> int | None:
    """Seconds since the epoch at the start of YYYYMMDD (None if it is no date)."""
    if date in _DAYS_READ:
        return _DAYS_READ[date]
    try:
        at: int | None = int(datetime.strptime(date, "%Y%m%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        at = None
    if len(_DAYS_READ) > _REMEMBERED:
        _DAYS_READ.clear()
    _DAYS_READ[date] = at
    return at


def parse_timestamp(text: str) -> int | None:
    """A UTCTIMESTAMP (seconds, ms or µs) as ms since the epoch; None if it is not one."""
    if not text.isascii():
        return None
    head, _, fraction = text.partition(".")
    if fraction and (not fraction.isdigit() or len(fraction) not in (3, 6)):
        return None
    # YYYYMMDD-HH:MM:SS read by position: the date remembered, the time of day by hand
    if len(head) != 17 or head[8] != "-" or head[11] != ":" or head[14] != ":":
        return None
    date, hour, minute, second = head[:8], head[9:11], head[12:14], head[15:17]
    if not (date + hour + minute + second).isdigit():
        return None
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
        return None
    day = _day(date)
    if day is None:
        return None
    seconds = day + int(hour) * 3600 + int(minute) * 60 + int(second)
    return seconds * 1000 + (int(fraction[:3]) if fraction else 0)


# ── Logon ───────────────────────────────────────────────────────────────────────────────────


def logon_payload(sender: str, target: str, seq: int, sending_time: str) -> bytes:
    """What the Logon's RawData (96) signs: 35, 49, 56, 34 and 52 joined by SOH."""
    return "\x01".join(["A", sender, target, str(seq), sending_time]).encode("ascii")


def logon(
    sender: str,
    seq: int,
    sending_time: str,
    api_key: str,
    sign: Callable[[bytes], str],
    *,
    heartbeat_s: int = 30,
    message_handling: int = 2,
    drop_copy: bool = False,
) -> bytes:
    """A Logon signed with `sign` (Ed25519, base64): sequence numbers reset, EncryptMethod 0,
    SEQUENTIAL message handling unless told, every ExecutionReport of the account (the
    default ResponseMode); with `drop_copy`, DropCopyFlag (9406=Y) for a drop-copy session."""
    signature = sign(logon_payload(sender, SERVER_COMP_ID, seq, sending_time))
    body: list[tuple[int, object]] = [
        (95, len(signature)),
        (96, signature),
        (98, 0),
        (108, heartbeat_s),
        (141, "Y"),
        (553, api_key),
        (25035, message_handling),
    ]
    if drop_copy:
        body.append((9406, "Y"))
    return encode(LOGON, sender, SERVER_COMP_ID, seq, sending_time, body)
