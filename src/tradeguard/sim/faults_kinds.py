"""The kinds of fault the simulator can inject, their JSON form and its validation.

Each kind is a msgspec Struct tagged by "kind"; `parse_fault` turns the JSON form (sim.toml
`[[faults]]`, the control API) into one, and every mistake is a ValueError that says what is
wrong. The plan that holds and applies faults is `faults.FaultPlan`; see its module docstring
for what each kind does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from tradeguard.venues.binance import codes

CONTROL_PREFIX: Final = "/sim/"


class Fault(
    msgspec.Struct, tag_field="kind", kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    id: int | None = None
    method: str | None = None
    path_prefix: str | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.method is not None:
            if not self.method.isalpha():
                raise ValueError(f"method must be an HTTP method like POST, got {self.method!r}")
            self.method = self.method.upper()
        if self.path_prefix is not None and not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must start with '/', got {self.path_prefix!r}")
        if self.count is not None and self.count < 1:
            raise ValueError(
                f"count must be 1 or more (or absent: until removed), got {self.count}"
            )

    def matches(self, method: str | None, path: str) -> bool:
        if path.startswith(CONTROL_PREFIX):
            return False
        if self.method is not None and (method or "").upper() != self.method:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


def _no_matcher(f: Fault, what: str) -> None:
    if f.method is not None or f.path_prefix is not None:
        raise ValueError(f"{what} applies everywhere; it takes no method or path_prefix")


def _until_removed(f: Fault, what: str) -> None:
    if f.count is not None:
        raise ValueError(f"{what} lasts until removed; it takes no count")


STREAM_CHANNELS: Final = ("user", "market")


class StreamFault(Fault):
    channel: str | None = None  # "user" (user data) or "market" (public streams); absent: both

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method is not None:
            raise ValueError("stream faults match a channel or WebSocket path_prefix, not a method")
        if self.channel is not None and self.channel not in STREAM_CHANNELS:
            raise ValueError(
                f"channel must be one of {', '.join(STREAM_CHANNELS)}, got {self.channel!r}"
            )

    def matches_stream(self, path: str | None, channel: str | None) -> bool:
        """Matches a stream known by its WebSocket path and/or its channel."""
        if self.channel is not None and self.channel != channel:
            return False
        if self.path_prefix is not None:
            return path is not None and self.matches(None, path)
        return path is None or not path.startswith(CONTROL_PREFIX)


# ── request faults ──────────────────────────────────────────────────────────────────────────


class Latency(Fault, tag="latency"):
    ms: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.ms <= 600_000:
            raise ValueError(f"latency ms must be between 0 and 600000, got {self.ms}")


class Error(Fault, tag="error"):
    http_status: int
    code: int | None = None
    msg: str | None = None
    html_body: str | None = None
    retry_after_s: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 400 <= self.http_status <= 599:
            raise ValueError(f"http_status must be a 4xx or 5xx status, got {self.http_status}")
        if self.html_body is not None and (self.code is not None or self.msg is not None):
            raise ValueError("give either html_body or code/msg, not both")
        if self.retry_after_s is not None and self.retry_after_s < 0:
            raise ValueError(f"retry_after_s must be >= 0, got {self.retry_after_s}")
        _default_text(self)  # fail now, not on the first matching request

    def reply(self) -> ErrorReply:
        headers = {} if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}
        if self.html_body is not None:
            return ErrorReply(self.http_status, None, None, self.html_body, headers)
        code, text, html = _default_text(self)
        return ErrorReply(self.http_status, code, text, html, headers)


class DropBeforeExecute(Fault, tag="drop_before_execute"):
    pass


class DropAfterExecute(Fault, tag="drop_after_execute"):
    pass


class HoldAfterExecute(Fault, tag="hold_after_execute"):
    seconds: float

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.seconds <= 3600:
            raise ValueError(f"hold seconds must be above 0 and at most 3600, got {self.seconds}")


class Maintenance(Fault, tag="maintenance"):
    def __post_init__(self) -> None:
        super().__post_init__()
        _no_matcher(self, "maintenance")
        _until_removed(self, "maintenance")


class ClockOffset(Fault, tag="clock_offset"):
    ms: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _no_matcher(self, "clock_offset")
        _until_removed(self, "clock_offset")
        if abs(self.ms) > 30 * 86_400_000:
            raise ValueError(f"clock_offset ms must be within 30 days, got {self.ms}")


# ── stream faults ───────────────────────────────────────────────────────────────────────────


class StreamDrop(StreamFault, tag="stream_drop"):
    pass


class StreamTerminate(StreamFault, tag="stream_terminate"):
    pass


class StreamSilence(StreamFault, tag="stream_silence"):
    seconds: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _until_removed(self, "stream_silence (use seconds)")
        if self.seconds is not None and not 0 < self.seconds <= 86_400:
            raise ValueError(
                f"silence seconds must be above 0 and at most 86400, got {self.seconds}"
            )


class ServerShutdown(StreamFault, tag="server_shutdown"):
    """Binance's serverShutdown event on each matching connection, then its close."""

    close_after_s: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.close_after_s <= 3600:
            raise ValueError(f"close_after_s must be in 0..3600 seconds, got {self.close_after_s}")


class DuplicateNext(StreamFault, tag="duplicate_next"):
    def __post_init__(self) -> None:
        super().__post_init__()
        if self.count is None:
            raise ValueError("duplicate_next needs count: how many events to duplicate")


class ReorderNext(StreamFault, tag="reorder_next"):
    def __post_init__(self) -> None:
        super().__post_init__()
        if self.count is None or self.count < 2:
            raise ValueError("reorder_next needs count of 2 or more: how many events to reverse")


# ── FIX faults (the acceptor's own: sim/fix_session.py) ───────────────────────────────────


class FixFault(Fault):
    """A fault of the FIX acceptor's sessions: no matcher; once unless `count` says more."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _no_matcher(self, str(self.__struct_config__.tag))
        if self.count is None:
            self.count = 1


class FixGarble(FixFault, tag="fix_garble"):
    pass


class FixSeqGap(FixFault, tag="fix_seq_gap"):
    pass


class FixNews(FixFault, tag="fix_news"):
    seconds: float = 1.0  # from the first News to the Logout, if the client stays

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.seconds <= 3600:
            raise ValueError(f"fix_news seconds must be between 0 and 3600, got {self.seconds}")


AnyFault = (
    Latency | Error | DropBeforeExecute | DropAfterExecute | HoldAfterExecute | Maintenance
    | ClockOffset | StreamDrop | StreamTerminate | StreamSilence | DuplicateNext | ReorderNext
    | ServerShutdown | FixGarble | FixSeqGap | FixNews
)  # fmt: skip
KINDS: Final = tuple(
    str(t.__struct_config__.tag)
    for t in (
        Latency, Error, DropBeforeExecute, DropAfterExecute, HoldAfterExecute, Maintenance,
        ClockOffset, StreamDrop, StreamTerminate, StreamSilence, DuplicateNext, ReorderNext,
        ServerShutdown, FixGarble, FixSeqGap, FixNews,
    )
)  # fmt: skip


def parse_fault(data: Mapping[str, Any] | Fault) -> Fault:
    """A fault from its JSON form; ValueError saying what is wrong (msgspec's is a ValueError)."""
    if isinstance(data, Fault):
        copy: Fault = msgspec.convert(msgspec.to_builtins(data), AnyFault)  # validated again
        return copy
    if not isinstance(data, Mapping):
        raise ValueError(f"a fault is a JSON object, got {type(data).__name__}")
    if data.get("kind") not in KINDS:
        raise ValueError(f"unknown fault kind {data.get('kind')!r}; kinds: {', '.join(KINDS)}")
    try:
        parsed: Fault = msgspec.convert(dict(data), AnyFault)
    except msgspec.ValidationError as exc:
        raise ValueError(f"fault {data.get('kind')}: {exc}") from None
    return parsed


# ── what the server is told ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """An answer to send instead of handling the request: Binance JSON, or an HTML page."""

    http_status: int
    code: int | None
    msg: str | None
    html_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _html(status: int, reason: str) -> str:
    # The shape nginx and CloudFront use for their own error pages.
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    )


# What an error fault sends when it names only a status [I: statuses per Binance's docs, bodies
# as seen from its gateways]. 4xx faults other than these must name a code.
_DEFAULT_BODIES: Final[dict[int, tuple[int | None, str | None, str | None]]] = {
    403: (None, None, _html(403, "Forbidden")),
    408: (-1007, codes.msg(-1007), None),
    429: (-1003, codes.msg(-1003, variant=2), None),
    500: (-1000, codes.msg(-1000), None),
    502: (None, None, _html(502, "Bad Gateway")),
    503: (-1000, codes.UNKNOWN_ERROR_503, None),
    504: (None, None, _html(504, "Gateway Time-out")),
}


def _default_text(e: Error) -> tuple[int | None, str | None, str | None]:
    if e.html_body is not None:
        return None, None, e.html_body
    if e.code is None:
        if e.msg is not None:
            raise ValueError("an error fault with msg needs its Binance code too")
        if e.http_status not in _DEFAULT_BODIES:
            known = ", ".join(str(s) for s in _DEFAULT_BODIES)
            raise ValueError(
                f"HTTP {e.http_status} has no default body; give code (and msg) or html_body "
                f"(defaults exist for {known})"
            )
        return _DEFAULT_BODIES[e.http_status]
    if e.msg is not None:
        return e.code, e.msg, None
    entry = codes.lookup(e.code)
    if entry is None or "%s" in entry.msg:
        raise ValueError(f"code {e.code} has no fixed text; give msg as Binance would send it")
    return e.code, entry.msg, None


def maintenance_reply() -> ErrorReply:
    """What every endpoint answers during maintenance [I: Binance's "Service Unavailable."]."""
    return ErrorReply(503, -1000, codes.SERVICE_UNAVAILABLE_503)
