"""Bybit, OKX and Kraken through ccxt (the optional `tradeguard[ccxt]` extra), as a
`venues.protocol.Venue`. Being built (issue 13): `open_venue` is the one way in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.clock import SYSTEM, Clock

if TYPE_CHECKING:
    from tradeguard.venues.protocol import Venue


class CcxtVenue:
    """One ccxt exchange (REST: ccxt.async_support; streams: ccxt.pro) as a Venue."""

    def user_stream(self, assets: Any, **options: Any) -> Any:
        raise NotImplementedError


def open_venue(
    venue: str,
    base_url: str | None,
    credentials: ApiCredentials | None,
    *,
    clock: Clock = SYSTEM,
    sandbox: bool = False,
    urls: dict[str, str] | None = None,
) -> Venue:
    raise NotImplementedError(venue)
