"""What a venue's public-stream codec says to the connection (venue_stream.py): the names of its
topics, the frames that subscribe to them, and each frame it receives decoded into neutral
values (sync.BookFrame, values.Ticker, Trade, Candle) or an answer to a subscription. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from tradeguard.market.sync import StreamBook


class Ack(msgspec.Struct, frozen=True):
    """The exchange's answer to a subscription (`name` None: it did not say which)."""

    ok: bool
    name: str | None = None
    why: str = ""


Heard = tuple[str, Any] | Ack  # (topic name, decoded value), or an answer

# What a venue sends a quiet subscription to say it is alive (Kraken's heartbeat channel, a
# Bybit pong): heard as data under a name no topic has, so the stale check counts it
ALIVE: tuple[str, Any] = ("\x00alive", None)


class Codec(Protocol):
    venue: str
    ping: str  # the venue's application-level ping
    keepalive_s: float  # how often to send it (the venue closes a silent connection)
    # how often the venue says, unasked, that a quiet subscription is alive (Kraken's heartbeat
    # channel); None where only the answer to our ping does (sent thrice in each stale window)
    heartbeat_s: float | None
    book_depth: int  # levels a side the stream's book holds (a deeper read goes over REST)

    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        """The topic name of ("book" | "ticker" | "trade" | "kline", compact symbol), None if
        this venue does not stream it here (`unserved` says why)."""
        ...

    def unserved(self, kind: str, interval: str = "") -> str: ...
    def subscribe(self, names: list[str], unsubscribe: bool = False) -> list[str]: ...
    def decode(self, data: str | bytes) -> list[Heard]: ...
    def new_book(self, symbol: str) -> StreamBook: ...


class Ids:
    """Compact symbols ("BTCUSDT") and the venue's ids for them ("BTC-USDT"), both ways."""

    def __init__(self, venue_ids: Mapping[str, str]) -> None:
        self.venue_id = dict(venue_ids)
        self.compact = {v: k for k, v in self.venue_id.items()}

    def of(self, symbol: str) -> str:
        from tradeguard.errors import ConfigError

        found = self.venue_id.get(symbol)
        if found is None:
            raise ConfigError(
                f"{symbol} is not a spot symbol of this exchange",
                hint="use a symbol the exchange lists (see `tradeguard doctor`)",
            )
        return found


class RequestNumbers:
    """A number for each topic's subscription requests, both ways: the venue echoes it with its
    answer (OKX's `id`, Kraken's `req_id`), which is how a refusal names what it refuses."""

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        self._name: dict[int, str] = {}

    def of(self, name: str) -> int:
        number = self._number.get(name)
        if number is None:
            number = self._number[name] = len(self._number) + 1
            self._name[number] = name
        return number

    def name(self, number: object) -> str | None:
        """The topic a request number was given to; None for one this client never sent."""
        if isinstance(number, str) and number.isdigit():
            number = int(number)
        return self._name.get(number) if isinstance(number, int) else None


_WHAT = {"book": "order book", "ticker": "ticker", "trade": "public trades"}


def not_streamed(
    venue: str, kind: str, interval: str = "", has: Iterable[str] = (), candles: str = "candles"
) -> str:
    """Why `venue` streams no `kind` (a candle `interval`: with the intervals it `has`, under the
    venue's word for them)."""
    if kind != "kline":
        return f"{venue} streams no {_WHAT.get(kind, kind)}"
    listed = ", ".join(has)
    return f"{venue} streams no {interval} {candles}" + (f" (it has {listed})" if listed else "")


def dec(text: Any) -> Decimal | None:
    return None if text is None or text == "" else Decimal(str(text))


def plain(value: Decimal) -> str:
    """A number as the exchange writes it (no exponent)."""
    return format(value, "f")


__all__ = ["ALIVE", "Ack", "Codec", "Heard", "Ids", "RequestNumbers", "dec", "not_streamed",
           "plain"]  # fmt: skip
