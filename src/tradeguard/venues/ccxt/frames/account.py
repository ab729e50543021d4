"""What a frame decoder knows of the account it reads for, and what every decoder yields.

`Heard` is one frame's meaning: the events it carries (`data` says the frame was an order,
trade or balance push, which is what the quiet watchdog waits for), or the venue's reply to a
request (`Reply`), or a pong. A frame that does not read as the venue documents it raises
`Unreadable`: it may have been a fill, so the stream fills the gap at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tradeguard.events import EventBase
from tradeguard.venues.ccxt.ids import IdMap, our_client_id

ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Unreadable(ValueError):
    """A frame the decoder cannot read as the venue documents it."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The venue's answer to a request: `op` (auth, login, subscribe, error, pong, notice),
    whether it succeeded, its text and code, and the channel it is about (subscribe acks)."""

    op: str
    ok: bool
    text: str = ""
    code: str = ""
    channel: str = ""


@dataclass(slots=True)
class Heard:
    events: list[EventBase] = field(default_factory=list)
    data: bool = False  # an order, trade or balance push (even one with no event for us)
    reply: Reply | None = None


@dataclass
class Account:
    """`symbols`: the venue's own symbol names (and ccxt's unified ones) -> compact symbols;
    `assets`: compact symbol -> (base, quote), the symbols the session follows; `ids`: the
    venue's ids -> integers; `client_id_of`: the client order id the venue connection saw
    placed for an order id (for frames that carry none)."""

    profile: str
    assets: Mapping[str, tuple[str, str]]
    symbols: Mapping[str, str]
    ids: IdMap = field(default_factory=IdMap)
    client_id_of: Callable[[int], str | None] = lambda order_id: None

    def compact(self, venue_symbol: str) -> str | None:
        """The compact symbol of a venue symbol the session follows; None otherwise."""
        compact = self.symbols.get(venue_symbol)
        return compact if compact is not None and compact in self.assets else None

    def client_id(self, sent: str, order_id: int) -> str | None:
        """The session's client order id: the one the frame carries, else the one seen
        placed for the order id."""
        if sent:
            return our_client_id(sent)
        return self.client_id_of(order_id)


def venue_symbols(markets: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Every name a venue's spot market goes by on its private stream (its id, ccxt's unified
    symbol, Kraken's wsname) -> the compact symbol, from ccxt's loaded markets."""
    out: dict[str, str] = {}
    for unified, market in markets.items():
        if not market.get("spot") or market.get("base") is None:
            continue
        compact = f"{market['base']}{market['quote']}"
        info = market.get("info") or {}
        for name in (unified, market.get("id"), info.get("wsname"), info.get("altname")):
            if isinstance(name, str) and name:
                out.setdefault(name, compact)
    return out


def time_ms(text: str) -> int | None:
    """A decimal millisecond string ("1700000000123") as an int; None for "" or junk."""
    return int(text) if text.isdigit() else None


def rfc3339_ms(when: datetime | None) -> int | None:
    return None if when is None else (when - _EPOCH) // _MS


def dec(text: str) -> Decimal:
    return Decimal(text) if text else ZERO
