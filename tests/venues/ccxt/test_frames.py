"""The private stream's decoders (venues/ccxt/frames/), fed frames in each venue's documented
shape: fills with their trade ids and fees, order states that are not fills, replies, pongs,
and what is not ours or not readable. Pure: no socket, no simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.events import BalanceChanged, OrderFilled, OrderUpdated
from tradeguard.model import Balance, OrderStatus, Side
from tradeguard.venues.ccxt.frames import bybit, kraken, okx
from tradeguard.venues.ccxt.frames.account import Account, Unreadable
from tradeguard.venues.ccxt.ids import IdMap

ASSETS = {"BTCUSDT": ("BTC", "USDT")}
AT = 1_700_000_001_000


def _account(*names: str, known: dict[int, str] | None = None, numeric: bool = True) -> Account:
    return Account(
        "p", ASSETS, dict.fromkeys(names, "BTCUSDT"), IdMap(numeric=numeric),
        (known or {}).get,
    )  # fmt: skip


# ── Bybit ────────────────────────────────────────────────────────────────────────────────────
def _bybit() -> bybit.Decoder:
    return bybit.Decoder(_account("BTCUSDT", known={1002: "tg-known-1"}))


def test_a_bybit_execution_is_a_fill_with_its_trade_id_fee_and_time() -> None:
    frame = (
        b'{"id":"x1","topic":"execution","creationTime":1700000000999,"data":[{"category":'
        b'"spot","symbol":"BTCUSDT","orderId":"1001","orderLinkId":"tg-a-1","side":"Sell",'
        b'"execId":"2100000000055","execPrice":"60000.5","execQty":"0.0015","execType":"Trade",'
        b'"execFee":"0.090000750","feeCurrency":"USDT","isMaker":true,'
        b'"execTime":"1700000000998","seq":4688002127}]}'
    )
    heard = _bybit().frame(frame, AT)
    [fill] = heard.events
    assert heard.data and isinstance(fill, OrderFilled)
    assert (fill.client_order_id, fill.order_id, fill.trade_id) == ("tg-a-1", 1001, 2100000000055)
    assert (fill.side, fill.price, fill.qty) == (Side.SELL, Decimal("60000.5"), Decimal("0.0015"))
    assert (fill.commission, fill.commission_asset) == (Decimal("0.090000750"), "USDT")
    assert fill.is_maker and fill.exchange_ms == 1700000000998 and fill.at_ms == AT


def test_a_bybit_fill_without_a_fee_currency_is_charged_in_what_the_order_receives() -> None:
    row = (
        b'{"topic":"execution","data":[{"symbol":"BTCUSDT","orderId":"1002","orderLinkId":"",'
        b'"side":"Buy","execId":"7","execPrice":"1","execQty":"2","execType":"Trade",'
        b'"execFee":"0.002","isMaker":false,"execTime":"1"}]}'
    )
    [fill] = _bybit().frame(row, AT).events
    assert isinstance(fill, OrderFilled)
    assert fill.commission_asset == "BTC" and fill.client_order_id == "tg-known-1"


def test_bybit_executions_that_are_no_spot_trade_or_not_followed_are_skipped() -> None:
    frame = (
        b'{"topic":"execution","data":[{"symbol":"BTCUSDT","orderId":"1","side":"Buy",'
        b'"execId":"8","execPrice":"1","execQty":"1","execType":"Funding"},{"symbol":'
        b'"ETHUSDT","orderId":"2","side":"Buy","execId":"9","execPrice":"1","execQty":"1"}]}'
    )
    heard = _bybit().frame(frame, AT)
    assert heard.data and heard.events == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("New", OrderStatus.NEW),
        ("Untriggered", OrderStatus.NEW),
        ("Cancelled", OrderStatus.CANCELED),
        ("PartiallyFilledCanceled", OrderStatus.CANCELED),
        ("Rejected", OrderStatus.REJECTED),
        ("PartiallyFilled", None),
        ("Filled", None),
    ],
)
def test_bybit_order_states_that_are_not_fills_are_updates(
    status: str, expected: OrderStatus | None
) -> None:
    frame = (
        '{"topic":"order","creationTime":5,"data":[{"symbol":"BTCUSDT","orderId":"1001",'
        f'"orderLinkId":"tg-a-1","orderStatus":"{status}","cumExecQty":"0.001",'
        '"cumExecValue":"60.0005","updatedTime":"1700000000500","avgPrice":""}]}'
    )
    events = _bybit().frame(frame.encode(), AT).events
    if expected is None:
        assert events == []
        return
    [update] = events
    assert isinstance(update, OrderUpdated) and update.status is expected
    assert (update.executed_qty, update.quote_qty) == (Decimal("0.001"), Decimal("60.0005"))
    assert update.exchange_ms == 1700000000500 and update.source == "stream"


def test_bybit_replies_and_pongs_are_told_apart_from_pushes() -> None:
    decoder = _bybit()
    refused = decoder.frame(
        b'{"success":false,"ret_msg":"error:USVC1111","op":"auth","conn_id":"c"}', AT
    ).reply
    assert refused is not None and (refused.op, refused.ok) == ("auth", False)
    assert refused.text == "error:USVC1111"
    pong = decoder.frame(b'{"op":"pong","args":["1700000000000"],"conn_id":"c"}', AT).reply
    old_pong = decoder.frame(b'{"success":true,"ret_msg":"pong","op":"ping"}', AT).reply
    assert pong is not None and old_pong is not None and pong.op == old_pong.op == "pong"


def test_a_bybit_push_of_ours_that_does_not_read_is_unreadable() -> None:
    with pytest.raises(Unreadable):  # no execId: it may have been a fill
        _bybit().frame(b'{"topic":"execution","data":[{"symbol":"BTCUSDT"}]}', AT)


# ── OKX ──────────────────────────────────────────────────────────────────────────────────────
def _okx() -> okx.Decoder:
    return okx.Decoder(_account("BTC-USDT"))


def _okx_orders(**row: str) -> bytes:
    base = {
        "instType": "SPOT", "instId": "BTC-USDT", "ordId": "680800019749904384",
        "clOrdId": "tgZaZ1", "side": "buy", "state": "partially_filled", "accFillSz": "0.003",
        "avgPx": "60000", "tradeId": "", "fillPx": "", "fillSz": "0", "fillFee": "0",
        "fillFeeCcy": "", "execType": "", "fillTime": "", "uTime": "1700000000700",
    }  # fmt: skip
    import msgspec

    arg = {"channel": "orders", "instType": "SPOT", "uid": "77"}
    return msgspec.json.encode({"arg": arg, "data": [base | row]})


def test_an_okx_orders_row_carrying_a_trade_is_a_fill_with_a_positive_commission() -> None:
    frame = _okx_orders(
        tradeId="242589207", fillPx="60000.1", fillSz="0.001", fillFee="-0.000001",
        fillFeeCcy="BTC", execType="T", fillTime="1700000000650",
    )  # fmt: skip
    [fill] = _okx().frame(frame, AT).events
    assert isinstance(fill, OrderFilled)
    assert (fill.client_order_id, fill.order_id) == ("tg-a-1", 680800019749904384)
    assert (fill.trade_id, fill.price, fill.qty) == (
        242589207,
        Decimal("60000.1"),
        Decimal("0.001"),
    )
    assert (fill.commission, fill.commission_asset) == (Decimal("0.000001"), "BTC")
    assert not fill.is_maker and fill.cum_qty == Decimal("0.003")
    assert fill.exchange_ms == 1700000000650


@pytest.mark.parametrize(
    ("state", "expected"),
    [("live", OrderStatus.NEW), ("canceled", OrderStatus.CANCELED), ("filled", None)],
)
def test_okx_rows_without_a_trade_are_updates_unless_a_fill_says_them(
    state: str, expected: OrderStatus | None
) -> None:
    events = _okx().frame(_okx_orders(state=state), AT).events
    if expected is None:
        assert events == []
        return
    [update] = events
    assert isinstance(update, OrderUpdated) and update.status is expected
    assert update.executed_qty == Decimal("0.003") and update.quote_qty == Decimal("180.000")
    assert update.exchange_ms == 1700000000700


def test_okx_account_rows_are_balances_at_their_latest_update() -> None:
    frame = (
        b'{"arg":{"channel":"account","uid":"77"},"data":[{"uTime":"1700000000100","details":'
        b'[{"ccy":"USDT","availBal":"","cashBal":"100.5","frozenBal":"40.25","uTime":'
        b'"1700000000200"},{"ccy":"BTC","availBal":"0.5","cashBal":"0.5","frozenBal":"0"}]}]}'
    )
    [report] = _okx().frame(frame, AT).events
    assert isinstance(report, BalanceChanged) and report.exchange_ms == 1700000000200
    assert [(b.asset, b.free, b.locked) for b in report.balances] == [
        ("USDT", Decimal("60.25"), Decimal("40.25")),
        ("BTC", Decimal("0.5"), Decimal("0")),
    ]


def test_okx_replies_pongs_and_a_spaced_push_are_read() -> None:
    decoder = _okx()
    assert decoder.frame(b"pong", AT).reply is not None
    refused = decoder.frame(b'{"event":"error","code":"60009","msg":"Login failed."}', AT).reply
    assert refused is not None and (refused.ok, refused.code) == (False, "60009")
    ack = decoder.frame(b'{"event":"subscribe","arg":{"channel":"account"},"connId":"c"}', AT)
    assert ack.reply is not None and ack.reply.ok and ack.reply.channel == "account"
    spaced = _okx_orders(state="canceled").replace(b'"channel":"orders"', b'"channel": "orders"')
    [update] = decoder.frame(spaced, AT).events
    assert isinstance(update, OrderUpdated) and update.status is OrderStatus.CANCELED


# ── Kraken ───────────────────────────────────────────────────────────────────────────────────
def _kraken() -> kraken.Decoder:
    return kraken.Decoder(_account("BTC/USDT", numeric=False))


def _items(*items: str) -> bytes:
    data = ",".join(items)
    return f'{{"channel":"executions","type":"update","data":[{data}],"sequence":3}}'.encode()


def test_a_kraken_trade_is_a_fill_in_exact_decimals_with_its_cl_ord_id() -> None:
    trade = (
        '{"order_id":"OK4GJX-KSTLS-7DZZO5","exec_id":"TSIM01-AAAAA-BBBBBB","exec_type":"trade",'
        '"trade_id":93748276,"cl_ord_id":"tg-k-1","order_userref":0,"symbol":"BTC/USDT",'
        '"side":"buy","last_qty":0.00100000,"last_price":60000.1,"liquidity_ind":"m",'
        '"cost":60.0001,"order_status":"filled","order_type":"limit","cum_qty":0.001,'
        '"timestamp":"2023-11-14T22:13:20.250000Z","fees":[{"asset":"USDT","qty":0.0600001}]}'
    )
    [fill] = _kraken().frame(_items(trade), AT).events
    assert isinstance(fill, OrderFilled)
    assert fill.client_order_id == "tg-k-1"  # ccxt.pro read order_userref ("0") instead
    assert fill.trade_id == 93748276 and fill.order_id == IdMap().to_int("OK4GJX-KSTLS-7DZZO5")
    assert (fill.price, fill.qty) == (Decimal("60000.1"), Decimal("0.00100000"))
    assert (fill.commission, fill.commission_asset) == (Decimal("0.0600001"), "USDT")
    assert fill.is_maker and fill.exchange_ms == 1700000000250


def test_a_kraken_cancel_that_omits_symbol_and_client_id_is_read_from_the_order_before() -> None:
    decoder = _kraken()
    new = (
        '{"order_id":"OAAAAA-BBBBB-CCCCCC","exec_type":"new","order_status":"new",'
        '"cl_ord_id":"tg-k-2","symbol":"BTC/USDT","side":"sell","order_qty":0.002,'
        '"cum_qty":0,"cum_cost":0,"timestamp":"2023-11-14T22:13:20Z"}'
    )
    pending = '{"order_id":"OAAAAA-BBBBB-CCCCCC","exec_type":"pending_new","symbol":"BTC/USDT"}'
    canceled = (
        '{"order_id":"OAAAAA-BBBBB-CCCCCC","exec_type":"canceled","order_status":"canceled",'
        '"cum_qty":0,"cum_cost":0,"timestamp":"2023-11-14T22:13:21Z"}'
    )
    events = decoder.frame(_items(pending), AT).events + decoder.frame(_items(new), AT).events
    events += decoder.frame(_items(canceled), AT).events
    assert [(type(e), e.status, e.client_order_id, e.symbol) for e in events] == [  # type: ignore[attr-defined]
        (OrderUpdated, OrderStatus.NEW, "tg-k-2", "BTCUSDT"),
        (OrderUpdated, OrderStatus.CANCELED, "tg-k-2", "BTCUSDT"),
    ]


def test_kraken_filled_heartbeats_and_replies_carry_no_event() -> None:
    decoder = _kraken()
    filled = '{"order_id":"O1","exec_type":"filled","order_status":"filled","symbol":"BTC/USDT"}'
    assert decoder.frame(_items(filled), AT).events == []
    beat = decoder.frame(b'{"channel":"heartbeat"}', AT)
    assert beat.events == [] and not beat.data
    refused = decoder.frame(
        b'{"error":"EAccount:Invalid permissions","method":"subscribe","success":false,'
        b'"req_id":1,"time_in":"2023-11-14T22:13:20Z","time_out":"2023-11-14T22:13:20Z"}',
        AT,
    ).reply
    assert refused is not None and not refused.ok and "Invalid permissions" in refused.text
    pong = decoder.frame(b'{"method":"pong","req_id":2,"time_in":"x","time_out":"y"}', AT)
    assert pong.reply is not None and pong.reply.op == "pong"


def _open(order_id: str, side: str, qty: str, price: str, cum: str = "0") -> str:
    return (
        f'{{"order_id":"{order_id}","exec_type":"new","order_status":"new","symbol":"BTC/USDT",'
        f'"side":"{side}","order_type":"limit","order_qty":{qty},"limit_price":{price},'
        f'"cum_qty":{cum},"cum_cost":0,"timestamp":"2023-11-14T22:13:20Z"}}'
    )


def _kraken_balances(kind: str, *items: str) -> bytes:
    data = ",".join(items)
    return f'{{"channel":"balances","type":"{kind}","data":[{data}],"sequence":2}}'.encode()


def test_kraken_balances_are_totals_with_what_the_open_orders_hold() -> None:
    decoder = _kraken()
    snapshot = _items(
        _open("O1", "buy", "0.002", "50000"), _open("O2", "sell", "0.5", "70000", "0.1")
    )
    assert decoder.frame(snapshot.replace(b'"update"', b'"snapshot"'), AT).events == []
    heard = decoder.frame(
        _kraken_balances(
            "snapshot",
            '{"asset":"USDT","asset_class":"currency","balance":1100,"wallets":['
            '{"type":"spot","id":"main","balance":1000},{"type":"earn","id":"flex","balance":100}]}',
            '{"asset":"BTC","asset_class":"currency","balance":1.5,"wallets":[]}',
        ),
        AT,
    )
    [report] = heard.events
    assert heard.data and isinstance(report, BalanceChanged) and report.exchange_ms is None
    assert {b.asset: (b.free, b.locked) for b in report.balances} == {
        "USDT": (Decimal(900), Decimal(100)),  # 0.002 at 50000 held by the buy
        "BTC": (Decimal("1.1"), Decimal("0.4")),  # the sell's 0.4 left
    }
    decoder.frame(_items(_open("O1", "buy", "0.002", "50000").replace('"new"', '"canceled"')), AT)
    [report] = decoder.frame(
        _kraken_balances(
            "update",
            '{"ledger_id":"L1","ref_id":"T1","timestamp":"2023-11-14T22:13:21Z","type":"trade",'
            '"asset":"USDT","asset_class":"currency","category":"trade","wallet_type":"spot",'
            '"wallet_id":"main","amount":-0.5,"fee":0.0,"balance":999.5}',
            '{"ledger_id":"L2","ref_id":"T2","timestamp":"2023-11-14T22:13:21Z","type":"transfer",'
            '"asset":"BTC","asset_class":"currency","category":"transfer","wallet_type":"earn",'
            '"wallet_id":"flex","amount":1,"fee":0.0,"balance":3}',
        ),
        AT,
    ).events
    assert isinstance(report, BalanceChanged) and report.exchange_ms == 1700000001000
    assert report.balances == (Balance("USDT", Decimal("999.5"), Decimal(0)),)  # buy cancelled
    decoder.frame(_items().replace(b'"update"', b'"snapshot"'), AT)  # reconnected: none open
    [report] = decoder.frame(
        _kraken_balances("snapshot", '{"asset":"BTC","asset_class":"currency","balance":1.5}'), AT
    ).events
    assert isinstance(report, BalanceChanged)
    assert report.balances == (Balance("BTC", Decimal("1.5"), Decimal(0)),)
