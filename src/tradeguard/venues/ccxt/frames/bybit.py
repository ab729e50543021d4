"""Bybit v5's private stream (/v5/private) as journal events, and what the socket sends.

    → {"op":"auth","args":[apiKey, expires, hex HMAC-SHA256 of "GET/realtime" + expires]}
      ← {"op":"auth","success":true|false,"ret_msg":…}
    → {"op":"subscribe","req_id":"tg","args":["order","execution","wallet"]}
      ← {"op":"subscribe","success":true,…}
    → {"op":"ping"}   ← {"op":"pong",…} (or {"op":"ping","ret_msg":"pong",…})

Pushes carry `topic`, `creationTime` and `data` (a list of rows):

    order      orderId, orderLinkId, symbol, orderStatus, cumExecQty, cumExecValue,
               updatedTime: OrderUpdated unless the status is a fill's (the execution says it)
    execution  execType "Trade": execId, orderId, orderLinkId, symbol, side, execPrice, execQty,
               execFee, feeCurrency, isMaker, execTime: OrderFilled (other execTypes are not
               spot fills). Where feeCurrency is absent, the fee is in what the order receives
               (a buy's base, a sell's quote), as Bybit spot charges it.
    wallet     coin[]: coin, walletBalance, locked, availableToWithdraw ("" on a unified
               account: free = walletBalance - locked): BalanceChanged at creationTime

Statuses: New, Created, Untriggered, Triggered, Active -> NEW; Cancelled, Deactivated,
PartiallyFilledCanceled (an IOC's or a cancel's end after fills) -> CANCELED; Rejected ->
REJECTED; PartiallyFilled, Filled are the fills' to say.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

import msgspec

from tradeguard.events import BalanceChanged, EventBase, OrderFilled, OrderUpdated
from tradeguard.model import Balance, OrderStatus, Side
from tradeguard.venues.ccxt.frames.account import Account, Heard, Reply, Unreadable, dec, time_ms

TOPICS = ("order", "execution", "wallet")
PING = '{"op":"ping"}'
AUTH_WINDOW_MS = 10_000  # how long the auth signature stays good

_STATUS = {
    "New": OrderStatus.NEW,
    "Created": OrderStatus.NEW,
    "Untriggered": OrderStatus.NEW,
    "Triggered": OrderStatus.NEW,
    "Active": OrderStatus.NEW,
    "Cancelled": OrderStatus.CANCELED,
    "Deactivated": OrderStatus.CANCELED,
    "PartiallyFilledCanceled": OrderStatus.CANCELED,
    "Rejected": OrderStatus.REJECTED,
}


class _Order(msgspec.Struct, gc=False):
    orderId: str
    symbol: str
    orderStatus: str
    orderLinkId: str = ""
    cumExecQty: str = ""
    cumExecValue: str = ""
    updatedTime: str = ""


class _Execution(msgspec.Struct, gc=False):
    orderId: str
    symbol: str
    side: str
    execId: str
    execPrice: Decimal
    execQty: Decimal
    execType: str = "Trade"
    orderLinkId: str = ""
    execFee: str = ""
    feeCurrency: str = ""
    isMaker: bool = False
    execTime: str = ""


class _Coin(msgspec.Struct, gc=False):
    coin: str
    walletBalance: str = ""
    locked: str = ""
    availableToWithdraw: str = ""


class _Wallet(msgspec.Struct, gc=False):
    coin: list[_Coin] = []


class _Orders(msgspec.Struct, tag_field="topic", tag="order", gc=False):
    data: list[_Order]
    creationTime: int = 0


class _Executions(msgspec.Struct, tag_field="topic", tag="execution", gc=False):
    data: list[_Execution]
    creationTime: int = 0


class _Wallets(msgspec.Struct, tag_field="topic", tag="wallet", gc=False):
    data: list[_Wallet]
    creationTime: int = 0


class _Reply(msgspec.Struct, gc=False):
    op: str = ""
    success: bool = True
    ret_msg: str = ""
    topic: str = ""


_PUSH = msgspec.json.Decoder(_Orders | _Executions | _Wallets)
_REPLY = msgspec.json.Decoder(_Reply)


def auth_frame(api_key: str, secret: str, now_ms: int) -> str:
    expires = str(now_ms + AUTH_WINDOW_MS)
    sign = hmac.new(secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256)
    return msgspec.json.encode(
        {"op": "auth", "args": [api_key, expires, sign.hexdigest()]}
    ).decode()


def subscribe_frame() -> str:
    return msgspec.json.encode({"op": "subscribe", "req_id": "tg", "args": list(TOPICS)}).decode()


class Decoder:
    def __init__(self, account: Account) -> None:
        self.account = account

    def frame(self, data: bytes | str, at_ms: int) -> Heard:
        try:
            push = _PUSH.decode(data)
        except msgspec.ValidationError:
            return self._reply(data)
        except msgspec.DecodeError as exc:
            raise Unreadable(f"bybit: not JSON: {exc}") from None
        if type(push) is _Executions:
            return Heard(self._fills(push, at_ms), data=True)
        if type(push) is _Orders:
            return Heard(self._orders(push, at_ms), data=True)
        assert type(push) is _Wallets
        return Heard(self._wallets(push, at_ms), data=True)

    def _reply(self, data: bytes | str) -> Heard:
        try:
            reply = _REPLY.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise Unreadable(f"bybit: unreadable frame: {exc}") from None
        if reply.topic:
            if reply.topic in TOPICS:  # ours, and not as documented: it may have been a fill
                raise Unreadable(f"bybit: unreadable {reply.topic} push")
            return Heard()
        op = reply.op
        if op == "pong" or (op == "ping" and reply.ret_msg == "pong"):
            return Heard(reply=Reply("pong", True))
        return Heard(reply=Reply(op, reply.success, reply.ret_msg))

    def _fills(self, push: _Executions, at_ms: int) -> list[EventBase]:
        account = self.account
        out: list[EventBase] = []
        for row in push.data:
            symbol = account.compact(row.symbol)
            if symbol is None or row.execType != "Trade":
                continue
            base, quote = account.assets[symbol]
            order_id = int(row.orderId)
            side = Side.SELL if row.side == "Sell" else Side.BUY
            fee_asset = row.feeCurrency or (base if side is Side.BUY else quote)
            out.append(
                OrderFilled(
                    at_ms=at_ms, profile=account.profile, exchange_ms=time_ms(row.execTime),
                    client_order_id=account.client_id(row.orderLinkId, order_id),
                    order_id=order_id, symbol=symbol, base_asset=base, quote_asset=quote,
                    side=side, trade_id=account.ids.to_int(row.execId), price=row.execPrice,
                    qty=row.execQty, commission=dec(row.execFee),  # negative: a maker rebate
                    commission_asset=fee_asset, is_maker=row.isMaker,
                )
            )  # fmt: skip
        return out

    def _orders(self, push: _Orders, at_ms: int) -> list[EventBase]:
        account = self.account
        out: list[EventBase] = []
        for row in push.data:
            status = _STATUS.get(row.orderStatus)
            symbol = account.compact(row.symbol)
            if status is None or symbol is None:
                continue
            order_id = int(row.orderId)
            coid = account.client_id(row.orderLinkId, order_id)
            if coid is None:
                continue
            out.append(
                OrderUpdated(
                    at_ms=at_ms, profile=account.profile, exchange_ms=time_ms(row.updatedTime),
                    client_order_id=coid, symbol=symbol, status=status, source="stream",
                    order_id=order_id, executed_qty=dec(row.cumExecQty),
                    quote_qty=dec(row.cumExecValue),
                )
            )  # fmt: skip
        return out

    def _wallets(self, push: _Wallets, at_ms: int) -> list[EventBase]:
        balances = [
            Balance(coin.coin, _free(coin), dec(coin.locked))
            for wallet in push.data
            for coin in wallet.coin
        ]
        if not balances:
            return []
        return [
            BalanceChanged(
                at_ms=at_ms, profile=self.account.profile,
                exchange_ms=push.creationTime or None, balances=tuple(balances),
            )
        ]  # fmt: skip


def _free(coin: _Coin) -> Decimal:
    if coin.availableToWithdraw:
        return Decimal(coin.availableToWithdraw)
    return dec(coin.walletBalance) - dec(coin.locked)
