"""Which exchange's wire a simulator speaks: one matching engine, one dialect per venue.

A simulator's engine, clock, keys, fault plan and rate-limit ledger are venue-neutral; what a
client sees (paths, signing, error shapes, the private WebSocket) is the dialect's. The
Binance dialect is the `sim` package's own modules; every other dialect is a sub-package
`tradeguard.sim.<venue>` with two functions:

    build_app(sim: Sim) -> aiohttp.web.Application   # its routes, its middleware, plus
                                                      # control.add_routes(app, sim)
    urls(root: str) -> dict[str, str]                 # "host:port" -> the URLs it serves

`urls` always names `base_url` (REST), `control_url`, and the WebSocket URLs a client of that
venue needs (`private_ws_url`, `public_ws_url`, ...). They are imported only when chosen, so a
Binance simulator never loads another dialect.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.sim.app import Sim

VENUES = ("binance", "bybit", "okx", "kraken")


class Dialect(Protocol):
    def build_app(self, sim: Sim) -> web.Application: ...

    def urls(self, root: str) -> dict[str, str]: ...


def binance_urls(root: str) -> dict[str, str]:
    return {
        "base_url": f"http://{root}",
        "ws_api_url": f"ws://{root}/ws-api/v3",
        "stream_url": f"ws://{root}/ws",
        "control_url": f"http://{root}/sim/v1",
    }


def load(venue: str) -> Dialect:
    """The dialect module for `venue` (one of VENUES; the config reader checked it)."""
    if venue == "binance":
        return _BinanceDialect()
    return cast("Dialect", importlib.import_module(f"tradeguard.sim.{venue}"))


class _BinanceDialect:
    def build_app(self, sim: Sim) -> web.Application:
        from tradeguard.sim.app import build_app

        return build_app(sim)

    def urls(self, root: str) -> dict[str, str]:
        return binance_urls(root)
