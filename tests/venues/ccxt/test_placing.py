"""Plain orders on Bybit, OKX and Kraken go out as the venue's own request
(venues/ccxt/placing.py), the one ccxt's create_order would send for them, without
create_order's per-order work; every other order (stops, icebergs, orders by quote amount,
Kraken's FOK, which it lacks) still through create_order. Kraken's cancel names the order by
its cl_ord_id, with no lookup of its txid first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("ccxt")

from tradeguard.errors import OrderRejected
from tradeguard.model import OrderIntent, OrderStatus, OrderType, Side, Symbol, TimeInForce
from tradeguard.session.guard import Session

SYMBOL = "BTCUSDT"
# the venues whose plain orders are signed here and whose ticker is read without fetch_ticker
# (Kraken's AddOrder is built here but signed by ccxt, for its nonce order; its ticker is ccxt's)
SIGNED_HERE = ["bybit", "okx"]
on_venues_signing_here = pytest.mark.parametrize("running", SIGNED_HERE, indirect=True)
on_kraken = pytest.mark.parametrize("running", ["kraken"], indirect=True)
PLAIN = [
    ("market buy", dict(side=Side.BUY, type=OrderType.MARKET, qty=Decimal("0.0010"))),
    ("market sell", dict(side=Side.SELL, type=OrderType.MARKET, qty=Decimal("0.25"))),
    ("limit", dict(side=Side.BUY, type=OrderType.LIMIT, qty=Decimal("0.001"), price=Decimal(50000))),
    ("post-only", dict(side=Side.SELL, type=OrderType.LIMIT_MAKER, qty=Decimal("1E-3"),
                       price=Decimal("61000.50"))),
    ("ioc", dict(side=Side.BUY, type=OrderType.LIMIT, qty=Decimal("0.002"), price=Decimal(50000),
                 time_in_force=TimeInForce.IOC)),
    ("fok", dict(side=Side.SELL, type=OrderType.LIMIT, qty=Decimal("0.002"), price=Decimal(50000),
                 time_in_force=TimeInForce.FOK)),
]  # fmt: skip


def _intent(**fields: Any) -> OrderIntent:
    return OrderIntent(client_order_id="tg-abc-1", symbol=Symbol("BTC", "USDT"), **fields)


# Kraken spot has no FOK: its refusal, before anything is built, is the test after this one
PLAIN_CASES = [
    pytest.param(venue, fields, id=f"{venue}-{name}")
    for venue in ("bybit", "okx", "kraken")
    for name, fields in PLAIN
    if not (venue == "kraken" and fields.get("time_in_force") is TimeInForce.FOK)
]


@pytest.mark.parametrize(("running", "fields"), PLAIN_CASES, indirect=["running"])
async def test_a_plain_order_is_the_request_ccxt_would_send(venue: Any, fields: Any) -> None:
    market_id = (await venue.symbols()).market_ids[SYMBOL]  # OKX's BTC-USDT, Kraken's XBTUSDT
    intent = _intent(**fields)
    plain = venue.adapter.plain_order(intent, market_id)
    assert plain is not None
    _, ours = plain
    ex = venue.exchange
    market = intent.type is OrderType.MARKET
    args = (
        "BTC/USDT",
        venue.adapter.order_type(intent),
        "sell" if intent.side is Side.SELL else "buy",
        str(intent.qty),
        None if market else str(intent.price),
        venue.adapter.order_params(intent),
    )
    if venue.name == "kraken":
        # what kraken.create_order hands privatePostAddOrder (it has no create_order_request)
        symbol, kind, side, amount, price, params = args
        start = {"pair": ex.market(symbol)["id"], "type": side, "ordertype": kind,
                 "volume": ex.amount_to_precision(symbol, amount)}  # fmt: skip
        request, rest = ex.order_request("createOrder", symbol, kind, start, amount, price, params)
        ccxts = ex.extend(request, rest)
        assert list(ours) == list(ccxts)  # a form body: the order of the fields is the wire's
    else:
        ccxts = ex.create_order_request(*args)
    assert ours == ([ccxts] if venue.name == "okx" else ccxts)


@on_kraken
async def test_kraken_refuses_a_fok_before_building_a_request(venue: Any) -> None:
    fok = _intent(**PLAIN[-1][1])
    assert venue.adapter.plain_order(fok, "XBTUSDT") is None  # create_order's refusal


@pytest.mark.parametrize(
    "fields",
    [
        dict(side=Side.SELL, type=OrderType.STOP_LOSS, qty=Decimal(1), stop_price=Decimal(1)),
        dict(side=Side.BUY, type=OrderType.MARKET, quote_qty=Decimal(10)),
        dict(side=Side.BUY, type=OrderType.LIMIT, qty=Decimal(1), price=Decimal(1),
             iceberg_qty=Decimal("0.1")),
    ],
    ids=["stop", "by quote amount", "iceberg"],
)  # fmt: skip
async def test_other_orders_are_left_to_create_order(venue: Any, fields: Any) -> None:
    assert venue.adapter.plain_order(_intent(**fields), SYMBOL) is None


async def test_a_plain_order_never_calls_create_order_and_is_placed(tg: Session) -> None:
    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("create_order called for a plain order")

    tg.transport.exchange.create_order = refused  # type: ignore[attr-defined]
    market = await tg.market_buy("BTC/USDT", qty="0.001")
    last = await tg.last_price(SYMBOL)
    assert last is not None
    resting = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=(last * Decimal("0.99")).quantize(1)
    )
    assert (await tg.wait_for(market.client_order_id, timeout_s=20)).status is OrderStatus.FILLED
    held = await tg.transport.get_order(SYMBOL, client_order_id=resting.client_order_id)
    assert (held.order_id, held.status) == (resting.order_id, OrderStatus.NEW)


@on_venues_signing_here
async def test_a_plain_order_is_signed_as_ccxt_signs_it(venue: Any) -> None:
    await venue.symbols()
    intent = _intent(**PLAIN[2][1])
    _, request = venue.adapter.plain_order(intent, "BTC-USDT" if venue.name == "okx" else SYMBOL)
    ex = venue.exchange
    ex.nonce = lambda: 1_700_000_000_123  # one timestamp for both
    url, headers, body = venue.adapter.signed(ex, request)
    path = {"okx": "trade/batch-orders", "bybit": "v5/order/create"}[venue.name]
    theirs = ex.sign(path, ["private"], "POST", request)
    assert (url, body) == (theirs["url"], theirs["body"])
    assert headers.items() <= theirs["headers"].items()
    assert {k.lower() for k in headers} >= {"content-type"}


@on_venues_signing_here
async def test_the_last_price_is_the_venues_ticker_read_without_fetch_ticker(venue: Any) -> None:
    expected = Decimal(str((await venue.exchange.fetch_ticker("BTC/USDT"))["last"]))

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("fetch_ticker called")

    venue.exchange.fetch_ticker = refused
    notes: list[Any] = []
    venue.on_reply = notes.append
    assert await venue.last_price(SYMBOL) == expected
    assert [(n.method, n.status) for n in notes] == [("GET", 200)]


@pytest.mark.parametrize("tg", ["kraken"], indirect=True)
async def test_kraken_cancels_by_the_client_order_id_with_no_lookup_first(tg: Session) -> None:
    last = await tg.last_price(SYMBOL)
    assert last is not None
    resting = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=(last * Decimal("0.99")).quantize(1)
    )
    paths: list[str] = []
    told = tg.transport.on_reply  # type: ignore[attr-defined]

    def noted(note: Any) -> None:
        paths.append(note.path)
        told(note)

    tg.transport.on_reply = noted  # type: ignore[attr-defined]
    done = await tg.cancel(resting.client_order_id)
    assert done.status is OrderStatus.CANCELED
    assert paths[0] == "/0/private/CancelOrder"  # the txid was not looked up first
    assert paths.count("/0/private/CancelOrder") == 1
    with pytest.raises(OrderRejected) as gone:  # no longer open: the seam's -2011
        await tg.transport.cancel_order(SYMBOL, client_order_id=resting.client_order_id)
    assert gone.value.code == -2011
