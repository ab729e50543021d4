"""Kraken's WebSocket v2 private stream (the `executions` channel) as journal events.

    (REST) POST /0/private/GetWebSocketsToken -> result.token, good for 15 minutes to subscribe
    → {"method":"subscribe","params":{"channel":"executions","token":…,"snap_orders":false,
       "snap_trades":false},"req_id":1}
      ← {"method":"subscribe","success":true,"result":{"channel":"executions"},…}
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

The order's client id is its `cl_ord_id` (ccxt reads only `order_userref`). Order ids are
txids, mapped to integers by `ids.IdMap`. The `balances` channel is not read: it says each
asset's total only (no free and locked apart), so reconciliation keeps Kraken's balances.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import msgspec

from tradeguard.events import EventBase, OrderFilled, OrderUpdated
from tradeguard.model import OrderStatus, Side
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


class _Executions(msgspec.Struct, tag_field="channel", tag="executions", gc=False):
    data: list[_Execution] = []
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


_PUSH = msgspec.json.Decoder(_Executions | _Heartbeat | _Status)
_REPLY = msgspec.json.Decoder(_Reply)


def subscribe_frame(token: str) -> str:
    params = {"channel": "executions", "token": token, "snap_orders": False, "snap_trades": False}
    return msgspec.json.encode({"method": "subscribe", "params": params, "req_id": 1}).decode()


class Decoder:
    def __init__(self, account: Account) -> None:
        self.account = account
        self._orders: dict[str, _Known] = {}  # by the venue's order id

    def frame(self, data: bytes | str, at_ms: int) -> Heard:
        try:
            push = _PUSH.decode(data)
        except msgspec.ValidationError:
            return self._reply(data)
        except msgspec.DecodeError as exc:
            raise Unreadable(f"kraken: not JSON: {exc}") from None
        if type(push) is not _Executions:
            return Heard()
        events: list[EventBase] = []
        for item in push.data:
            event = self._item(item, at_ms)
            if event is not None:
                events.append(event)
        return Heard(events, data=True)

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


class _Known(NamedTuple):
    symbol: str | None
    order_id: int
    coid: str
    venue_symbol: str
    sent: str
