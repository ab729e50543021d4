"""The shortest stale window (`market_stale_after_s`) a venue's public stream can keep.

A market stream that hears nothing alive for the window is taken as dead and replaced. On a
quiet market what is heard is the venue's own sign of life: Kraken's heartbeat channel, about
once a second, and nothing else (its pong is not counted), so a window under two heartbeats
takes a quiet Kraken stream for a dead one and reconnects it over and over. Bybit and OKX are
heard in the pong to the ping the stream sends three times in each window: any window does.
Binance's stream keeps its own rules (venues/binance/stream.py) and has no floor here.

Read at profile parse (parse.py) and again at connect, where `connect(..., market=...)` may
give a window of its own.
"""

from __future__ import annotations

import importlib

# one heartbeat late or lost still leaves one inside the window
HEARTBEATS_PER_WINDOW = 2

# each ccxt venue's public-stream codec (market/codec_<venue>.py), which knows its heartbeat
_CODECS = {
    "bybit": ("tradeguard.market.codec_bybit", "BybitCodec"),
    "okx": ("tradeguard.market.codec_okx", "OkxCodec"),
    "kraken": ("tradeguard.market.codec_kraken", "KrakenCodec"),
}


def heartbeat_s(venue: str) -> float | None:
    """How often `venue`'s public stream says unasked that a quiet subscription is alive; None
    where it does not (its liveness is the pong to the stream's own ping, or its own rules)."""
    found = _CODECS.get(venue)
    if found is None:
        return None
    module, name = found
    beat: float | None = getattr(importlib.import_module(module), name).heartbeat_s
    return beat


def too_short(venue: str, stale_after_s: float) -> tuple[str, float] | None:
    """Why `stale_after_s` is too short a window for `venue`'s stream, and the shortest that
    is not; None if it is long enough."""
    beat = heartbeat_s(venue)
    if beat is None:
        return None
    floor = beat * HEARTBEATS_PER_WINDOW
    if stale_after_s >= floor:
        return None
    return (
        f"is under {floor:g} s, and {venue}'s stream says a quiet market is alive only by its "
        f"heartbeat, about every {beat:g} s: a quiet stream would be taken for a dead one and "
        "reconnected over and over",
        floor,
    )
