"""The fault plan: what the simulator breaks, for which requests or streams, and how many times.

Pure and deterministic: the plan holds faults, answers "what applies to this request / stream
now", and counts down. The server does the breaking (sleeps, closes sockets, sends HTML).

Every fault has a `kind`, an optional matcher (`method`, `path_prefix`; control paths /sim/
never match) and `count`: how many matching requests (or stream connections, or stream events)
it affects, or absent for "until removed". The JSON form, used by sim.toml `[[faults]]` and the
control API, is the fault's fields plus "kind", e.g. {"kind": "latency", "ms": 50}.

Request faults, one outcome per request (the earliest added matching fault wins and only it is
counted down; latency faults all add up):

    latency              ms                          delay before handling
    error                http_status, code+msg | html_body, retry_after_s
                                                     answer this instead (nothing executed)
    drop_before_execute                              close the connection; nothing executed
    drop_after_execute                               execute, then close with no reply
    hold_after_execute   seconds                     execute, then hold the reply
    maintenance                                      every endpoint answers 503 (until removed;
                                                     GET /sapi/v1/system/status reports it)
    clock_offset         ms                          the simulator's clock runs this far ahead

Stream faults (`path_prefix` matches the WebSocket path; no `method`):

    stream_drop          close abruptly, as a network failure would (count: connections)
    stream_terminate     send eventStreamTerminated, then stop (count: connections)
    stream_silence       seconds (absent: until removed): no events, pings still answered
    duplicate_next       the next `count` events are each delivered twice
    reorder_next         the next `count` events are delivered in reverse order
    server_shutdown      close_after_s (default 1): send Binance's serverShutdown event, then
                         close the connection that long after (count: connections; it acts
                         on connections that only carry requests too)

FIX acceptor faults (no matcher; `count` absent means once; sim/fix_session.py):

    fix_garble           the acceptor's next message goes out with a wrong CheckSum
    fix_seq_gap          the acceptor's next message skips a MsgSeqNum
    fix_news             seconds: News to every logged-on session, then Logout after `seconds`
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import msgspec

from tradeguard.sim.faults_kinds import (
    CONTROL_PREFIX,
    KINDS,
    AnyFault,
    ClockOffset,
    DropAfterExecute,
    DropBeforeExecute,
    DuplicateNext,
    Error,
    ErrorReply,
    Fault,
    HoldAfterExecute,
    Latency,
    Maintenance,
    ReorderNext,
    ServerShutdown,
    StreamDrop,
    StreamFault,
    StreamSilence,
    StreamTerminate,
    maintenance_reply,
    parse_fault,
)

__all__ = [
    "KINDS",
    "AnyFault",
    "ErrorReply",
    "Fault",
    "FaultPlan",
    "RequestFaults",
    "StreamFaults",
    "maintenance_reply",
    "parse_fault",
]

SYSTEM_STATUS_PATH: Final = "/sapi/v1/system/status"
WS_API_ROOT: Final = "/ws-api/"
WS_API_PATH: Final = "/ws-api/v3"
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Fault)


@dataclass(frozen=True, slots=True)
class RequestFaults:
    latency_ms: int = 0
    error: ErrorReply | None = None
    maintenance: bool = False
    drop_before_execute: bool = False
    drop_after_execute: bool = False
    hold_after_execute_s: float = 0.0
    applied: tuple[int, ...] = ()  # ids of the faults that took effect, for logs


@dataclass(frozen=True, slots=True)
class StreamFaults:
    drop: bool = False
    terminate: bool = False
    silenced: bool = False


class FaultPlan:
    def __init__(self, faults: Sequence[Mapping[str, Any] | Fault] = ()) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1
        self._silence_started: dict[int, int] = {}  # silence fault id -> ms it began
        for f in faults:
            self.add(f)

    # ── editing ─────────────────────────────────────────────────────────────────────────
    def add(self, fault: Mapping[str, Any] | Fault) -> int:
        f = parse_fault(fault)
        if f.id is None or any(g.id == f.id for g in self._faults):
            f.id = self._next_id
        self._next_id = max(self._next_id, f.id) + 1
        self._faults.append(f)
        return f.id

    def remove(self, fault_id: int) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        self._silence_started.pop(fault_id, None)
        return len(self._faults) != before

    def clear(self) -> None:
        self._faults.clear()
        self._silence_started.clear()

    def faults(self) -> list[Fault]:
        return list(self._faults)

    def any(self) -> bool:
        """Whether the plan holds a fault: what a request asks first, without faults()'s copy."""
        return bool(self._faults)

    # ── JSON ────────────────────────────────────────────────────────────────────────────
    def to_json(self) -> list[dict[str, Any]]:
        """The faults still active, with ids and remaining counts; from_json rebuilds them."""
        out: list[dict[str, Any]] = msgspec.to_builtins(self._faults)
        return out

    @classmethod
    def from_json(cls, data: str | bytes | Sequence[Mapping[str, Any]] | None) -> FaultPlan:
        """A plan from to_json's output, sim.toml's [[faults]] list, or that list as JSON text."""
        if data is None:
            return cls()
        if isinstance(data, str | bytes):
            try:
                data = msgspec.json.decode(data)
            except msgspec.DecodeError as exc:
                raise ValueError(f"faults JSON does not parse: {exc}") from None
        if not isinstance(data, Sequence) or isinstance(data, str | bytes):
            raise ValueError("faults must be a list of fault objects")
        plan = cls()
        for i, item in enumerate(data):
            try:
                plan.add(item)
            except ValueError as exc:
                raise ValueError(f"faults[{i}]: {exc}") from None
        return plan

    # ── simulator-wide state ────────────────────────────────────────────────────────────
    def maintenance_active(self) -> bool:
        return any(isinstance(f, Maintenance) for f in self._faults)

    @property
    def clock_offset_ms(self) -> int:
        if not self._faults:  # the common case, asked on every clock read: no list to build
            return 0
        offsets = [f.ms for f in self._faults if isinstance(f, ClockOffset)]
        return offsets[-1] if offsets else 0  # the latest one added wins

    def system_status_json(self) -> dict[str, object]:
        """GET /sapi/v1/system/status."""
        if self.maintenance_active():
            return {"status": 1, "msg": "system_maintenance"}
        return {"status": 0, "msg": "normal"}

    # ── one request ─────────────────────────────────────────────────────────────────────
    def for_request(self, method: str, path: str) -> RequestFaults:
        """What applies to this request; counts of the faults that take effect go down."""
        matching = [f for f in self._faults if f.matches(method, path)]
        exempt = path == SYSTEM_STATUS_PATH or path.startswith(CONTROL_PREFIX)
        return self._request_plan(matching, exempt)

    def for_ws_request(self, ws_method: str, rest_method: str, rest_path: str) -> RequestFaults:
        """What applies to one WebSocket API order request (`order.place`, ...), whose REST
        twin is `rest_method rest_path` (`POST /api/v3/order`).

        The faults of its REST twin apply (so a fault on the REST order path hits the same
        order sent over the WebSocket API), and so do those aimed at the WebSocket API alone:
        no `method`, and a `path_prefix` under /ws-api/ matching `/ws-api/v3/<ws_method>`.
        """
        ws_path = f"{WS_API_PATH}/{ws_method}"
        matching = [
            f for f in self._faults
            if f.matches(rest_method, rest_path)
            or (
                f.path_prefix is not None
                and f.path_prefix.startswith(WS_API_ROOT)
                and f.matches(None, ws_path)
            )
        ]  # fmt: skip
        return self._request_plan(matching, exempt=False)

    def _request_plan(self, matching: list[Fault], exempt: bool) -> RequestFaults:
        latency = [f for f in matching if isinstance(f, Latency)]
        taken: list[Fault] = list(latency)
        result = RequestFaults(latency_ms=sum(f.ms for f in latency))
        if self.maintenance_active() and not exempt:
            result = _with(result, maintenance=True, error=maintenance_reply())
        else:
            before = next((f for f in matching if isinstance(f, Error | DropBeforeExecute)), None)
            after = next(
                (f for f in matching if isinstance(f, DropAfterExecute | HoldAfterExecute)), None
            )
            if isinstance(before, Error):
                result, taken = _with(result, error=before.reply()), [*taken, before]
            elif before is not None:
                result, taken = _with(result, drop_before_execute=True), [*taken, before]
            elif isinstance(after, DropAfterExecute):
                result, taken = _with(result, drop_after_execute=True), [*taken, after]
            elif isinstance(after, HoldAfterExecute):
                result, taken = _with(result, hold_after_execute_s=after.seconds), [*taken, after]
        for f in taken:
            self._count_down(f, 1)
        return _with(result, applied=tuple(f.id for f in taken if f.id is not None))

    # ── streams ─────────────────────────────────────────────────────────────────────────
    def _stream_faults(self, path: str | None, channel: str | None) -> list[StreamFault]:
        return [
            f for f in self._faults
            if isinstance(f, StreamFault) and f.matches_stream(path, channel)
        ]  # fmt: skip

    def for_stream(self, path: str, now_ms: int, channel: str | None = None) -> StreamFaults:
        """What a stream connection on `path` must do now: drop > terminate > silence.

        A drop or terminate counts one connection; ask once per event sent (and on a timer if
        the stream may idle), and act at once. A timed silence starts the first time it is seen.
        """
        return self._connection_fault(self._stream_faults(path, channel), now_ms)

    def _connection_fault(self, matching: list[StreamFault], now_ms: int | None) -> StreamFaults:
        for kind in (StreamDrop, StreamTerminate):
            hit = next((f for f in matching if isinstance(f, kind)), None)
            if hit is not None:
                self._count_down(hit, 1)
                return StreamFaults(drop=kind is StreamDrop, terminate=kind is StreamTerminate)
        for f in matching:
            if isinstance(f, StreamSilence) and f.id is not None:
                if f.seconds is None or now_ms is None:
                    return StreamFaults(silenced=True)
                start = self._silence_started.setdefault(f.id, now_ms)
                if now_ms < start + round(f.seconds * 1000):
                    return StreamFaults(silenced=True)
                self.remove(f.id)  # over: it has done its job
        return StreamFaults()

    def shutdown_for(self, path: str, channel: str | None = None) -> float | None:
        """If a server_shutdown fault takes the connection on `path` (counting it down): the
        seconds from its serverShutdown event to its close; None otherwise."""
        for f in self._stream_faults(path, channel):
            if isinstance(f, ServerShutdown):
                self._count_down(f, 1)
                return f.close_after_s
        return None

    def next_stream_fault(self, channel: str, now_ms: int | None = None) -> str:
        """For a server that asks once per event on a channel ("user" or "market"): one of
        "drop", "terminate", "silence", "reorder:N" (hold the next N events, this one included,
        and send them reversed), "duplicate" (send this event twice), or "" for none.

        Only faults without a path_prefix apply. Pass `now_ms` for timed silences to run out;
        without it a timed silence lasts until removed.
        """
        matching = self._stream_faults(None, channel)
        connection = self._connection_fault(matching, now_ms)
        if connection.drop:
            return "drop"
        if connection.terminate:
            return "terminate"
        if connection.silenced:
            return "silence"
        for f in matching:
            if isinstance(f, ReorderNext) and f.count is not None and f.id is not None:
                self.remove(f.id)  # the whole reorder is handed over at once
                return f"reorder:{f.count}"
            if isinstance(f, DuplicateNext):
                self._count_down(f, 1)
                return "duplicate"
        return ""

    def shape_events(self, path: str, events: Sequence[_T], channel: str | None = None) -> list[_T]:
        """`events` as the stream on `path` should deliver them: reordered, then duplicated."""
        out = list(events)
        for f in self._stream_faults(path, channel):
            if isinstance(f, ReorderNext) and f.count is not None and out:
                n = min(f.count, len(out))
                out[:n] = out[:n][::-1]
                self._count_down(f, n)
            elif isinstance(f, DuplicateNext) and f.count is not None and out:
                n = min(f.count, len(out))
                out = [e for e in out[:n] for _ in (0, 1)] + out[n:]
                self._count_down(f, n)
        return out

    def take(self, kind: type[_F]) -> _F | None:
        """The earliest fault of `kind` (the FIX acceptor's), counted down once; None if none."""
        found = next((f for f in self._faults if isinstance(f, kind)), None)
        if found is not None:
            self._count_down(found, 1)
        return found

    def _count_down(self, f: Fault, n: int) -> None:
        if f.count is None:
            return
        f.count -= n
        if f.count <= 0 and f.id is not None:
            self.remove(f.id)


def _with(r: RequestFaults, **changes: Any) -> RequestFaults:
    return replace(r, **changes)
