"""The candles and trades the market keeper holds per series: the REST history merged with
what the stream brings (candles by open time, trades by id), trimmed to `HISTORY` rows, and the
stream handlers that append to them."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tradeguard.errors import ConfigError
from tradeguard.market import frames
from tradeguard.market.stream_base import Handler
from tradeguard.market.values import Candle, Trade

HISTORY = 1000  # candles and trades kept per series (REST answers at most this many at once)

Tell = Callable[[Hashable, Any], None]  # hands an update to the watchers of a topic


@dataclass
class Series:
    """Candles by open time, or trades by id, with how far back REST filled them."""

    topic: tuple[str, ...]  # what its watchers are told under
    rows: dict[int, Any] = field(default_factory=dict)
    filled: int = 0  # how many the last REST read asked for (0: never, or a reconnect since)


def known_interval(interval: str) -> None:
    """Refuse a candle interval tradeguard does not know (OKX's 2Dutc among them: Binance has
    no 2-day kline) before anything is asked of the venue."""
    if interval not in frames.INTERVALS_MS:
        raise ConfigError(
            f"no kline interval {interval!r}", hint=f"one of {', '.join(frames.INTERVALS_MS)}"
        )


def merge_candles(series: Series, history: list[Candle]) -> None:
    """REST's candles into the series: a streamed candle stays unless REST has it closed and
    the stream's copy is still forming."""
    for candle in history:
        held = series.rows.get(candle.open_ms)
        if held is None or (candle.closed and not held.closed):
            series.rows[candle.open_ms] = candle
    trim(series)


def merge_trades(series: Series, history: list[Trade]) -> None:
    """REST's recent trades into the series; a trade already streamed stays as it came."""
    for trade in history:
        series.rows.setdefault(trade.trade_id, trade)
    trim(series)


def candles_at(series: Series, now_ms: int) -> list[Candle]:
    """The series' candles in order, those whose close time has passed taken as closed (the
    closing frame may not have come yet)."""
    return [
        c if c.closed or c.close_ms >= now_ms else msgspec.structs.replace(c, closed=True)
        for c in (series.rows[k] for k in sorted(series.rows))
    ]


def last_candles(rows: list[Candle], limit: int, closed_only: bool) -> list[Candle]:
    if closed_only:
        rows = [c for c in rows if c.closed]
    return rows[-limit:]


def trim(series: Series) -> None:
    if len(series.rows) > HISTORY:
        for key in sorted(series.rows)[: len(series.rows) - HISTORY]:
            del series.rows[key]


def kline_handler(series: Series, tell: Tell) -> Handler:
    def on_kline(event: Any) -> None:
        if isinstance(event, frames.KlineEvent | Candle):
            candle = frames.candle_of(event) if isinstance(event, frames.KlineEvent) else event
            series.rows[candle.open_ms] = candle
            if len(series.rows) > HISTORY + 100:
                trim(series)
            tell(series.topic, candle)

    return on_kline


def trade_handler(series: Series, tell: Tell) -> Handler:
    def on_trade(event: Any) -> None:
        if isinstance(event, frames.TradeEvent | Trade):
            trade = frames.trade_of(event) if isinstance(event, frames.TradeEvent) else event
            series.rows[trade.trade_id] = trade
            if len(series.rows) > HISTORY + 100:
                trim(series)
            tell(series.topic, trade)

    return on_trade


__all__ = ["HISTORY", "Series", "Tell", "candles_at", "kline_handler", "known_interval",
           "last_candles", "merge_candles", "merge_trades", "trade_handler", "trim"]  # fmt: skip
