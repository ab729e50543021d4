"""Binance user-data events (bytes) into tradeguard events. Pure: no I/O, no clock.

The hot path of a live session: every fill arrives here as an executionReport. msgspec decodes
the WebSocket API frame straight into typed structs (one pass, unused fields skipped), and
`UserEvents.convert` turns a report into journal events:

    executionReport x=TRADE        OrderFilled (source "stream"): trade id t, last qty l, cum z,
                                   price L, commission n in N, maker m; quote Y only when it is
                                   not exactly L * l. When the order is one by quote amount
                                   (Q > 0) and X=FILLED, an OrderUpdated(FILLED) follows, since
                                   its quantity was unknown and the fills alone cannot close it.
    executionReport other x        OrderUpdated (source "stream"): status X, cum z and Z, the
                                   reject/expiry reason. A cancel's report names the cancel
                                   request as `c` and the order as `C`: the order is `C`.
    outboundAccountPosition        BalanceChanged: free and locked per asset, as reported, at
                                   the account's update time u (E when u is absent): the fold
                                   orders reports by it, not by arrival
    balanceUpdate                  BalanceMoved: a deposit, withdrawal or transfer, asset a and
                                   delta d at the clear time T (E when T is absent); a record,
                                   the absolute balances come in the outboundAccountPosition
                                   Binance sends with it
    eventStreamTerminated,         no event: `WsFrame.event` is a `StreamTerminated` /
    listenKeyExpired               `ListenKeyExpired`; the stream resubscribes

Frames on a WebSocket API connection are either `{"subscriptionId", "event"}` or a reply
`{"id", "status", "result" | "error"}`; `decode_frame` reads both into a `WsFrame`. Event kinds
this module does not know (listStatus, externalLockUpdate, ...) decode to `OtherEvent`.

Exact decimals: quantities and prices are `Decimal` from the wire's strings, never float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import msgspec

from tradeguard.errors import ConfigError
from tradeguard.events import BalanceChanged, BalanceMoved, EventBase, OrderFilled, OrderUpdated
from tradeguard.model import Balance, OrderStatus, Side
from tradeguard.venues.binance.parse import ParseError

__all__ = [
    "AccountPosition",
    "Assets",
    "BalanceUpdate",
    "ExecutionReport",
    "ListenKeyExpired",
    "OtherEvent",
    "StreamTerminated",
    "UnknownSymbol",
    "UserEvents",
    "WsError",
    "WsErrorData",
    "WsFrame",
    "decode_event",
    "decode_frame",
]

Assets = Mapping[str, tuple[str, str]]  # exchange symbol -> (base asset, quote asset)

ZERO: Final = Decimal(0)
_TRADE: Final = "TRADE"
_FILLED: Final = OrderStatus.FILLED


class UnknownSymbol(ConfigError):
    """A fill for a symbol whose assets this session was not given."""


# ── wire shapes ──────────────────────────────────────────────────────────────────────────────


_UNREAD: Final = msgspec.Raw(b"null")


class _Event(msgspec.Struct, tag_field="e", gc=False):
    """A user-data event; the tag is Binance's `e`."""


class ExecutionReport(_Event, tag="executionReport", kw_only=True):
    """The fields tradeguard reads, in the wire's order. The `Raw` ones it does not read: they
    are declared only so that msgspec finds every key of a report where it expects the next
    field; an undeclared key costs a search through all the fields (and failing it, a skip),
    about a fifth of the decode. Raw accepts whatever Binance sends there, so a change in a
    field tradeguard does not read can never break the stream. Keys not listed here (new
    ones) are skipped."""

    event_ms: int = msgspec.field(name="E")
    symbol: str = msgspec.field(name="s")
    client_order_id: str = msgspec.field(name="c")
    side: Side = msgspec.field(name="S")
    order_type: msgspec.Raw = msgspec.field(name="o", default=_UNREAD)
    time_in_force: msgspec.Raw = msgspec.field(name="f", default=_UNREAD)
    orig_qty: str = msgspec.field(name="q", default="0")
    price: msgspec.Raw = msgspec.field(name="p", default=_UNREAD)
    stop_price: msgspec.Raw = msgspec.field(name="P", default=_UNREAD)
    iceberg_qty: msgspec.Raw = msgspec.field(name="F", default=_UNREAD)
    order_list_id: msgspec.Raw = msgspec.field(name="g", default=_UNREAD)
    orig_client_order_id: str | None = msgspec.field(name="C", default=None)
    exec_type: str = msgspec.field(name="x")
    status: OrderStatus = msgspec.field(name="X")
    reject_reason: str = msgspec.field(name="r", default="NONE")
    order_id: int = msgspec.field(name="i")
    last_qty: Decimal = msgspec.field(name="l")
    cum_qty: Decimal = msgspec.field(name="z")
    last_price: Decimal = msgspec.field(name="L")
    commission: Decimal = msgspec.field(name="n")
    commission_asset: str | None = msgspec.field(name="N", default=None)
    transaction_ms: int = msgspec.field(name="T")
    trade_id: int = msgspec.field(name="t")
    ignore_i: msgspec.Raw = msgspec.field(name="I", default=_UNREAD)
    on_book: msgspec.Raw = msgspec.field(name="w", default=_UNREAD)
    is_maker: bool = msgspec.field(name="m", default=False)
    ignore_m: msgspec.Raw = msgspec.field(name="M", default=_UNREAD)
    created_ms: msgspec.Raw = msgspec.field(name="O", default=_UNREAD)
    cum_quote: str = msgspec.field(name="Z", default="0")
    last_quote: Decimal | None = msgspec.field(name="Y", default=None)
    quote_order_qty: str | None = msgspec.field(name="Q", default=None)
    working_ms: msgspec.Raw = msgspec.field(name="W", default=_UNREAD)
    stp_mode: msgspec.Raw = msgspec.field(name="V", default=_UNREAD)
    expiry_reason: str | None = msgspec.field(name="eR", default=None)

    @property
    def order_client_id(self) -> str:
        """The order's own client id: `C` on a cancel's report (there `c` is the cancel's)."""
        return self.orig_client_order_id or self.client_order_id


class WireAssetBalance(msgspec.Struct, gc=False):
    asset: str = msgspec.field(name="a")
    free: Decimal = msgspec.field(name="f")
    locked: Decimal = msgspec.field(name="l")


class AccountPosition(_Event, tag="outboundAccountPosition"):
    event_ms: int = msgspec.field(name="E")
    balances: list[WireAssetBalance] = msgspec.field(name="B")
    updated_ms: int | None = msgspec.field(name="u", default=None)


class BalanceUpdate(_Event, tag="balanceUpdate"):
    event_ms: int = msgspec.field(name="E")
    asset: str = msgspec.field(name="a")
    delta: Decimal = msgspec.field(name="d")
    clear_ms: int | None = msgspec.field(name="T", default=None)


class StreamTerminated(_Event, tag="eventStreamTerminated"):
    event_ms: int | None = msgspec.field(name="E", default=None)


class ListenKeyExpired(_Event, tag="listenKeyExpired"):
    event_ms: int | None = msgspec.field(name="E", default=None)


class OtherEvent(msgspec.Struct, gc=False):
    """An event kind tradeguard does not read (listStatus, externalLockUpdate, ...)."""

    kind: str = msgspec.field(name="e", default="")
    event_ms: int | None = msgspec.field(name="E", default=None)


UserEvent = ExecutionReport | AccountPosition | BalanceUpdate | StreamTerminated | ListenKeyExpired


class WsErrorData(msgspec.Struct, gc=False):
    """What a 418 / 429 error reply adds: the exchange's time and when the ban or pause ends."""

    serverTime: int | None = None
    retryAfter: int | None = None  # ms since the epoch, exchange time


class WsError(msgspec.Struct, gc=False, omit_defaults=True):
    code: int
    msg: str = ""
    data: WsErrorData | None = None


class WsFrame(msgspec.Struct, gc=False):
    """One WebSocket API frame: a subscription's event, or the reply to a request."""

    subscriptionId: int | None = None
    event: UserEvent | None = None
    id: int | str | None = None
    status: int | None = None
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: WsError | None = None
    other: OtherEvent | None = msgspec.field(name="tradeguard.other", default=None)  # not wire

    @property
    def is_reply(self) -> bool:
        return self.status is not None


class _LooseFrame(msgspec.Struct, gc=False):
    subscriptionId: int | None = None
    event: msgspec.Raw = msgspec.Raw(b"null")
    id: int | str | None = None
    status: int | None = None
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: WsError | None = None


_frame_decoder: Final = msgspec.json.Decoder(WsFrame)
_decode_frame: Final = _frame_decoder.decode
_event_decoder: Final = msgspec.json.Decoder(UserEvent)
_loose_decoder: Final = msgspec.json.Decoder(_LooseFrame)
_other_decoder: Final = msgspec.json.Decoder(OtherEvent)


def _loose(data: bytes | str, exc: msgspec.DecodeError) -> WsFrame:
    """Decode again, keeping an unknown event kind as OtherEvent; ParseError if malformed."""
    try:
        loose = _loose_decoder.decode(data)
        event: UserEvent | None = None
        other: OtherEvent | None = None
        if bytes(loose.event) != b"null":
            kind = _other_decoder.decode(loose.event)
            if kind.kind in _KNOWN_KINDS:
                event = _event_decoder.decode(loose.event)  # malformed: not skipped silently
            else:
                other = kind
    except msgspec.DecodeError as again:
        raise ParseError("user stream", str(again)) from exc
    return WsFrame(
        loose.subscriptionId, event, loose.id, loose.status, loose.result, loose.error, other
    )


_KNOWN_KINDS: Final = frozenset(
    str(t.__struct_config__.tag)
    for t in (ExecutionReport, AccountPosition, BalanceUpdate, StreamTerminated, ListenKeyExpired)
)


def decode_frame(data: bytes | str) -> WsFrame:
    """A WebSocket API frame; ParseError if it is not one (or a known event is malformed)."""
    try:
        return _frame_decoder.decode(data)
    except msgspec.DecodeError as exc:
        return _loose(data, exc)


def decode_event(data: bytes | str) -> UserEvent | OtherEvent:
    """A bare user-data event (a legacy listenKey stream's frame)."""
    try:
        return _event_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        frame = _loose(b'{"event":' + raw + b"}", exc)
        found = frame.event if frame.event is not None else frame.other
        if found is None:
            raise ParseError("user stream", "not an event") from exc
        return found


def _positive(amount: str | None) -> bool:
    """A wire amount above zero ("0.00000000" and absent are not), without a Decimal."""
    return amount is not None and amount.strip("0.") != ""


# ── into tradeguard events ──────────────────────────────────────────────────────────────────


class UserEvents:
    """Converts decoded user-data events into journal events for one profile.

    `assets` maps each exchange symbol to its (base, quote) assets; a fill for a symbol not in
    it raises `UnknownSymbol` (an OrderUpdated needs no assets and is converted regardless).
    """

    __slots__ = ("assets", "profile")

    def __init__(self, assets: Assets, profile: str) -> None:
        self.assets = assets
        self.profile = profile

    def frame(self, data: bytes | str, at_ms: int) -> tuple[WsFrame, list[EventBase]]:
        """Decode one WebSocket API frame; its events (none for a reply or a control event)."""
        # The hot path: one decode, and a fill's conversion written out (no calls in between).
        try:
            frame = _decode_frame(data)
        except msgspec.DecodeError as exc:
            frame = _loose(data, exc)
        r = frame.event
        if type(r) is not ExecutionReport:
            return frame, ([] if r is None else self.convert(r, at_ms))
        if r.exec_type != _TRADE:
            return frame, [self.update(r, at_ms)]
        assets = self.assets.get(r.symbol)
        if assets is None:
            return frame, [self.fill(r, at_ms)]  # raises UnknownSymbol
        qty, price = r.last_qty, r.last_price
        quote = r.last_quote
        if quote is not None and quote == price * qty:
            quote = None
        fill = OrderFilled(
            at_ms=at_ms,
            profile=self.profile,
            exchange_ms=r.transaction_ms,
            client_order_id=r.orig_client_order_id or r.client_order_id,
            order_id=r.order_id,
            symbol=r.symbol,
            base_asset=assets[0],
            quote_asset=assets[1],
            side=r.side,
            trade_id=r.trade_id,
            price=price,
            qty=qty,
            commission=r.commission,
            commission_asset=r.commission_asset,
            is_maker=r.is_maker,
            cum_qty=r.cum_qty,
            quote_qty=quote,
        )
        if r.status is _FILLED and _positive(r.quote_order_qty):
            return frame, [fill, self.update(r, at_ms)]
        return frame, [fill]

    def events(self, data: bytes | str, at_ms: int) -> list[EventBase]:
        """Decode and convert one bare user-data event."""
        return self.convert(decode_event(data), at_ms)

    def convert(self, event: UserEvent | OtherEvent, at_ms: int) -> list[EventBase]:
        if type(event) is ExecutionReport:
            return self.execution(event, at_ms)
        if type(event) is AccountPosition:
            return [self.balances(event, at_ms)]
        if type(event) is BalanceUpdate:
            return [self.moved(event, at_ms)]
        return []

    def execution(self, r: ExecutionReport, at_ms: int) -> list[EventBase]:
        if r.exec_type == _TRADE:
            fill = self.fill(r, at_ms)
            if r.status is _FILLED and _positive(r.quote_order_qty):
                return [fill, self.update(r, at_ms)]
            return [fill]
        return [self.update(r, at_ms)]

    def fill(self, r: ExecutionReport, at_ms: int) -> OrderFilled:
        assets = self.assets.get(r.symbol)
        if assets is None:
            raise UnknownSymbol(
                f"fill of order {r.order_id} on {r.symbol}, a symbol this session was not given",
                hint="add the symbol to the profile's symbols",
            )
        qty, price = r.last_qty, r.last_price
        quote = r.last_quote
        if quote is not None and quote == price * qty:
            quote = None
        return OrderFilled(
            at_ms=at_ms,
            profile=self.profile,
            exchange_ms=r.transaction_ms,
            client_order_id=r.order_client_id,
            order_id=r.order_id,
            symbol=r.symbol,
            base_asset=assets[0],
            quote_asset=assets[1],
            side=r.side,
            trade_id=r.trade_id,
            price=price,
            qty=qty,
            commission=r.commission,
            commission_asset=r.commission_asset,
            is_maker=r.is_maker,
            cum_qty=r.cum_qty,
            quote_qty=quote,
        )

    def update(self, r: ExecutionReport, at_ms: int) -> OrderUpdated:
        reason = r.expiry_reason or (r.reject_reason if r.reject_reason != "NONE" else None)
        orig = Decimal(r.orig_qty) if r.orig_qty else ZERO
        return OrderUpdated(
            at_ms=at_ms,
            profile=self.profile,
            exchange_ms=r.transaction_ms,
            client_order_id=r.order_client_id,
            symbol=r.symbol,
            status=r.status,
            source="stream",
            order_id=r.order_id,
            executed_qty=r.cum_qty,
            quote_qty=Decimal(r.cum_quote),
            orig_qty=orig if orig > ZERO else None,
            reason=reason,
        )

    def balances(self, p: AccountPosition, at_ms: int) -> BalanceChanged:
        return BalanceChanged(
            at_ms=at_ms,
            profile=self.profile,
            exchange_ms=p.updated_ms if p.updated_ms is not None else p.event_ms,
            balances=tuple(Balance(b.asset, b.free, b.locked) for b in p.balances),
            source="stream",
        )

    def moved(self, u: BalanceUpdate, at_ms: int) -> BalanceMoved:
        return BalanceMoved(
            at_ms=at_ms,
            profile=self.profile,
            exchange_ms=u.clear_ms if u.clear_ms is not None else u.event_ms,
            asset=u.asset,
            delta=u.delta,
        )
