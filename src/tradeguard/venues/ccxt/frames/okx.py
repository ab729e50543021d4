"""OKX v5's private stream (/ws/v5/private) as journal events, and what the socket sends.

    → {"op":"login","args":[{apiKey, passphrase, timestamp (unix s), sign: base64 HMAC-SHA256
       of timestamp + "GET" + "/users/self/verify"}]}
      ← {"event":"login","code":"0"} | {"event":"error","code":"600xx","msg":…}
    → {"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"},{"channel":"account"}]}
      on /ws/v5/private, {"op":"subscribe","args":[{"channel":"orders-algo","instType":"SPOT"}]}
      on /ws/v5/business (logged in likewise)
      ← {"event":"subscribe","arg":{…}} per channel
    → the text "ping"   ← the text "pong"
    ← {"event":"notice","code":"64008",…}: the connection closes soon for an upgrade

Pushes are {"arg":{"channel",…},"data":[rows]}:

    orders   one row per change of an order; a fill's row carries it: tradeId, fillPx, fillSz,
             fillFee (negative a charge, positive a rebate: booked negated, so a rebate is a
             negative commission), fillFeeCcy, execType (M maker, T taker), fillTime, with
             accFillSz the cumulative: OrderFilled. A row that is no fill
             (tradeId "" or fillSz 0) in state live -> NEW, canceled / mmp_canceled ->
             CANCELED: OrderUpdated at uTime; partially_filled and filled are the fills' to say.
             The order a triggered algo order placed has an ordId of its own and no clOrdId;
             its algoId and algoClOrdId name the algo order, which the rows are booked on.
    orders-algo  one row per change of an algo order: algoId, algoClOrdId, instId, state,
             uTime. canceled -> CANCELED, order_failed (triggered, its order not placed) ->
             REJECTED: OrderUpdated on the algo order; live and effective say nothing new (the
             placement's reply said it; the order it placed speaks on `orders`).
    account  rows {uTime, details[]: ccy, availBal, frozenBal, cashBal, uTime}: free = availBal
             (cashBal - frozenBal where ""), locked = frozenBal: BalanceChanged at the latest
             uTime

The channel is read from the bytes before decoding, so each frame is decoded once, straight
into the Structs of its channel (the rare frame the look does not place is decoded generally).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal

import msgspec

from tradeguard.events import BalanceChanged, EventBase, OrderFilled, OrderUpdated
from tradeguard.model import Balance, OrderStatus, Side
from tradeguard.venues.ccxt.frames.account import (
    ZERO,
    Account,
    Heard,
    Reply,
    Unreadable,
    dec,
    time_ms,
)

PING = "ping"
CHANNELS = ("orders", "account")  # on /ws/v5/private
BUSINESS_CHANNELS = ("orders-algo",)  # on /ws/v5/business
# login refusals that are about the clock, not the key: the next attempt signs afresh
CLOCK_CODES = frozenset({"60004", "60006"})

_STATUS = {
    "live": OrderStatus.NEW,
    "canceled": OrderStatus.CANCELED,
    "mmp_canceled": OrderStatus.CANCELED,
}


class _Arg(msgspec.Struct, gc=False):
    channel: str = ""


class _Order(msgspec.Struct, gc=False):
    instId: str
    ordId: str
    state: str
    clOrdId: str = ""
    algoId: str = ""
    algoClOrdId: str = ""
    side: str = ""
    accFillSz: str = ""
    avgPx: str = ""
    tradeId: str = ""
    fillPx: str = ""
    fillSz: str = ""
    fillFee: str = ""
    fillFeeCcy: str = ""
    execType: str = ""
    fillTime: str = ""
    uTime: str = ""


class _AlgoOrder(msgspec.Struct, gc=False):
    instId: str
    algoId: str
    state: str
    algoClOrdId: str = ""
    uTime: str = ""


class _Detail(msgspec.Struct, gc=False):
    ccy: str
    availBal: str = ""
    frozenBal: str = ""
    cashBal: str = ""
    uTime: str = ""


class _Account(msgspec.Struct, gc=False):
    details: list[_Detail] = []
    uTime: str = ""


class _Orders(msgspec.Struct, gc=False):
    arg: _Arg | None = None
    data: list[_Order] = []
    event: str = ""
    code: str = ""
    msg: str = ""


class _Accounts(msgspec.Struct, gc=False):
    arg: _Arg | None = None
    data: list[_Account] = []
    event: str = ""
    code: str = ""
    msg: str = ""


class _AlgoOrders(msgspec.Struct, gc=False):
    arg: _Arg | None = None
    data: list[_AlgoOrder] = []
    event: str = ""
    code: str = ""
    msg: str = ""


class _Event(msgspec.Struct, gc=False):
    event: str = ""
    code: str = ""
    msg: str = ""
    arg: _Arg | None = None
    data: msgspec.Raw = msgspec.Raw(b"")  # decoded once the channel is known


_ORDERS = msgspec.json.Decoder(_Orders)
_ACCOUNTS = msgspec.json.Decoder(_Accounts)
_ALGO_ORDERS = msgspec.json.Decoder(_AlgoOrders)
_EVENT = msgspec.json.Decoder(_Event)
_ALGO_ROWS = msgspec.json.Decoder(list[_AlgoOrder])
_ALGO_STATUS = {"canceled": OrderStatus.CANCELED, "order_failed": OrderStatus.REJECTED}
_ORDER_ROWS = msgspec.json.Decoder(list[_Order])
_ACCOUNT_ROWS = msgspec.json.Decoder(list[_Account])


def login_frame(api_key: str, secret: str, passphrase: str, now_ms: int) -> str:
    stamp = str(now_ms // 1000)
    digest = hmac.new(secret.encode(), f"{stamp}GET/users/self/verify".encode(), hashlib.sha256)
    arg = {
        "apiKey": api_key,
        "passphrase": passphrase,
        "timestamp": stamp,
        "sign": base64.b64encode(digest.digest()).decode(),
    }
    return msgspec.json.encode({"op": "login", "args": [arg]}).decode()


def subscribe_frame(channels: tuple[str, ...] = CHANNELS) -> str:
    args = [{"channel": c} | ({} if c == "account" else {"instType": "SPOT"}) for c in channels]
    return msgspec.json.encode({"op": "subscribe", "args": args}).decode()


class Decoder:
    def __init__(self, account: Account) -> None:
        self.account = account

    def frame(self, data: bytes | str, at_ms: int) -> Heard:
        raw = data.encode() if isinstance(data, str) else data
        if raw == b"pong":
            return Heard(reply=Reply("pong", True))
        try:
            if b'"channel":"orders"' in raw:
                orders = _ORDERS.decode(raw)
                if orders.event:
                    return _reply(orders.event, orders.code, orders.msg, "orders")
                return Heard(self._orders(orders.data, at_ms), data=True)
            if b'"channel":"orders-algo"' in raw:
                algos = _ALGO_ORDERS.decode(raw)
                if algos.event:
                    return _reply(algos.event, algos.code, algos.msg, "orders-algo")
                return Heard(self._algo_orders(algos.data, at_ms), data=True)
            if b'"channel":"account"' in raw:
                accounts = _ACCOUNTS.decode(raw)
                if accounts.event:
                    return _reply(accounts.event, accounts.code, accounts.msg, "account")
                return Heard(self._balances(accounts.data, at_ms), data=True)
            return self._general(_EVENT.decode(raw), at_ms)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise Unreadable(f"okx: unreadable frame: {exc}") from None

    def _general(self, frame: _Event, at_ms: int) -> Heard:
        """A frame the look at its bytes did not place (spacing it did not expect)."""
        channel = frame.arg.channel if frame.arg is not None else ""
        if frame.event:
            return _reply(frame.event, frame.code, frame.msg, channel)
        if not frame.data or channel not in CHANNELS + BUSINESS_CHANNELS:
            return Heard()
        if channel == "orders":
            return Heard(self._orders(_ORDER_ROWS.decode(frame.data), at_ms), data=True)
        if channel == "orders-algo":
            return Heard(self._algo_orders(_ALGO_ROWS.decode(frame.data), at_ms), data=True)
        return Heard(self._balances(_ACCOUNT_ROWS.decode(frame.data), at_ms), data=True)

    def _orders(self, rows: list[_Order], at_ms: int) -> list[EventBase]:
        account = self.account
        out: list[EventBase] = []
        for row in rows:
            symbol = account.compact(row.instId)
            if symbol is None:
                continue
            # the order a triggered algo order placed is booked on the algo order (ours):
            # named by its algoId and algoClOrdId, its own ordId and clOrdId are not ours
            order_id = int(row.algoId or row.ordId)
            coid = account.client_id(row.clOrdId or row.algoClOrdId, order_id)
            filled = dec(row.fillSz)
            if row.tradeId and filled:
                base, quote = account.assets[symbol]
                out.append(
                    OrderFilled(
                        at_ms=at_ms, profile=account.profile,
                        exchange_ms=time_ms(row.fillTime) or time_ms(row.uTime),
                        client_order_id=coid, order_id=order_id, symbol=symbol,
                        base_asset=base, quote_asset=quote,
                        side=Side.SELL if row.side == "sell" else Side.BUY,
                        trade_id=int(row.tradeId), price=dec(row.fillPx), qty=filled,
                        commission=-dec(row.fillFee),  # OKX: negative a charge, positive a rebate
                        commission_asset=row.fillFeeCcy or None, is_maker=row.execType == "M",
                        cum_qty=dec(row.accFillSz) if row.accFillSz else None,
                    )
                )  # fmt: skip
                continue
            status = _STATUS.get(row.state)
            if status is None or coid is None:
                continue
            executed = dec(row.accFillSz)
            out.append(
                OrderUpdated(
                    at_ms=at_ms, profile=account.profile, exchange_ms=time_ms(row.uTime),
                    client_order_id=coid, symbol=symbol, status=status, source="stream",
                    order_id=order_id, executed_qty=executed,
                    quote_qty=executed * dec(row.avgPx),
                )
            )  # fmt: skip
        return out

    def _algo_orders(self, rows: list[_AlgoOrder], at_ms: int) -> list[EventBase]:
        account = self.account
        out: list[EventBase] = []
        for row in rows:
            symbol = account.compact(row.instId)
            status = _ALGO_STATUS.get(row.state)
            if symbol is None or status is None:
                continue
            order_id = int(row.algoId)
            coid = account.client_id(row.algoClOrdId, order_id)
            if coid is None:
                continue
            out.append(
                OrderUpdated(
                    at_ms=at_ms, profile=account.profile, exchange_ms=time_ms(row.uTime),
                    client_order_id=coid, symbol=symbol, status=status, source="stream",
                    order_id=order_id, executed_qty=ZERO, quote_qty=ZERO,
                )
            )  # fmt: skip
        return out

    def _balances(self, rows: list[_Account], at_ms: int) -> list[EventBase]:
        out: list[EventBase] = []
        for row in rows:
            if not row.details:
                continue
            balances = tuple(
                Balance(d.ccy, _free(d), dec(d.frozenBal)) for d in row.details
            )  # fmt: skip
            times = [t for t in (time_ms(d.uTime) for d in row.details) if t is not None]
            times += [t for t in (time_ms(row.uTime),) if t is not None]
            out.append(
                BalanceChanged(
                    at_ms=at_ms, profile=self.account.profile,
                    exchange_ms=max(times, default=None), balances=balances,
                )
            )  # fmt: skip
        return out


def _reply(event: str, code: str, msg: str, channel: str) -> Heard:
    ok = event in ("login", "subscribe", "unsubscribe") and code in ("", "0")
    return Heard(reply=Reply(event, ok, msg, code, channel))


def _free(detail: _Detail) -> Decimal:
    if detail.availBal:
        return Decimal(detail.availBal)
    return dec(detail.cashBal) - dec(detail.frozenBal)
