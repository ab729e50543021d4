"""A venue's refusal of a subscription is matched to the request it answers, by what the venue
echoes (OKX the request's `id`, Kraken v2 its `req_id`), never to whichever subscription has
waited longest: a book still waiting for its answer is not refused for another's refusal.

The connection is not opened (the stream is closed before it subscribes); what it would send is
read from its outbox and the venue's answers are fed to it as its socket would."""

from __future__ import annotations

import msgspec

from tradeguard.market.cache import MarketStats
from tradeguard.market.codec import Codec, Ids
from tradeguard.market.codec_kraken import KrakenCodec
from tradeguard.market.codec_okx import OkxCodec
from tradeguard.market.venue_stream import VenueStream


def _stream(codec: Codec) -> VenueStream:
    stream = VenueStream("ws://127.0.0.1:9/unused", codec, stats=MarketStats())
    stream.closed = True  # no connection: the test is the socket
    return stream


def _heard(stream: VenueStream, frame: dict[str, object]) -> None:
    for item in stream.codec.decode(msgspec.json.encode(frame)):
        stream._answered(item)  # type: ignore[arg-type]


def test_an_okx_refusal_is_matched_by_the_id_it_echoes() -> None:
    stream = _stream(OkxCodec(Ids({"BTCUSDT": "BTC-USDT", "ETHUSDT": "ETH-USDT"})))
    book, trades = "books:BTC-USDT", "trades:ETH-USDT"
    stream.subscribe(book, lambda _: None)
    stream.subscribe(trades, lambda _: None)
    sent = [msgspec.json.decode(f) for f in stream._outbox]
    assert [s["args"][0]["channel"] for s in sent] == ["books", "trades"]
    ids = [s["id"] for s in sent]
    assert len(set(ids)) == 2 and all(i.isalnum() and len(i) <= 32 for i in ids)  # OKX's rule
    # the trades' refusal comes first (the book's answer is still on its way)
    _heard(stream, {"id": ids[1], "event": "error", "code": "60018",
                    "msg": "Wrong URL or channel:trades doesn't exist.", "connId": "a1"})  # fmt: skip
    assert list(stream.refused) == [trades] and "60018" in stream.refused[trades]
    assert book in stream.names  # still subscribed, waiting for its own answer
    _heard(stream, {"id": ids[0], "event": "subscribe",
                    "arg": {"channel": "books", "instId": "BTC-USDT"}, "connId": "a1"})  # fmt: skip
    assert stream._confirmed[book].is_set() and book not in stream.refused


def test_an_okx_unsubscribe_refused_refuses_no_subscription() -> None:
    stream = _stream(OkxCodec(Ids({"BTCUSDT": "BTC-USDT"})))
    book = "books:BTC-USDT"
    stream.subscribe(book, lambda _: None)
    stream._outbox.clear()
    stream.up.set()
    stream.resubscribe(book)  # a gap: unsubscribe, subscribe again
    unsubscribe, _ = (msgspec.json.decode(f) for f in stream._outbox)
    assert unsubscribe["op"] == "unsubscribe"
    _heard(stream, {"id": unsubscribe["id"], "event": "error", "code": "60012",
                    "msg": "Invalid request", "connId": "a1"})  # fmt: skip
    assert not stream.refused and book in stream.names


def test_a_kraken_refusal_is_matched_by_the_req_id_it_echoes() -> None:
    stream = _stream(KrakenCodec(Ids({"BTCUSDT": "BTC/USDT", "ETHUSDT": "ETH/USDT"}), {}))
    book, trades = "book:BTC/USDT", "trade:ETH/USDT"
    stream.subscribe(book, lambda _: None)
    stream.subscribe(trades, lambda _: None)
    sent = [msgspec.json.decode(f) for f in stream._outbox]
    ids = [s["req_id"] for s in sent]
    assert len(set(ids)) == 2 and all(isinstance(i, int) for i in ids)
    _heard(stream, {"method": "subscribe", "success": False, "req_id": ids[1],
                    "error": "Currency pair not supported ETH/USDT", "symbol": "ETH/USDT"})  # fmt: skip
    assert list(stream.refused) == [trades] and "not supported" in stream.refused[trades]
    assert book in stream.names
    _heard(stream, {"method": "subscribe", "success": True, "req_id": ids[0],
                    "result": {"channel": "book", "symbol": "BTC/USDT", "depth": 25}})  # fmt: skip
    assert stream._confirmed[book].is_set() and book not in stream.refused
