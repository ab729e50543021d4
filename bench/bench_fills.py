"""Fill events per second: executionReport bytes to journaled state, beside baselines in one run.

- fill_events_per_s: WebSocket API frames ({"subscriptionId","event":executionReport}) through
  the live path: `UserEvents.frame` (msgspec decode into typed structs, conversion into
  OrderFilled / OrderUpdated with Decimal money) -> `Ledger.apply` (the order state table, fill
  de-duplication, quantity checks, positions) -> `SqliteJournal.append` (the store's normal
  group commit: 2,048 per transaction, WAL, the default "crash" durability: synchronous=NORMAL,
  commits and checkpoints on the journal's own thread), flushed at the end. Counted per
  executionReport.
  Baselines, each a line:
    ccxt            ccxt.pro binance's own handler (`handle_message` -> `handle_order_update`:
                    its order and trade caches), fed the same frames after `json.loads`, as its
                    WebSocket client does; no network (markets set by hand)
    msgspec_decode  `msgspec.json.decode` of the same frames into plain dicts: decoding alone
- user_event_convert_per_s: decode + convert only (no ledger, no journal), vs msgspec_decode.

The workload: ORDERS limit orders; each gets a NEW report, four partial fills and a final fill
(6 executionReports, 5 of them fills), orders interleaved in small groups as a busy account's
would be. Intents are in the ledger and journal before timing. Medians of REPS runs (five:
this machine's speed wanders by a quarter from one run to the next).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from ccxt_handlers import FakeWsClient, spot_market
from figures import Figure, timed_runs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ORDERS = 20_000
CCXT_ORDERS = 3_000  # ccxt is ~50x slower; a smaller slice of the same frames
GROUP = 8  # orders whose reports interleave
REPS = 5
SYMBOL = "BTCUSDT"
PROFILE = "bench"
AT_MS = 1_767_225_600_000


def _frames(orders: int) -> list[bytes]:
    """Every order: NEW, 4 partial fills, the final fill; GROUP orders interleaved."""
    encode = msgspec.json.encode
    frames: list[bytes] = []
    trade_id = 1_000_000
    parts = [Decimal("0.0015"), Decimal("0.002"), Decimal("0.0025"), Decimal("0.001")]
    parts.append(Decimal("0.01") - sum(parts))
    price = Decimal("60000.10")
    for first in range(0, orders, GROUP):
        group = range(first, min(first + GROUP, orders))
        cum = {k: Decimal(0) for k in group}
        for step in range(6):
            for k in group:
                if step == 0:
                    x, status, qty = "NEW", "NEW", Decimal(0)
                else:
                    qty = parts[step - 1]
                    cum[k] += qty
                    x = "TRADE"
                    status = "FILLED" if step == 5 else "PARTIALLY_FILLED"
                    trade_id += 1
                event = {
                    "e": "executionReport", "E": AT_MS + k, "s": SYMBOL, "c": f"tg-{k}",
                    "S": "BUY" if k % 2 else "SELL", "o": "LIMIT", "f": "GTC",
                    "q": "0.01000000", "p": f"{price:.8f}", "P": "0.00000000",
                    "F": "0.00000000", "g": -1, "C": "", "x": x, "X": status, "r": "NONE",
                    "i": 5_000_000 + k, "l": f"{qty:.8f}", "z": f"{cum[k]:.8f}",
                    "L": f"{price if qty else 0:.8f}", "n": f"{qty / 1000:.8f}" if qty else "0",
                    "N": "BTC" if qty else None, "T": AT_MS + k, "t": trade_id if qty else -1,
                    "I": 1, "w": step < 5, "m": bool(k % 3), "M": True, "O": AT_MS,
                    "Z": f"{cum[k] * price:.8f}", "Y": f"{qty * price:.8f}", "Q": "0.00000000",
                    "W": AT_MS, "V": "EXPIRE_MAKER",
                }  # fmt: skip
                frames.append(encode({"subscriptionId": 0, "event": event}))
    return frames


def _intents(orders: int) -> list[Any]:
    from tradeguard.events import OrderIntended
    from tradeguard.model import OrderIntent, OrderType, Side, Symbol, TimeInForce

    btc = Symbol("BTC", "USDT")
    out = []
    for k in range(orders):
        intent = OrderIntent(
            client_order_id=f"tg-{k}", symbol=btc, side=Side.BUY if k % 2 else Side.SELL,
            type=OrderType.LIMIT, qty=Decimal("0.01"), price=Decimal("60000.10"),
            time_in_force=TimeInForce.GTC,
        )  # fmt: skip
        out.append(OrderIntended(at_ms=AT_MS, profile=PROFILE, intent=intent))
    return out


def _ours(frames: list[bytes], intents: list[Any], tmp: Path) -> float:
    from tradeguard.journal.replay import Ledger
    from tradeguard.journal.store_sqlite import SqliteJournal
    from tradeguard.venues.binance.userevents import UserEvents

    runs = iter(range(1000))
    stores: list[SqliteJournal] = []

    def prepare() -> Callable[[], None]:
        ledger = Ledger()
        ledger.apply_all(intents)
        store = SqliteJournal(tmp / f"fills{next(runs)}.db", profile=PROFILE)
        store.append_many(intents)
        stores.append(store)
        convert = UserEvents({SYMBOL: ("BTC", "USDT")}, PROFILE).frame
        apply, append = ledger.apply, store.append

        def run() -> None:
            for data in frames:
                for event in convert(data, AT_MS)[1]:
                    apply(event)
                    append(event)
            store.flush()  # timed until the commit thread has committed (and checkpointed) all
            position = ledger.position(SYMBOL)
            assert position is not None and position.fills == len(intents) * 5

        return run

    def prepare_closing() -> Callable[[], None]:
        for store in stores:  # the last run's store, before the next one starts
            store.close()
        stores.clear()
        return prepare()

    seconds = timed_runs(prepare_closing, REPS)
    for store in stores:
        store.close()
    return seconds


def _convert_only(frames: list[bytes]) -> float:
    from tradeguard.venues.binance.userevents import UserEvents

    def prepare() -> Callable[[], None]:
        convert = UserEvents({SYMBOL: ("BTC", "USDT")}, PROFILE).frame

        def run() -> None:
            for data in frames:
                convert(data, AT_MS)

        return run

    return timed_runs(prepare, REPS)


def _msgspec_decode(frames: list[bytes]) -> float:
    def prepare() -> Callable[[], None]:
        decode = msgspec.json.decode

        def run() -> None:
            for data in frames:
                decode(data)

        return run

    return timed_runs(prepare, REPS)


def _ccxt(frames: list[bytes]) -> float | None:
    try:
        import ccxt.pro as ccxtpro
    except ImportError:
        return None
    market = spot_market(SYMBOL, lowercase_id="btcusdt", amount_step=1e-5, info={})

    def prepare() -> Callable[[], None]:
        exchange = ccxtpro.binance({"apiKey": "bench", "secret": "bench"})
        exchange.set_markets([market])
        client = FakeWsClient()
        handle, loads = exchange.handle_message, json.loads

        def run() -> None:
            for data in frames:
                handle(client, loads(data))
            assert client.resolved > 0 and exchange.myTrades

        return run

    return timed_runs(prepare, REPS)


def run() -> list[Figure]:
    frames = _frames(ORDERS)
    intents = _intents(ORDERS)
    n = len(frames)
    with tempfile.TemporaryDirectory(prefix="tg-bench-fills-") as tmp:
        ours = n / _ours(frames, intents, Path(tmp))
    convert = n / _convert_only(frames)
    decode = n / _msgspec_decode(frames)
    figures = [Figure("fill_events_per_s", ours, "events/s", "msgspec_decode", decode)]
    ccxt_frames = _frames(CCXT_ORDERS)
    ccxt_s = _ccxt(ccxt_frames)
    if ccxt_s is not None:
        figures.insert(0, Figure("fill_events_per_s", ours, "events/s", "ccxt",
                                 len(ccxt_frames) / ccxt_s))  # fmt: skip
    figures.append(
        Figure("user_event_convert_per_s", convert, "events/s", "msgspec_decode", decode)
    )
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.describe())
