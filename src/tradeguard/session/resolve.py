"""Finding out what happened to an order whose placement got no trustworthy answer.

An `OutcomeUnknown` order is in UNKNOWN and is never sent again. It is resolved from whichever
comes first: the user stream (its executionReport moves it out of UNKNOWN), or a query by its
client order id, repeated with backoff. Binance may answer -2013 "Order does not exist" for a
few seconds after it accepted an order, so one -2013 proves nothing. The order is concluded
never placed only when the exchange could no longer accept it: its request's timestamp plus
recvWindow has passed on the exchange clock (after that the matching engine rejects it), and
at least `min_queries` queries said -2013 after that moment. Then it becomes REJECTED with the
reason written down; it is still not resent: the bot decides. An order list's legs are
resolved together, by the list's client id (`resolve_unknown_list`): a list is placed whole or
not at all, so one look at the list (the exchange answers -2011 for one it does not hold)
decides for every leg, and the legs it holds are then read each.

On a venue that limits reads by a decaying call counter (Kraken), the resolver holds room on
it for the `min_queries` that can conclude, from the start until it is done: the stream's
refreshes and other reads wait rather than take it, so the conclusion comes right after the
deadline, not when the counter next has room. The first query goes at once whatever the
counter holds (most orders left without an answer were placed, and one look finds them); later
ones before the deadline only while the counter has room beyond what is held, so it is not
spent on answers that prove nothing.

Fills found by a query come from `myTrades` (fill messages), never made up from the order's
executed quantity.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from tradeguard.errors import OrderNotFound, RateLimited, TransportError
from tradeguard.events import EventBase, OrderUpdated
from tradeguard.model import OrderReport, OrderStatus
from tradeguard.report_events import order_updated, trade_filled
from tradeguard.venues.protocol import Venue

Record = Callable[[EventBase], object]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ResolvePolicy:
    first_delay_s: float = 0.5
    max_delay_s: float = 8.0
    grace_ms: int = 5_000  # beyond sent + recvWindow, for the exchange's own queues
    min_queries: int = 3  # -2013 answers needed after the deadline
    max_queries: int = 200  # then give up asking, leave it UNKNOWN and say so


def _scarce(transport: Venue, policy: ResolvePolicy) -> bool:
    """The venue's call counter (Kraken's) has room for no more queries than the ones that
    can conclude after the deadline; a venue without one never is."""
    affordable = getattr(transport, "affordable_queries", None)
    room = affordable() if affordable is not None else None
    return room is not None and room <= policy.min_queries


async def book_fills(
    transport: Venue,
    report: OrderReport,
    assets: tuple[str, str],
    record: Record,
    profile: str,
    at_ms: int,
) -> None:
    """Record the order's fills from myTrades (duplicates are ignored by the ledger)."""
    if report.executed_qty <= 0:
        return
    for trade in await transport.my_trades(report.symbol, order_id=report.order_id):
        record(trade_filled(trade, report.client_order_id, *assets, at_ms, profile))


async def resolve_unknown(
    transport: Venue,
    *,
    symbol: str,
    client_order_id: str,
    assets: tuple[str, str],
    sent_server_ms: int,
    still_unknown: Callable[[], bool],
    record: Record,
    profile: str,
    sleep: Sleep = asyncio.sleep,
    policy: ResolvePolicy | None = None,
) -> OrderStatus | None:
    """Resolve one UNKNOWN order; the status it was found in, or None if it is still unknown
    (resolved by the stream meanwhile, or `max_queries` ran out)."""

    def unknown() -> list[str]:
        return [client_order_id] if still_unknown() else []

    async def look() -> list[OrderReport]:
        return [await transport.get_order(symbol, client_order_id=client_order_id)]

    return await _resolving(
        transport, _Asking(symbol, look, unknown, assets, sent_server_ms, record, profile),
        sleep, policy or ResolvePolicy(),
    )  # fmt: skip


async def resolve_unknown_list(
    transport: ListVenue,
    *,
    symbol: str,
    list_client_order_id: str,
    unknown: Callable[[], list[str]],
    assets: tuple[str, str],
    sent_server_ms: int,
    record: Record,
    profile: str,
    sleep: Sleep = asyncio.sleep,
    policy: ResolvePolicy | None = None,
) -> OrderStatus | None:
    """Resolve the UNKNOWN legs of one order list (`unknown()`: those still unknown) by the
    list as a whole: the exchange is asked for the list by its client id, and a list it does
    not hold after the deadline means no leg reached it (a list is placed whole or not at
    all); a list it holds has each unknown leg read. The first leg's status, or None."""

    async def look() -> list[OrderReport]:
        held = set(await transport.order_list_legs(list_client_order_id))
        legs = [c for c in unknown() if c in held]
        return [await transport.get_order(symbol, client_order_id=c) for c in legs]

    return await _resolving(
        transport, _Asking(symbol, look, unknown, assets, sent_server_ms, record, profile),
        sleep, policy or ResolvePolicy(),
    )  # fmt: skip


class ListVenue(Venue, Protocol):
    """A venue that reads an order list by its client id."""

    async def order_list_legs(self, list_client_order_id: str) -> list[str]:
        """The list's orders' client ids; OrderNotFound for a list it does not hold."""
        ...


@dataclass(frozen=True, slots=True)
class _Asking:
    """What one resolution asks (`look`: the reports, OrderNotFound if none) and for whom
    (`unknown`: the client ids still unknown)."""

    symbol: str
    look: Callable[[], Awaitable[list[OrderReport]]]
    unknown: Callable[[], list[str]]
    assets: tuple[str, str]
    sent_server_ms: int
    record: Record
    profile: str


async def _resolving(
    transport: Venue, asking: _Asking, sleep: Sleep, policy: ResolvePolicy
) -> OrderStatus | None:
    holding = getattr(transport, "resolving", None)  # a venue with a call counter (Kraken)
    held = holding(policy.min_queries) if holding is not None else contextlib.nullcontext()
    with held:
        return await _ask(transport, asking, sleep, policy)


async def _ask(
    transport: Venue, asking: _Asking, sleep: Sleep, policy: ResolvePolicy
) -> OrderStatus | None:
    deadline = asking.sent_server_ms + transport.recv_window_ms + policy.grace_ms
    delay = policy.first_delay_s
    late_misses = 0
    asked = 0
    for _ in range(policy.max_queries):
        await sleep(delay)
        delay = min(policy.max_delay_s, delay * 2)
        if not asking.unknown():
            return None
        now = transport.server_now_ms()
        if now <= deadline and asked and _scarce(transport, policy):
            continue  # before the deadline a miss proves nothing: keep the venue's counter
        asked += 1
        try:
            reports = await asking.look()
        except RateLimited:
            continue
        except OrderNotFound:
            if now > deadline:
                late_misses += 1
            never_placed = asking.unknown() if late_misses >= policy.min_queries else []
            for coid in never_placed:
                asking.record(
                    OrderUpdated(
                        at_ms=transport.clock.wall_ms(),
                        profile=asking.profile,
                        client_order_id=coid,
                        symbol=asking.symbol,
                        status=OrderStatus.REJECTED,
                        source="query",
                        reason=(
                            "never reached the matching engine: the exchange answers -2013 "
                            "after the request's recvWindow ran out; it was not resent"
                        ),
                    )
                )
            if never_placed:
                return OrderStatus.REJECTED
            continue
        except TransportError:
            continue
        at = transport.clock.wall_ms()
        for report in reports:
            # fills first: an order seen FILLED must already hold its fills (and the position)
            await book_fills(transport, report, asking.assets, asking.record, asking.profile, at)
            asking.record(order_updated(report, at, asking.profile))
        return reports[0].status if reports else None
    return None
