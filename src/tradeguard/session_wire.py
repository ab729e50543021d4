"""What the transport saw, as journal events: every reply with its weight and latency
(`ReplyReceived`), every 429 pause and 418 ban (`RateLimitChanged`), and every clock re-sync
(`ClockSynced`). Redacted by
construction: the note carries the request's own parameters (no signature or timestamp, which
are added on the way out) and the journal's Redactor masks anything secret that slips in.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from tradeguard.clock import Clock
from tradeguard.clocksync import Estimate
from tradeguard.errors import RateLimited
from tradeguard.events import ClockSynced, EventBase, RateLimitChanged, ReplyReceived
from tradeguard.venues.binance.client import BinanceTransport, WireNote

Record = Callable[[EventBase], object]


class _ErrorCode(msgspec.Struct):
    code: int | None = None


_decode_error = msgspec.json.Decoder(_ErrorCode).decode


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def attach(transport: BinanceTransport, record: Record, clock: Clock, profile: str) -> None:
    """Journal the transport's replies and limit changes through `record`."""

    def on_reply(note: WireNote) -> None:
        request = note.request
        params = dict(request.params)
        coid = params.get("newClientOrderId") or params.get("origClientOrderId")
        now = clock.wall_ms()
        # An order's request is in the journal already, as its durable OrderIntended (the
        # complete intent, before it left); RequestSent is kept for requests without one.
        code = None
        if note.status >= 400:
            try:
                code = _decode_error(note.body).code
            except (msgspec.DecodeError, msgspec.ValidationError):
                code = None
        record(
            ReplyReceived(
                at_ms=now, profile=profile, method=request.method, path=request.path,
                status=note.status, latency_ms=round(note.latency_ms, 3), code=code,
                weight=_int(note.headers.get("x-mbx-used-weight-1m")),
                order_count=_int(note.headers.get("x-mbx-order-count-10s")),
                client_order_id=coid,
            )
        )  # fmt: skip

    def on_limit(error: RateLimited) -> None:
        banned = error.http_status == 418
        until = error.banned_until_ms if banned else None
        if until is None and error.retry_after_s is not None:
            until = transport.server_now_ms() + int(error.retry_after_s * 1000)
        record(
            RateLimitChanged(
                at_ms=clock.wall_ms(), profile=profile, limit="ban" if banned else "pause",
                until_ms=until, reason=error.msg, code=error.code,
            )
        )  # fmt: skip

    def on_clock(estimate: Estimate) -> None:
        record(
            ClockSynced(
                at_ms=clock.wall_ms(), profile=profile, offset_ms=round(estimate.skew_ms),
                rtt_ms=estimate.rtt_ms,
            )
        )  # fmt: skip

    transport.on_reply = on_reply
    transport.on_limit = on_limit
    transport.on_clock = on_clock
