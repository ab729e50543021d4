"""Binance Spot replies decoded into tradeguard's model, money as Decimal. Pure.

Typed msgspec decoding: a reply that lacks a field we need, or carries a wrong type, is a
`ParseError` naming the endpoint, never a silent None (ccxt turns missing fields into None).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from tradeguard.errors import ExchangeError
from tradeguard.model import Balance, Fill, OrderReport, OrderStatus, OrderType, Side, TimeInForce


class ParseError(ExchangeError):
    """The exchange answered 2xx with a body tradeguard cannot read."""

    def __init__(self, what: str, detail: str, http_status: int | None = None) -> None:
        super().__init__(
            None,
            f"unreadable {what} reply: {detail}",
            http_status,
            hint="the exchange (or a proxy) sent something unexpected; nothing was assumed",
        )


T = TypeVar("T")


# a Decoder per reply type, made at its first reply: `msgspec.json.decode(body, type=...)`
# looks the type up again on every call, a third of an order reply's decoding
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decode(body: bytes, into: type[T], what: str) -> T:
    decoder = _DECODERS.get(into)
    if decoder is None:
        decoder = _DECODERS[into] = msgspec.json.Decoder(into)
    try:
        decoded: T = decoder.decode(body)
        return decoded
    except msgspec.DecodeError as exc:
        raise ParseError(what, str(exc)) from exc


# ── wire shapes ──────────────────────────────────────────────────────────────────────────────


class ServerTime(msgspec.Struct):
    serverTime: int


class WireFill(msgspec.Struct):
    price: Decimal
    qty: Decimal
    commission: Decimal
    commissionAsset: str
    tradeId: int


class WireOrder(msgspec.Struct):
    """The RESULT/FULL placement reply, GET order, openOrders and allOrders entries."""

    symbol: str
    orderId: int
    clientOrderId: str
    side: Side
    type: OrderType
    status: OrderStatus
    price: Decimal = Decimal(0)
    origQty: Decimal = Decimal(0)
    executedQty: Decimal = Decimal(0)
    cummulativeQuoteQty: Decimal = Decimal(0)
    timeInForce: TimeInForce | None = None
    stopPrice: Decimal | None = None
    orderListId: int = -1
    transactTime: int | None = None
    updateTime: int | None = None
    origClientOrderId: str | None = None
    fills: list[WireFill] = []


class WireListOrder(msgspec.Struct):
    clientOrderId: str


class WireListLegs(msgspec.Struct):
    """GET /api/v3/orderList: the list's orders (their states are the orders' own)."""

    orders: list[WireListOrder] = []


class WireOrderList(msgspec.Struct):
    """An OCO placement or cancel reply: the list and its orders' states."""

    orderListId: int
    listClientOrderId: str
    listOrderStatus: str
    orderReports: list[WireOrder] = []


class WireAck(msgspec.Struct):
    symbol: str
    orderId: int
    clientOrderId: str
    transactTime: int
    orderListId: int = -1


class WireTrade(msgspec.Struct):
    symbol: str
    id: int
    orderId: int
    price: Decimal
    qty: Decimal
    quoteQty: Decimal
    commission: Decimal
    commissionAsset: str
    time: int
    isBuyer: bool
    isMaker: bool


class WireBalance(msgspec.Struct):
    asset: str
    free: Decimal
    locked: Decimal


class WireAccount(msgspec.Struct):
    canTrade: bool
    balances: list[WireBalance]
    canWithdraw: bool = False
    updateTime: int = 0
    permissions: list[str] = []


class WireSymbol(msgspec.Struct):
    symbol: str
    status: str
    baseAsset: str
    quoteAsset: str
    orderTypes: list[str]
    filters: list[dict[str, Any]]
    icebergAllowed: bool = False
    ocoAllowed: bool = False
    quoteOrderQtyMarketAllowed: bool = False
    allowTrailingStop: bool = False
    isSpotTradingAllowed: bool = True


class WireExchangeInfo(msgspec.Struct):
    serverTime: int
    rateLimits: list[dict[str, Any]]
    symbols: list[WireSymbol]


class WireError(msgspec.Struct):
    code: int
    msg: str


_NULL = msgspec.Raw(b"null")


class WireReplace(msgspec.Struct):
    """POST /api/v3/order/cancelReplace's four fields: the 200 body, or the `data` of its
    -2021 / -2022 error. A half that failed answers `{"code","msg"}`; one not attempted, null."""

    cancelResult: str  # SUCCESS | FAILURE
    newOrderResult: str  # SUCCESS | FAILURE | NOT_ATTEMPTED
    cancelResponse: msgspec.Raw = _NULL
    newOrderResponse: msgspec.Raw = _NULL


class WireReplaceReply(msgspec.Struct):
    """Either shape of a cancelReplace answer: the 200 fields, or code + msg + data."""

    cancelResult: str | None = None
    newOrderResult: str | None = None
    cancelResponse: msgspec.Raw = _NULL
    newOrderResponse: msgspec.Raw = _NULL
    code: int | None = None
    msg: str = ""
    data: WireReplace | None = None


class ApiRestrictions(msgspec.Struct):
    """GET /sapi/v1/account/apiRestrictions: what the key may do (exchange-wire.md §3)."""

    ipRestrict: bool
    createTime: int
    enableReading: bool
    enableWithdrawals: bool
    enableSpotAndMarginTrading: bool
    enableInternalTransfer: bool = False
    enableMargin: bool = False
    enableFutures: bool = False
    permitsUniversalTransfer: bool = False
    enableVanillaOptions: bool = False
    enableFixApiTrade: bool = False
    enableFixReadOnly: bool = False
    enablePortfolioMarginTrading: bool = False
    tradingAuthorityExpirationTime: int | None = None


@dataclass(frozen=True, slots=True)
class ReplaceOutcome:
    """What a cancelReplace did, half by half.

    `code` is None for a full success (HTTP 200), -2021 when one half failed (HTTP 409: the
    cancel failed and the new order is live, or the cancel went through and the new order was
    refused) and -2022 when neither did (HTTP 400). A half that succeeded has its report
    (`canceled`, `new_order`, or `new_order_ack` when the reply was an ACK); one that failed
    has the exchange's error; a new order not attempted has neither.
    """

    cancel_result: str
    new_order_result: str
    canceled: OrderReport | None = None
    cancel_error: WireError | None = None
    new_order: OrderReport | None = None
    new_order_ack: WireAck | None = None
    new_order_error: WireError | None = None
    code: int | None = None
    msg: str = ""

    @property
    def cancel_ok(self) -> bool:
        return self.cancel_result == "SUCCESS"

    @property
    def new_order_ok(self) -> bool:
        return self.new_order_result == "SUCCESS"


def replace_outcome(body: bytes) -> ReplaceOutcome:
    """A cancelReplace answer (200, or -2021/-2022 with `data`) as a `ReplaceOutcome`."""
    what = "order/cancelReplace"
    reply = decode(body, WireReplaceReply, what)
    if reply.code is not None:
        if reply.data is None:
            raise ParseError(what, f"error {reply.code} without the `data` of both halves")
        top = reply.data
    elif reply.cancelResult is None or reply.newOrderResult is None:
        raise ParseError(what, "neither cancelResult/newOrderResult nor an error code")
    else:
        top = WireReplace(
            reply.cancelResult, reply.newOrderResult, reply.cancelResponse, reply.newOrderResponse
        )
    canceled = cancel_error = new_order = new_ack = new_error = None
    if top.cancelResult == "SUCCESS":
        canceled = order_report(decode(bytes(top.cancelResponse), WireOrder, what))
    elif bytes(top.cancelResponse) != b"null":
        cancel_error = decode(bytes(top.cancelResponse), WireError, what)
    if top.newOrderResult == "SUCCESS":
        raw = bytes(top.newOrderResponse)
        try:
            new_order = order_report(msgspec.json.decode(raw, type=WireOrder))
        except msgspec.DecodeError:
            new_ack = decode(raw, WireAck, what)  # newOrderRespType=ACK: ids only
    elif bytes(top.newOrderResponse) != b"null":
        new_error = decode(bytes(top.newOrderResponse), WireError, what)
    return ReplaceOutcome(
        cancel_result=top.cancelResult,
        new_order_result=top.newOrderResult,
        canceled=canceled,
        cancel_error=cancel_error,
        new_order=new_order,
        new_order_ack=new_ack,
        new_order_error=new_error,
        code=reply.code,
        msg=reply.msg,
    )


# ── into the model ───────────────────────────────────────────────────────────────────────────


def order_report(wire: WireOrder) -> OrderReport:
    fills = tuple(
        Fill(
            symbol=wire.symbol,
            trade_id=f.tradeId,
            order_id=wire.orderId,
            client_order_id=wire.clientOrderId,
            side=wire.side,
            price=f.price,
            qty=f.qty,
            quote_qty=f.price * f.qty,
            commission=f.commission,
            commission_asset=f.commissionAsset,
            time_ms=wire.transactTime or 0,
            is_maker=False,
        )
        for f in wire.fills
    )
    return OrderReport(
        symbol=wire.symbol,
        order_id=wire.orderId,
        client_order_id=wire.origClientOrderId or wire.clientOrderId,
        side=wire.side,
        type=wire.type,
        status=wire.status,
        price=wire.price,
        orig_qty=wire.origQty,
        executed_qty=wire.executedQty,
        cummulative_quote_qty=wire.cummulativeQuoteQty,
        time_in_force=wire.timeInForce,
        stop_price=wire.stopPrice or None,
        order_list_id=wire.orderListId,
        update_time_ms=wire.updateTime or wire.transactTime,
        fills=fills,
    )


def trade_fill(wire: WireTrade, client_order_id: str | None = None) -> Fill:
    return Fill(
        symbol=wire.symbol,
        trade_id=wire.id,
        order_id=wire.orderId,
        client_order_id=client_order_id,
        side=Side.BUY if wire.isBuyer else Side.SELL,
        price=wire.price,
        qty=wire.qty,
        quote_qty=wire.quoteQty,
        commission=wire.commission,
        commission_asset=wire.commissionAsset,
        time_ms=wire.time,
        is_maker=wire.isMaker,
    )


def balances(wire: WireAccount) -> dict[str, Balance]:
    return {b.asset: Balance(b.asset, b.free, b.locked) for b in wire.balances}


def error_body(body: bytes) -> WireError | None:
    """Binance's {"code", "msg"} error body, or None if the body is anything else (HTML...)."""
    try:
        return msgspec.json.decode(body, type=WireError)
    except msgspec.DecodeError:
        return None
