"""Kraken's WebSocket v2 private stream (the `executions` and `balances` channels) as journal
events.

    (REST) POST /0/private/GetWebSocketsToken -> result.token, good for 15 minutes to subscribe
    → {"method":"subscribe","params":{"channel":"executions","token":…,"snap_orders":true,
       "snap_trades":false},"req_id":1}
    → {"method":"subscribe","params":{"channel":"balances","token":…,"snapshot":true},"req_id":2}
      ← {"method":"subscribe","success":true,"result":{"channel":"executions"},…} per channel
      ← {"method":"subscribe","success":false,"error":"ESession:Invalid session",…}
    → {"method":"ping"}   ← {"method":"pong",…}
    ← {"channel":"heartbeat"} / {"channel":"status",…}: no account data

Pushes: {"channel":"executions","type":"update","data":[items],"sequence":N}. Numbers are JSON
numbers (decoded straight into Decimal from their text, never through float), times RFC 3339.

    exec_type trade        trade_id (ordered per pair; exec_id where absent), order_id,
                           cl_ord_id, symbol ("BTC/USD"), side, last_qty, last_price,
                           liquidity_ind (m maker), fees[0] {asset, qty}, cum_qty: OrderFilled
    new                    OrderUpdated NEW
    canceled, expired      OrderUpdated CANCELED / EXPIRED (Kraken may leave symbol and
                           cl_ord_id out here: they are remembered from the order's earlier
                           items)
    pending_new, filled    nothing: not yet accepted / said by the trades
    amended, restated, …   by order_status: new, canceled, expired as above

The executions snapshot (the open orders, on every subscription) only says what those orders
hold: their states are the gap fill's to say.

The order's client id is its `cl_ord_id` (ccxt reads only `order_userref`). Order ids are
txids, mapped to integers by `ids.IdMap`.

    balances  snapshot: {asset, balance (all wallets), wallets[] {type, id, balance}}; update:
              one ledger entry per completed transaction {asset, balance (after it), wallet_type,
              timestamp, …}: BalanceChanged of the spot wallet at the latest timestamp (the
              snapshot's at none: taken as a REST snapshot is)

Kraken says each asset's total only (reconciliation compares totals). The part open orders
hold is reckoned from what the executions channel says of them: a buy its remaining quantity at
its limit (else stop) price in the quote, a sell its remaining quantity in the base (a market
buy's brief hold, and any fee Kraken reserves beside a buy, are not counted); free is the rest.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import msgspec

from tradeguard.events import BalanceChanged, EventBase, OrderFilled, OrderUpdated
from tradeguard.model import Balance, OrderStatus, Side
from tradeguard.venues.ccxt.frames.account import (
    ZERO,
    Account,
    Heard,
    Reply,
    Unreadable,
    rfc3339_ms,
)

PING = '{"method":"ping"}'
_FINAL = frozenset({"filled", "canceled", "expired"})
REMEMBERED = 10_000  # orders whose symbol and client id are kept for items that omit them

_STATUS = {
    "new": OrderStatus.NEW,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
}


class _Fee(msgspec.Struct, gc=False):
    asset: str
    qty: Decimal


class _Execution(msgspec.Struct, gc=False):
    exec_type: str
    order_id: str
    symbol: str = ""
    cl_ord_id: str = ""
    side: str = ""
    order_status: str = ""
    exec_id: str = ""
    trade_id: int | None = None
    last_qty: Decimal = ZERO
    last_price: Decimal = ZERO
    liquidity_ind: str = ""
    fees: list[_Fee] = []
    cum_qty: Decimal | None = None
    cum_cost: Decimal | None = None
    timestamp: datetime | None = None
    order_qty: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


class _Executions(msgspec.Struct, tag_field="channel", tag="executions", gc=False):
    data: list[_Execution] = []
    type: str = "update"


class _Wallet(msgspec.Struct, gc=False):
    balance: Decimal
    type: str = ""
    id: str = ""


class _BalanceItem(msgspec.Struct, gc=False):
    asset: str
    balance: Decimal
    wallets: list[_Wallet] | None = None
    wallet_type: str = "spot"
    timestamp: datetime | None = None


class _Balances(msgspec.Struct, tag_field="channel", tag="balances", gc=False):
    data: list[_BalanceItem] = []
    type: str = "update"


class _Heartbeat(msgspec.Struct, tag_field="channel", tag="heartbeat", gc=False):
    pass


class _Status(msgspec.Struct, tag_field="channel", tag="status", gc=False):
    pass


class _Result(msgspec.Struct, gc=False):
    channel: str = ""


class _Reply(msgspec.Struct, gc=False):
    method: str = ""
    success: bool = True
    error: str = ""
    result: _Result | None = None
    channel: str = ""


_PUSH = msgspec.json.Decoder(_Executions | _Balances | _Heartbeat | _Status)
CHANNELS = ("executions", "balances")
_REPLY = msgspec.json.Decoder(_Reply)


def subscribe_frames(token: str) -> list[str]:
    """The subscriptions, one per channel (executions with the open orders, for their holds)."""
    executions = {"channel": "executions", "token": token, "snap_orders": True}
    balances = {"channel": "balances", "token": token, "snapshot": True}
    return [
        msgspec.json.encode({"method": "subscribe", "params": p, "req_id": n}).decode()
        for n, p in enumerate((executions | {"snap_trades": False}, balances), start=1)
    ]


class Decoder:
    def __init__(self, account: Account) -> None:
        self.account = account
        self._orders: dict[str, _Known] = {}  # by the venue's order id
        self._holds = Holds()

    def frame(self, data: bytes | str, at_ms: int) -> Heard:
        try:
            push = _PUSH.decode(data)
        except msgspec.ValidationError:
            return self._reply(data)
        except msgspec.DecodeError as exc:
            raise Unreadable(f"kraken: not JSON: {exc}") from None
        if type(push) is _Balances:
            return Heard(self._balances(push, at_ms), data=True)
        if type(push) is not _Executions:
            return Heard()
        if push.type == "snapshot":  # the open orders now: what they hold, and only that
            self._holds.clear()
        for item in push.data:
            self._holds.note(item)
        if push.type == "snapshot":
            return Heard(data=True)  # the open orders' states are the gap fill's to say
        events: list[EventBase] = []
        for item in push.data:
            event = self._item(item, at_ms)
            if event is not None:
                events.append(event)
        return Heard(events, data=True)

    def _balances(self, push: _Balances, at_ms: int) -> list[EventBase]:
        totals: dict[str, Decimal] = {}
        times: list[int] = []
        for item in push.data:
            if item.wallet_type != "spot":
                continue  # earn and other wallets: not what orders trade from
            totals[item.asset] = _spot(item)
            stamp = rfc3339_ms(item.timestamp)
            if stamp is not None:
                times.append(stamp)
        if not totals:
            return []
        balances = []
        for asset, total in totals.items():
            locked = min(self._holds.of(asset), max(total, ZERO))
            balances.append(Balance(asset, total - locked, locked))
        return [
            BalanceChanged(
                at_ms=at_ms, profile=self.account.profile,
                exchange_ms=max(times) if push.type == "update" and times else None,
                balances=tuple(balances),
            )
        ]  # fmt: skip

    def _reply(self, data: bytes | str) -> Heard:
        try:
            reply = _REPLY.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise Unreadable(f"kraken: unreadable frame: {exc}") from None
        if reply.channel:
            if reply.channel == "executions":
                raise Unreadable("kraken: unreadable executions push")
            return Heard()
        channel = reply.result.channel if reply.result is not None else ""
        return Heard(reply=Reply(reply.method, reply.success, reply.error, "", channel))

    def _item(self, item: _Execution, at_ms: int) -> EventBase | None:
        symbol, order_id, coid = self._order(item)
        if item.exec_type in _FINAL:
            self._orders.pop(item.order_id, None)  # the order's last word
        if symbol is None:
            return None
        account = self.account
        if item.exec_type == "trade":
            base, quote = account.assets[symbol]
            fee = item.fees[0] if item.fees else None
            trade_id = item.trade_id
            return OrderFilled(
                at_ms=at_ms, profile=account.profile, exchange_ms=rfc3339_ms(item.timestamp),
                client_order_id=coid,
                order_id=order_id, symbol=symbol, base_asset=base, quote_asset=quote,
                side=Side.SELL if item.side == "sell" else Side.BUY,
                trade_id=trade_id if trade_id is not None else account.ids.to_int(item.exec_id),
                price=item.last_price, qty=item.last_qty,
                commission=fee.qty if fee is not None else ZERO,  # signed, as charged
                commission_asset=fee.asset if fee is not None else None,
                is_maker=item.liquidity_ind == "m", cum_qty=item.cum_qty,
            )  # fmt: skip
        status = _STATUS.get(item.exec_type) or _STATUS.get(item.order_status)
        if status is None or coid is None:
            return None
        return OrderUpdated(
            at_ms=at_ms, profile=account.profile, exchange_ms=rfc3339_ms(item.timestamp),
            client_order_id=coid,
            symbol=symbol, status=status, source="stream", order_id=order_id,
            executed_qty=item.cum_qty, quote_qty=item.cum_cost,
        )  # fmt: skip

    def _order(self, item: _Execution) -> tuple[str | None, int, str | None]:
        """The item's compact symbol (None: not followed), order id and client id, from the
        order's earlier items where it omits them (each worked out once per order)."""
        known = self._orders.get(item.order_id)
        if (
            known is not None
            and (not item.symbol or item.symbol == known.venue_symbol)
            and (not item.cl_ord_id or item.cl_ord_id == known.sent)
        ):
            return known.symbol, known.order_id, known.coid
        account = self.account
        venue_symbol = item.symbol or (known.venue_symbol if known else "")
        sent = item.cl_ord_id or (known.sent if known else "")
        order_id = known.order_id if known else account.ids.to_int(item.order_id)
        coid = account.client_id(sent, order_id)
        symbol = account.compact(venue_symbol)
        if coid is not None:  # else asked again: the venue may learn it from the order's reply
            if known is None and len(self._orders) >= REMEMBERED:
                self._orders.pop(next(iter(self._orders)))
            self._orders[item.order_id] = _Known(symbol, order_id, coid, venue_symbol, sent)
        return symbol, order_id, coid


def _spot(item: _BalanceItem) -> Decimal:
    """The spot wallet's part of a snapshot's total (an update is the spot wallet's already)."""
    for wallet in item.wallets or ():
        if wallet.type == "spot" and wallet.id in ("main", ""):
            return wallet.balance
    return item.balance


class _Hold(NamedTuple):
    asset: str
    buy: bool
    price: Decimal  # a buy holds its remaining quantity at this price; a sell the quantity
    order_qty: Decimal
    cum_qty: Decimal

    def amount(self) -> Decimal:
        left = max(self.order_qty - self.cum_qty, ZERO)
        return left * self.price if self.buy else left


class Holds:
    """What each open order holds, as the executions channel tells of it (by the venue's order
    id), and per asset the sum."""

    def __init__(self) -> None:
        self._by_order: dict[str, _Hold] = {}

    def note(self, item: _Execution) -> None:
        if item.exec_type in _FINAL:
            self._by_order.pop(item.order_id, None)
            return
        held = self._by_order.get(item.order_id) or _new_hold(item)
        if held is None:
            return
        price = item.limit_price or item.stop_price
        self._by_order[item.order_id] = held._replace(
            order_qty=item.order_qty if item.order_qty is not None else held.order_qty,
            cum_qty=item.cum_qty if item.cum_qty is not None else held.cum_qty,
            price=price if price else held.price,  # amended
        )

    def clear(self) -> None:
        self._by_order.clear()

    def of(self, asset: str) -> Decimal:
        return sum((h.amount() for h in self._by_order.values() if h.asset == asset), ZERO)


def _new_hold(item: _Execution) -> _Hold | None:
    """An order's hold from the item that first tells of it (new, or the snapshot's)."""
    base, _, quote = item.symbol.partition("/")
    price = item.limit_price or item.stop_price
    if item.order_qty is None or not quote or item.side not in ("buy", "sell"):
        return None
    if item.side == "buy" and not price:
        return None  # a market buy: its hold is brief and its cost unknown here
    buy = item.side == "buy"
    cum = item.cum_qty or ZERO
    return _Hold(quote if buy else base, buy, price or ZERO, item.order_qty, cum)


class _Known(NamedTuple):
    symbol: str | None
    order_id: int
    coid: str
    venue_symbol: str
    sent: str
