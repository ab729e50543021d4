"""Kline history for one symbol, built from reference-price samples and trades.

What is kept (bounded, whatever the run length): the last 1000 one-second buckets and the last
1000 one-minute buckets (about 16.7 hours). An interval that is a whole number of minutes is
aggregated from the minute buckets; any other interval (1s, or odd test intervals) from the
second buckets. Buckets with no sample are skipped, as Binance skips intervals with no data.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from tradeguard.sim.records import KlineBar

ZERO = Decimal(0)
KEEP = 1000
SECOND = 1000
MINUTE = 60_000


class _Bucket:
    __slots__ = (
        "c", "first_id", "h", "l", "last_id", "n", "o", "open_time", "qvol", "tbase", "tquote",
        "vol",
    )  # fmt: skip

    def __init__(self, open_time: int, price: Decimal) -> None:
        self.open_time = open_time
        self.o = self.h = self.l = self.c = price
        self.vol = self.qvol = self.tbase = self.tquote = ZERO
        self.n = 0
        self.first_id = self.last_id = -1  # trade ids; -1 while nothing traded

    def price(self, price: Decimal) -> None:
        if price > self.h:
            self.h = price
        elif price < self.l:
            self.l = price
        self.c = price


class KlineHistory:
    def __init__(self) -> None:
        self._sec: deque[_Bucket] = deque(maxlen=KEEP)
        self._min: deque[_Bucket] = deque(maxlen=KEEP)

    def _buckets(self, t: int, price: Decimal) -> tuple[_Bucket, _Bucket]:
        """The second and the minute bucket holding `t`, made if new, that have seen `price`."""
        return _bucket(self._sec, t - t % SECOND, price), _bucket(self._min, t - t % MINUTE, price)

    def sample(self, t: int, price: Decimal) -> None:
        """A reference-price observation at time `t` (no volume)."""
        self._buckets(t, price)

    def trade(self, t: int, price: Decimal, qty: Decimal, taker_buys: bool, trade_id: int) -> None:
        quote = price * qty
        for b in self._buckets(t, price):
            b.vol += qty
            b.qvol += quote
            b.n += 1
            if b.first_id < 0:
                b.first_id = trade_id
            b.last_id = trade_id
            if taker_buys:
                b.tbase += qty
                b.tquote += quote

    def _merged(self, interval_ms: int, start: int | None, end: int | None) -> list[_Bucket]:
        """Buckets merged into `interval_ms` klines overlapping [start, end], oldest first."""
        source = self._min if interval_ms % MINUTE == 0 else self._sec
        merged: list[_Bucket] = []
        for b in source:
            open_time = b.open_time - b.open_time % interval_ms
            if start is not None and open_time + interval_ms - 1 < start:
                continue
            if end is not None and open_time > end:
                break
            if merged and merged[-1].open_time == open_time:
                m = merged[-1]
                m.h = max(m.h, b.h)
                m.l = min(m.l, b.l)
                m.c = b.c
                m.vol += b.vol
                m.qvol += b.qvol
                m.n += b.n
                m.tbase += b.tbase
                m.tquote += b.tquote
                if m.first_id < 0:
                    m.first_id = b.first_id
                if b.last_id >= 0:
                    m.last_id = b.last_id
            else:
                m = _Bucket(open_time, b.o)
                m.h, m.l, m.c = b.h, b.l, b.c
                m.vol, m.qvol, m.n, m.tbase, m.tquote = b.vol, b.qvol, b.n, b.tbase, b.tquote
                m.first_id, m.last_id = b.first_id, b.last_id
                merged.append(m)
        return merged

    def bar(self, interval_ms: int, open_time: int) -> KlineBar | None:
        """The kline of `interval_ms` opening at `open_time`, or None if nothing was seen in it."""
        found = self._merged(interval_ms, open_time, open_time)
        if not found or found[0].open_time != open_time:
            return None
        m = found[0]
        return KlineBar(
            open_time=m.open_time,
            close_time=m.open_time + interval_ms - 1,
            open=m.o,
            high=m.h,
            low=m.l,
            close=m.c,
            volume=m.vol,
            quote_volume=m.qvol,
            trades=m.n,
            taker_buy_volume=m.tbase,
            taker_buy_quote_volume=m.tquote,
            first_trade_id=m.first_id,
            last_trade_id=m.last_id,
        )

    def rows(
        self, interval_ms: int, start: int | None, end: int | None, limit: int
    ) -> list[list[object]]:
        merged = self._merged(interval_ms, start, end)
        picked = merged[:limit] if start is not None else merged[-limit:] if limit else []
        return [
            [
                m.open_time,
                f"{m.o:.8f}",
                f"{m.h:.8f}",
                f"{m.l:.8f}",
                f"{m.c:.8f}",
                f"{m.vol:.8f}",
                m.open_time + interval_ms - 1,
                f"{m.qvol:.8f}",
                m.n,
                f"{m.tbase:.8f}",
                f"{m.tquote:.8f}",
                "0",
            ]
            for m in picked
        ]


def _bucket(store: deque[_Bucket], start: int, price: Decimal) -> _Bucket:
    """The newest bucket of `store` if it opens at `start`, else a new one; it sees `price`."""
    if store:
        b = store[-1]
        if b.open_time == start:
            b.price(price)
            return b
    b = _Bucket(start, price)
    store.append(b)
    return b
