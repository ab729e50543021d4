"""Fill events per second on Bybit, OKX and Kraken: private-stream frame bytes to journaled state,
beside ccxt.pro's own handler for the same venue fed the same frames, in one run.

- fill_events_per_s_<venue>: the venue's private-stream frames through the live path: the
  venue's decoder (`venues/ccxt/frames/<venue>.py`: msgspec decode into typed structs, once,
  conversion into OrderFilled / OrderUpdated with Decimal money) -> `Ledger.apply` (order table,
  fill de-duplication, quantity checks, positions) -> `SqliteJournal.append` (the store's normal
  group commit, WAL, "crash" durability), flushed at the end.
  Baseline:
    ccxt   ccxt.pro's handler for that venue (`handle_message`: its order and trade caches, what
           watch_orders / watch_my_trades resolve with), fed the same frames after `json.loads`,
           as its WebSocket client does; no network (markets set by hand); the target is >= 3x

The workload is bench_fills.py's: ORDERS limit orders, each acknowledged then filled in four
partial fills and a final one, GROUP orders interleaved; each said in the venue's words, one
row per message as the venues send them: Bybit an `order` push for the acknowledgement and an
`execution` plus an `order` push per fill (11 frames per order); OKX one `orders` push per
change, the fills inside (6); Kraken `pending_new`, `new`, a `trade` per fill and the final
`filled` (8). Counted per order event (the acknowledgement and each fill: 6 per order, as the
Binance figure counts executionReports), so the venues' figures compare. Medians of REPS runs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from ccxt_handlers import FakeWsClient, spot_market
from figures import Figure, timed_runs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

VENUES = ("bybit", "okx", "kraken")
ORDERS = 10_000
CCXT_ORDERS = 2_000  # ccxt is much slower; a smaller slice of the same frames
GROUP = 8
REPS = 5
PROFILE = "bench"
AT_MS = 1_767_225_600_000
PRICE = Decimal("60000.10")
QTY = Decimal("0.01")
EVENTS_PER_ORDER = 6
_PARTS = [Decimal("0.0015"), Decimal("0.002"), Decimal("0.0025"), Decimal("0.001")]
PARTS = [*_PARTS, QTY - sum(_PARTS)]
NAMES = {"bybit": "BTCUSDT", "okx": "BTC-USDT", "kraken": "BTC/USDT"}


def _steps(orders: int) -> Iterator[tuple[int, int, Decimal, Decimal, int]]:
    """(order k, step 0..5, this fill's qty, cumulative qty, trade id): GROUP interleaved."""
    trade_id = 1_000_000
    for first in range(0, orders, GROUP):
        group = range(first, min(first + GROUP, orders))
        cum = dict.fromkeys(group, Decimal(0))
        for step in range(6):
            for k in group:
                qty = PARTS[step - 1] if step else Decimal(0)
                if qty:
                    cum[k] += qty
                    trade_id += 1
                yield k, step, qty, cum[k], trade_id


def _bybit(orders: int) -> list[bytes]:
    out: list[bytes] = []
    encode = msgspec.json.encode
    for k, step, qty, cum, trade_id in _steps(orders):
        at = str(AT_MS + k)
        side = "Buy" if k % 2 else "Sell"
        order = {
            "category": "spot", "symbol": "BTCUSDT", "orderId": str(5_000_000 + k),
            "orderLinkId": f"tg-{k}", "side": side, "orderType": "Limit", "price": str(PRICE),
            "qty": str(QTY), "timeInForce": "GTC", "orderStatus": "New", "avgPrice": "",
            "leavesQty": str(QTY - cum), "cumExecQty": str(cum), "cumExecValue": str(cum * PRICE),
            "cumExecFee": "0", "createdTime": str(AT_MS), "updatedTime": at, "triggerPrice": "",
            "takeProfit": "", "stopLoss": "", "reduceOnly": False, "marketUnit": "",
        }  # fmt: skip
        if step:
            fee = qty / 1000
            execution = {
                "category": "spot", "symbol": "BTCUSDT", "orderId": order["orderId"],
                "orderLinkId": f"tg-{k}", "side": side, "orderPrice": str(PRICE),
                "orderQty": str(QTY), "leavesQty": str(QTY - cum), "orderType": "Limit",
                "execFee": str(fee), "feeCurrency": "BTC" if side == "Buy" else "USDT",
                "execId": str(trade_id), "execPrice": str(PRICE), "execQty": str(qty),
                "execType": "Trade", "execValue": str(qty * PRICE), "execTime": at,
                "isMaker": bool(k % 3), "feeRate": "0.001", "seq": trade_id,
            }  # fmt: skip
            out.append(encode({"id": f"e{trade_id}", "topic": "execution",
                               "creationTime": AT_MS + k, "data": [execution]}))  # fmt: skip
            order["orderStatus"] = "Filled" if step == 5 else "PartiallyFilled"
            order["avgPrice"] = str(PRICE)
        out.append(encode({"id": f"o{k}-{step}", "topic": "order", "creationTime": AT_MS + k,
                           "data": [order]}))  # fmt: skip
    return out


def _okx(orders: int) -> list[bytes]:
    out: list[bytes] = []
    encode = msgspec.json.encode
    arg = {"channel": "orders", "instType": "SPOT", "uid": "77"}
    for k, step, qty, cum, trade_id in _steps(orders):
        side = "buy" if k % 2 else "sell"
        row = {
            "instType": "SPOT", "instId": "BTC-USDT", "ordId": str(5_000_000 + k),
            "clOrdId": f"tgZ{k}", "tag": "", "px": str(PRICE), "sz": str(QTY), "ordType": "limit",
            "side": side, "tdMode": "cash", "accFillSz": str(cum),
            "avgPx": str(PRICE) if cum else "", "state": "live", "fee": "0", "feeCcy": "USDT",
            "tradeId": "", "fillPx": "", "fillSz": "0", "fillFee": "0", "fillFeeCcy": "",
            "execType": "", "fillTime": "", "cTime": str(AT_MS), "uTime": str(AT_MS + k),
            "code": "0", "msg": "", "amendResult": "", "reqId": "",
        }  # fmt: skip
        if step:
            row |= {
                "state": "filled" if step == 5 else "partially_filled", "tradeId": str(trade_id),
                "fillPx": str(PRICE), "fillSz": str(qty), "fillFee": str(-qty / 1000),
                "fillFeeCcy": "BTC" if side == "buy" else "USDT", "execType": "M" if k % 3 else "T",
                "fillTime": str(AT_MS + k),
            }  # fmt: skip
        out.append(encode({"arg": arg, "data": [row]}))
    return out


def _kraken(orders: int) -> list[bytes]:
    out: list[bytes] = []
    sequence = 0
    encode = msgspec.json.Encoder(decimal_format="number").encode  # Kraken sends numbers

    def push(item: dict[str, Any]) -> None:
        nonlocal sequence
        sequence += 1
        message = {"channel": "executions", "type": "update", "data": [item]}
        out.append(encode(message | {"sequence": sequence}))

    for k, step, qty, cum, trade_id in _steps(orders):
        when = f"2026-01-01T00:00:00.{k % 1_000_000:06d}Z"
        base = {"order_id": f"OBENCH-{k // 100000:05d}-{k % 100000:06d}",
                "symbol": "BTC/USDT", "cl_ord_id": f"tg-{k}", "order_userref": 0}  # fmt: skip
        side = "buy" if k % 2 else "sell"
        if not step:
            push(base | {"exec_type": "pending_new", "order_status": "pending_new",
                         "timestamp": when})  # fmt: skip
            push(base | {"exec_id": f"E{k}", "exec_type": "new", "order_status": "new",
                         "side": side, "order_type": "limit", "order_qty": QTY,
                         "limit_price": PRICE, "time_in_force": "GTC", "cum_qty": 0,
                         "cum_cost": 0, "timestamp": when})  # fmt: skip
            continue
        push(base | {
            "exec_id": f"TBENCH-{trade_id}", "exec_type": "trade", "trade_id": trade_id,
            "side": side, "order_type": "limit", "last_qty": qty, "last_price": PRICE,
            "cost": qty * PRICE, "liquidity_ind": "m" if k % 3 else "t",
            "order_status": "filled" if step == 5 else "partially_filled", "timestamp": when,
            "fees": [{"asset": "BTC" if side == "buy" else "USDT", "qty": qty / 1000}],
            "cum_qty": cum, "cum_cost": cum * PRICE, "avg_price": PRICE,
        })  # fmt: skip
        if step == 5:
            push(base | {"exec_type": "filled", "order_status": "filled", "timestamp": when,
                         "cum_qty": cum, "cum_cost": cum * PRICE, "avg_price": PRICE})  # fmt: skip
    return out


FRAMES: dict[str, Callable[[int], list[bytes]]] = {
    "bybit": _bybit,
    "okx": _okx,
    "kraken": _kraken,
}


def _intents(orders: int) -> list[Any]:
    from tradeguard.events import OrderIntended
    from tradeguard.model import OrderIntent, OrderType, Side, Symbol, TimeInForce

    btc = Symbol("BTC", "USDT")
    return [
        OrderIntended(
            at_ms=AT_MS, profile=PROFILE,
            intent=OrderIntent(
                client_order_id=f"tg-{k}", symbol=btc, side=Side.BUY if k % 2 else Side.SELL,
                type=OrderType.LIMIT, qty=QTY, price=PRICE, time_in_force=TimeInForce.GTC,
            ),
        )
        for k in range(orders)
    ]  # fmt: skip


def _decoder(venue: str) -> Any:
    from tradeguard.venues.ccxt.frames import bybit, kraken, okx
    from tradeguard.venues.ccxt.frames.account import Account
    from tradeguard.venues.ccxt.ids import IdMap

    account = Account(
        PROFILE, {"BTCUSDT": ("BTC", "USDT")}, {NAMES[venue]: "BTCUSDT"},
        IdMap(numeric=venue != "kraken"),
    )  # fmt: skip
    return {"bybit": bybit, "okx": okx, "kraken": kraken}[venue].Decoder(account)


def _ours(venue: str, frames: list[bytes], orders: int, tmp: Path) -> float:
    from tradeguard.journal.replay import Ledger
    from tradeguard.journal.store_sqlite import SqliteJournal

    intents = _intents(orders)
    runs = iter(range(1000))
    stores: list[SqliteJournal] = []

    def prepare() -> Callable[[], None]:
        for store in stores:
            store.close()
        stores.clear()
        ledger = Ledger()
        ledger.apply_all(intents)
        store = SqliteJournal(tmp / f"{venue}{next(runs)}.db", profile=PROFILE)
        store.append_many(intents)
        stores.append(store)
        decode = _decoder(venue).frame
        apply, append = ledger.apply, store.append

        def run() -> None:
            for data in frames:
                for event in decode(data, AT_MS).events:
                    apply(event)
                    append(event)
            store.flush()
            position = ledger.position("BTCUSDT")
            assert position is not None and position.fills == orders * 5, position

        return run

    seconds = timed_runs(prepare, REPS)
    for store in stores:
        store.close()
    return seconds


_URLS = {
    "bybit": "wss://stream.bybit.com/v5/private",
    "okx": "wss://ws.okx.com:8443/ws/v5/private",
    "kraken": "wss://ws-auth.kraken.com/v2",
}


def _ccxt(venue: str, frames: list[bytes]) -> float | None:
    try:
        import ccxt.pro as ccxtpro
    except ImportError:
        return None

    def prepare() -> Callable[[], None]:
        exchange = getattr(ccxtpro, venue)(
            {"apiKey": "bench", "secret": "YmVuY2g=", "password": "bench"}
        )
        exchange.number = str
        exchange.set_markets(
            [
                spot_market(
                    NAMES[venue], lowercase_id=None, amount_step=1e-6, info={"wsname": "BTC/USDT"}
                )
            ]
        )
        client = FakeWsClient(_URLS[venue])
        handle, loads = exchange.handle_message, json.loads

        def run() -> None:
            for data in frames:
                handle(client, loads(data))
            assert client.resolved > 0 and exchange.myTrades, venue

        return run

    return timed_runs(prepare, REPS)


def run() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="tg-bench-fills-venues-") as tmp:
        for venue in VENUES:
            frames = FRAMES[venue](ORDERS)
            ours = ORDERS * EVENTS_PER_ORDER / _ours(venue, frames, ORDERS, Path(tmp))
            ccxt_s = _ccxt(venue, FRAMES[venue](CCXT_ORDERS))
            if ccxt_s is None:
                continue
            theirs = CCXT_ORDERS * EVENTS_PER_ORDER / ccxt_s
            figures.append(Figure(f"fill_events_per_s_{venue}", ours, "events/s", "ccxt", theirs))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.describe())
