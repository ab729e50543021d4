"""A deterministic, valid session's worth of journal events, for tests and bench/bench_journal.py.

Per order: intent, request, reply, NEW, two to six fills from the stream (cumulative quantities
consistent), now and then a balance report, a cancel of what is left or a final FILLED. Between
orders: a clock sync, a rate-limit pause and its end, an error, an alert. No pytest imports here:
the benchmark imports it too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

from tradeguard import events as ev
from tradeguard.journal.redact import redact_query
from tradeguard.model import Balance, OrderIntent, OrderStatus, OrderType, Side, Symbol

START_MS = 1_795_000_000_000  # 2026-11-18
PROFILE = "default"
SYMBOLS = (Symbol("BTC", "USDT"), Symbol("ETH", "USDT"))


def session(n_events: int, seed: int = 1, start_ms: int = START_MS) -> Iterator[ev.EventBase]:
    """About `n_events` events (exactly, if n_events is reached mid-order the order is cut)."""
    rng = random.Random(seed)
    now = start_ms
    made = 0
    trade_id = 1000
    order_id = 5000
    order_no = 0
    base = {"BTC": Decimal("1.0"), "ETH": Decimal("10"), "USDT": Decimal("100000")}

    def emit(event: ev.EventBase) -> bool:
        nonlocal made
        made += 1
        return made >= n_events

    yield ev.ProfileLoaded(
        at_ms=now,
        profile=PROFILE,
        venue="binance",
        env="sim",
        mode="trade",
        symbols=("BTC/USDT", "ETH/USDT"),
        api_key="tgSIMk…",
    )
    yield ev.StageSet(at_ms=now, profile=PROFILE, rung="sim")
    made = 2
    while made < n_events:
        now += rng.randint(1, 50)
        order_no += 1
        order_id += 1
        sym = SYMBOLS[order_no % 2]
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        price = (
            Decimal(rng.randint(600_000, 620_000)) / 10 if sym.base == "BTC" else Decimal("3000.5")
        )
        qty = Decimal(rng.randint(10, 99)) / 1000
        coid = f"tg-{seed}-{order_no}"
        intent = OrderIntent(
            client_order_id=coid, symbol=sym, side=side, type=OrderType.LIMIT, qty=qty, price=price
        )
        if emit(event := ev.OrderIntended(at_ms=now, profile=PROFILE, intent=intent)):
            yield event
            return
        yield event
        for event in (
            ev.RequestSent(
                at_ms=now,
                profile=PROFILE,
                method="POST",
                path="/api/v3/order",
                query=redact_query(
                    {
                        "symbol": sym.binance,
                        "side": side.value,
                        "type": "LIMIT",
                        "quantity": qty,
                        "price": price,
                        "newClientOrderId": coid,
                        "timestamp": now,
                        "signature": "ab" * 32,
                    }
                ),
                client_order_id=coid,
            ),
            ev.ReplyReceived(
                at_ms=now + 2,
                profile=PROFILE,
                method="POST",
                path="/api/v3/order",
                status=200,
                latency_ms=1.7,
                weight=rng.randint(1, 300),
                order_count=rng.randint(1, 50),
                client_order_id=coid,
                order_id=order_id,
            ),
            ev.OrderUpdated(
                at_ms=now + 2,
                profile=PROFILE,
                exchange_ms=now + 1,
                client_order_id=coid,
                symbol=sym.binance,
                status=OrderStatus.NEW,
                source="reply",
                order_id=order_id,
                executed_qty=Decimal(0),
            ),
        ):
            if emit(event):
                yield event
                return
            yield event
        parts = rng.randint(2, 6)
        cancel = rng.random() < 0.2
        left = qty
        cum = Decimal(0)
        for part in range(parts):
            now += rng.randint(0, 20)
            last = (
                left
                if part == parts - 1 and not cancel
                else (qty / parts).quantize(Decimal("0.00001"))
            )
            if last <= 0 or last > left:
                break
            left -= last
            cum += last
            trade_id += 1
            event = ev.OrderFilled(
                at_ms=now,
                profile=PROFILE,
                exchange_ms=now - 1,
                client_order_id=coid,
                order_id=order_id,
                symbol=sym.binance,
                base_asset=sym.base,
                quote_asset=sym.quote,
                side=side,
                trade_id=trade_id,
                price=price,
                qty=last,
                commission=(last / 1000) if side is Side.BUY else price * last / 1000,
                commission_asset=sym.base if side is Side.BUY else sym.quote,
                is_maker=rng.random() < 0.5,
                cum_qty=cum,
            )
            if emit(event):
                yield event
                return
            yield event
        if cancel and left > 0:
            final = ev.OrderUpdated(
                at_ms=now + 1,
                profile=PROFILE,
                client_order_id=coid,
                symbol=sym.binance,
                status=OrderStatus.CANCELED,
                source="stream",
                order_id=order_id,
                executed_qty=cum,
            )
        else:
            final = ev.OrderUpdated(
                at_ms=now + 1,
                profile=PROFILE,
                client_order_id=coid,
                symbol=sym.binance,
                status=OrderStatus.FILLED,
                source="stream",
                order_id=order_id,
                executed_qty=cum,
            )
        if emit(final):
            yield final
            return
        yield final
        extra: ev.EventBase | None = None
        roll = rng.random()
        if roll < 0.3:
            base[sym.base] += cum if side is Side.BUY else -cum
            extra = ev.BalanceChanged(
                at_ms=now + 1,
                profile=PROFILE,
                balances=(
                    Balance(sym.base, base[sym.base], Decimal(0)),
                    Balance("USDT", base["USDT"], Decimal(0)),
                ),
            )
        elif roll < 0.32:
            extra = ev.ClockSynced(
                at_ms=now, profile=PROFILE, offset_ms=rng.randint(-40, 40), rtt_ms=1.2
            )
        elif roll < 0.33:
            extra = ev.RateLimitChanged(
                at_ms=now,
                profile=PROFILE,
                limit="pause",
                until_ms=now + 1000,
                reason="429",
                code=-1003,
            )
        elif roll < 0.34:
            extra = ev.ErrorRaised(
                at_ms=now,
                profile=PROFILE,
                error="OrderRejected",
                message="Account has insufficient balance",
                code=-2010,
            )
        if extra is not None:
            if emit(extra):
                yield extra
                return
            yield extra
