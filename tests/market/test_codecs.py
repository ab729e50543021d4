"""Each venue's public-stream codec against frames as its simulator dialect (and its docs) write
them: book messages into neutral BookFrames, trades, tickers and candles into the session's
values (amounts exact), subscription answers into Acks, whatever else into nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tradeguard.errors import ConfigError
from tradeguard.market.codec import ALIVE, Ack, Ids
from tradeguard.market.codec_bybit import BybitCodec
from tradeguard.market.codec_kraken import KrakenCodec
from tradeguard.market.codec_okx import OkxCodec
from tradeguard.market.sync import BookFrame
from tradeguard.market.values import Candle, Ticker, Trade

D = Decimal


def test_bybit() -> None:
    codec = BybitCodec(Ids({"BTCUSDT": "BTCUSDT"}))
    assert codec.topic("book", "BTCUSDT") == "orderbook.50.BTCUSDT"
    assert codec.topic("kline", "BTCUSDT", "1h") == "kline.60.BTCUSDT"
    assert codec.topic("kline", "BTCUSDT", "1s") is None
    [(name, frame)] = codec.decode(
        b'{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":5,"data":{"s":"BTCUSDT","u":7,'
        b'"seq":99,"b":[["60000.1","0.5"]],"a":[]}}'
    )
    assert name == "orderbook.50.BTCUSDT"
    assert frame == BookFrame(snapshot=False, bids=[("60000.1", "0.5")], asks=[], update_id=7,
                              at_ms=5)  # fmt: skip
    [(_, trade)] = codec.decode(
        b'{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":5,"data":[{"T":4,"s":"BTCUSDT",'
        b'"S":"Sell","v":"0.001","p":"60000","i":"17","BT":false}]}'
    )
    assert trade == Trade(trade_id=17, price=D(60000), qty=D("0.001"), at_ms=4,
                          buyer_is_maker=True)  # fmt: skip
    assert codec.decode(b'{"success":true,"ret_msg":"subscribe","op":"subscribe",'
                        b'"req_id":"subscribe:tickers.BTCUSDT"}') == [
        Ack(True, "tickers.BTCUSDT", "subscribe")
    ]  # fmt: skip
    [refused] = codec.decode(b'{"success":false,"ret_msg":"error:handler not found","op":'
                             b'"subscribe","req_id":"subscribe:x"}')  # fmt: skip
    assert isinstance(refused, Ack) and not refused.ok and refused.name == "x"
    # a pong is all Bybit sends on a quiet book: the stream is alive (no data)
    assert codec.decode(b'{"success":true,"ret_msg":"pong","op":"ping"}') == [ALIVE]
    with pytest.raises(ConfigError):
        codec.topic("book", "NOPEUSDT")


def test_okx() -> None:
    codec = OkxCodec(Ids({"BTCUSDT": "BTC-USDT"}))
    assert codec.topic("kline", "BTCUSDT", "1m") == "candle1m:BTC-USDT"
    assert codec.topic("kline", "BTCUSDT", "1d") == "candle1Dutc:BTC-USDT"  # not Hong Kong's
    assert codec.topic("kline", "BTCUSDT", "8h") is None  # OKX has no 8-hour bar
    assert "no 8h candles" in codec.unserved("kline", "8h")
    [(topic, candle)] = codec.decode(
        b'{"arg":{"channel":"candle1H","instId":"BTC-USDT"},"data":[["3600000","1","3","0.5",'
        b'"2","10","20","20","1"]]}'
    )
    assert topic == "candle1H:BTC-USDT" and candle.closed
    assert (candle.open_ms, candle.close_ms, candle.low, candle.volume, candle.quote_volume) == (
        3_600_000,
        7_199_999,
        Decimal("0.5"),
        Decimal(10),
        Decimal(20),
    )
    [(name, frame)] = codec.decode(
        b'{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":'
        b'[["60001","1","0","1"]],"bids":[],"ts":"9","checksum":-5,"prevSeqId":3,"seqId":4}]}'
    )
    assert name == "books:BTC-USDT"
    assert frame == BookFrame(snapshot=False, bids=[], asks=[("60001", "1")], update_id=4,
                              prev_id=3, checksum=-5, at_ms=9)  # fmt: skip
    [(_, ticker)] = codec.decode(
        b'{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",'
        b'"last":"60000.5","bidPx":"60000","askPx":"60001","ts":"3"}]}'
    )
    assert isinstance(ticker, Ticker) and ticker.symbol == "BTCUSDT"
    assert (ticker.last, ticker.bid, ticker.ask) == (D("60000.5"), D(60000), D(60001))
    assert codec.decode(b'{"event":"error","code":"60018","msg":"Wrong URL"}') == [
        Ack(False, None, "60018 Wrong URL")
    ]
    assert codec.decode("pong") == [ALIVE]  # all OKX sends on a quiet book or candle


def test_kraken() -> None:
    codec = KrakenCodec(Ids({"BTCUSDT": "BTC/USDT"}), {"BTCUSDT": (1, 8)})
    assert codec.topic("kline", "BTCUSDT", "4h") == "ohlc:BTC/USDT:240"
    [(name, frame)] = codec.decode(
        b'{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USDT","bids":[{"price":'
        b'60000.10,"qty":0.00000001}],"asks":[],"checksum":7}]}'
    )
    assert name == "book:BTC/USDT"
    assert frame.bids == [("60000.10", "0.00000001")] and frame.snapshot  # exact, no exponent
    [(name, candle)] = codec.decode(
        b'{"channel":"ohlc","type":"update","data":[{"symbol":"BTC/USDT","open":1,"high":2,'
        b'"low":0.5,"close":1.5,"trades":3,"volume":4,"vwap":1.25,'
        b'"interval_begin":"2026-01-01T00:00:00.000000Z","interval":1}]}'
    )
    assert name == "ohlc:BTC/USDT:1" and isinstance(candle, Candle)
    assert candle.close_ms - candle.open_ms == 59_999 and candle.quote_volume == D(5)
    assert codec.decode(b'{"method":"subscribe","success":true,"result":{"channel":"ohlc",'
                        b'"symbol":"BTC/USDT","interval":1}}') == [
        Ack(True, "ohlc:BTC/USDT:1")
    ]  # fmt: skip
    assert codec.decode(b'{"method":"subscribe","success":false,"error":"Currency pair not '
                        b'supported"}') == [Ack(False, None, "Currency pair not supported")]  # fmt: skip
    assert codec.decode(b'{"method":"pong","req_id":2}') == []
    assert codec.decode(b'{"channel":"heartbeat"}') == [ALIVE]  # a quiet subscription


@pytest.mark.parametrize(
    "codec",
    [
        BybitCodec(Ids({"BTCUSDT": "BTCUSDT"})),
        OkxCodec(Ids({"BTCUSDT": "BTC-USDT"})),
        KrakenCodec(Ids({"BTCUSDT": "BTC/USDT"}), {"BTCUSDT": (1, 8)}),
    ],
    ids=lambda codec: str(codec.venue),
)
def test_what_a_venue_does_not_stream_is_named_as_asked(codec: Any) -> None:
    assert codec.unserved("funding") == f"{codec.venue} streams no funding"
    assert "no ticker" in codec.unserved("ticker")
    assert "no public trades" in codec.unserved("trade")
    assert "no order book" in codec.unserved("book")
    candles = codec.unserved("kline", "8h")
    assert candles.startswith(f"{codec.venue} streams no 8h ") and "(it has " in candles
    assert "klines" not in codec.unserved("ticker")


def test_binance_stream_names_what_it_does_not_stream() -> None:
    from tradeguard.market.cache import MarketStats
    from tradeguard.market.stream import MarketStream

    stream = MarketStream("ws://127.0.0.1:9/stream", stats=MarketStats())
    assert stream.unserved("funding") == "binance streams no funding"
    assert stream.unserved("kline", "2d") == "binance streams no 2d klines"
