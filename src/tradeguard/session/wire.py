"""What the venue saw, as journal events: every reply with its weight and latency
(`ReplyReceived`), every rate-limit pause and ban (`RateLimitChanged`), and every clock re-sync
(`ClockSynced`). Redacted by construction: a `ReplyNote` carries no parameters but the client
order id, and the journal's Redactor masks anything secret that slips in.
"""

from __future__ import annotations

from collections.abc import Callable

from tradeguard.errors import RateLimited
from tradeguard.events import ClockSynced, EventBase, RateLimitChanged, ReplyReceived
from tradeguard.net.clock import Clock
from tradeguard.net.clocksync import Estimate
from tradeguard.venues.protocol import ReplyNote, Venue

Record = Callable[[EventBase], object]


def attach(transport: Venue, record: Record, clock: Clock, profile: str) -> None:
    """Journal the transport's replies and limit changes through `record`."""

    def on_reply(note: ReplyNote) -> None:
        # An order's request is in the journal already, as its durable OrderIntended (the
        # complete intent, before it left); the reply is what came back.
        record(
            ReplyReceived(
                at_ms=clock.wall_ms(), profile=profile, method=note.method, path=note.path,
                status=note.status, latency_ms=note.latency_ms, code=note.code,
                weight=note.weight, order_count=note.order_count,
                client_order_id=note.client_order_id,
            )
        )  # fmt: skip

    def on_limit(error: RateLimited) -> None:
        banned = error.http_status == 418 or error.banned_until_ms is not None
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
