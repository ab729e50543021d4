"""Reconciliation while trading (not only at start and after stream gaps): an order placed
elsewhere is adopted by the next round; a balance mismatch that is still there after a second
look stops trading; one a fill in flight explains does not; a round that fails is journaled and
the next one runs. The rounds are driven by a fake sleep: no waiting."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from tests.scenarios.conftest import ACCOUNT, FAST, Connect, price_off
from tradeguard.events import ErrorRaised, ReconciliationFound
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.model import OrderStatus, OrderType, Side, TimeInForce
from tradeguard.session.guard import Session
from tradeguard.session.reconcile import Tolerance
from tradeguard.session.reconciler import SETTLE_S, reconcile_every
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import NewOrder

EVERY_S = 300.0


class Rounds:
    """The loop's sleep: returns at once, records what was asked, ends the loop after `rounds`
    periodic sleeps (the settle sleeps inside a round do not count)."""

    def __init__(self, rounds: int, between: Callable[[], Awaitable[None]] | None = None) -> None:
        self.rounds = rounds
        self.asked: list[float] = []
        self.between = between

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if seconds == EVERY_S:
            if self.asked.count(EVERY_S) > self.rounds:
                raise _Done
            if self.between is not None and self.asked.count(EVERY_S) > 1:
                await self.between()


class _Done(Exception):
    pass


async def run_rounds(tg: Session, sleep: Rounds) -> None:
    assets = {s: (r.base_asset, r.quote_asset) for s, r in tg.rules.items()}
    with contextlib.suppress(_Done):
        await reconcile_every(tg, assets, Tolerance(), EVERY_S, sleep=sleep)


class BalancesAfter:
    """The session's transport, with `hook` run once just before the first balance query: a
    fill that lands on the exchange after the trades query and before the balance query."""

    def __init__(self, inner: BinanceTransport, hook: Callable[[], Awaitable[Any]]) -> None:
        self._inner = inner
        self._hook: Callable[[], Awaitable[Any]] | None = hook

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def balances(self) -> Any:
        if self._hook is not None:
            hook, self._hook = self._hook, None
            await hook()
        return await self._inner.balances()


def take_usdt(exchange: server.RunningSim, tg: Session) -> None:
    """250 USDT leave the account where the session cannot see it (no stream, no fill)."""
    held = exchange.engine.balances(ACCOUNT)["USDT"].free
    exchange.engine.set_balance(ACCOUNT, "USDT", held - Decimal(250), tg.clock.wall_ms())


async def usdt_taken_behind_its_back(sessions: Connect, exchange: server.RunningSim) -> Session:
    tg = await sessions("bot", stream=False, **FAST)
    take_usdt(exchange, tg)
    return tg


def findings(tg: Session, kind: str) -> list[ReconciliationFound]:
    return [
        e
        for e in tg.recorder.journal.events()
        if isinstance(e, ReconciliationFound) and e.kind == kind
    ]


async def test_an_order_placed_elsewhere_while_trading_is_adopted_by_the_next_round(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    tg = await sessions("bot", stream=False, **FAST)
    key = exchange.key("trade-only")
    creds = ApiCredentials(key.api_key, Secret(key.secret), kind=key.kind)
    async with BinanceTransport(exchange.base_url, creds) as other:
        placed = await other.place_order(
            NewOrder(
                symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT,
                client_order_id="elsewhere-2", quantity=Decimal("0.001"),
                price=Decimal(await price_off(tg, "-1")), time_in_force=TimeInForce.GTC,
            )
        )  # fmt: skip
    await control.fill("BTCUSDT", "0.0006", order_id=placed.order_id)
    assert tg.order("elsewhere-2") is None
    sleep = Rounds(1)
    await run_rounds(tg, sleep)
    adopted = tg.order("elsewhere-2")
    assert adopted is not None and adopted.status is OrderStatus.PARTIALLY_FILLED
    assert adopted.executed_qty == Decimal("0.0006")
    assert [f.client_order_id for f in findings(tg, "unknown_order")] == ["elsewhere-2"]
    assert not tg.ledger.kill_switch.latched
    assert sleep.asked == [EVERY_S, EVERY_S]  # no second look: nothing was off


async def test_a_balance_mismatch_still_there_after_a_second_look_stops_trading(
    sessions: Connect, exchange: server.RunningSim
) -> None:
    tg = await usdt_taken_behind_its_back(sessions, exchange)
    sleep = Rounds(1)
    await run_rounds(tg, sleep)
    assert sleep.asked == [EVERY_S, SETTLE_S, EVERY_S]
    assert tg.ledger.kill_switch.latched
    assert "reconciliation mismatch: USDT" in (tg.ledger.kill_switch.reason or "")
    (mismatch,) = findings(tg, "balance_mismatch")  # the second look's, recorded once
    assert mismatch.actual == mismatch.expected - Decimal(250)


async def test_a_mismatch_a_fill_in_flight_explains_does_not_stop_trading(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    tg = await sessions("bot", stream=False, **FAST)
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    fill = lambda: control.fill("BTCUSDT", "0.001", order_id=order.order_id)  # noqa: E731
    tg.transport = BalancesAfter(tg.transport, fill)  # type: ignore[assignment]
    sleep = Rounds(1)
    await run_rounds(tg, sleep)
    assert sleep.asked == [EVERY_S, SETTLE_S, EVERY_S]  # it looked twice
    assert not tg.ledger.kill_switch.latched
    assert findings(tg, "balance_mismatch") == []
    booked = tg.order(order.client_order_id)
    assert booked is not None and booked.status is OrderStatus.FILLED  # from myTrades


async def test_a_failed_round_is_journaled_and_the_next_one_runs(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    tg = await sessions("bot", stream=False, **FAST)
    await control.add_fault(
        {"kind": "error", "http_status": 400, "code": -1100, "msg": "Illegal characters found",
         "path_prefix": "/api/v3/openOrders", "count": 1}
    )  # fmt: skip
    take_usdt(exchange, tg)
    sleep = Rounds(2)
    await run_rounds(tg, sleep)
    errors = [e for e in tg.recorder.journal.events() if isinstance(e, ErrorRaised)]
    assert any("periodic reconciliation failed" in e.message for e in errors)
    assert tg.ledger.kill_switch.latched  # the second round did run, and looked twice
    assert sleep.asked == [EVERY_S, EVERY_S, SETTLE_S, EVERY_S]


async def test_a_round_while_the_stream_fills_a_gap_is_left_to_the_gap_fill(
    sessions: Connect, exchange: server.RunningSim
) -> None:
    tg = await usdt_taken_behind_its_back(sessions, exchange)
    tg.ready.clear()  # what the stream does while it is down or filling a gap
    sleep = Rounds(1)
    await run_rounds(tg, sleep)
    assert sleep.asked == [EVERY_S, EVERY_S]
    assert not tg.ledger.kill_switch.latched and findings(tg, "balance_mismatch") == []
