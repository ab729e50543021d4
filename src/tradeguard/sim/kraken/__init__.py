"""The simulator's Kraken spot dialect: REST `/0/public/*` and `/0/private/*` (signed as
Kraken signs), and the private WebSocket v2 (`/v2`, executions and balances with a token from
GetWebSocketsToken), on the simulator's one engine. See docs/simulator-kraken.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeguard.sim.kraken.limits import KrakenLimits
from tradeguard.sim.kraken.state import state_of

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.sim.app import Sim

__all__ = ["KrakenLimits", "build_app", "state_of", "urls"]

WS_PATH = "/v2"
PUBLIC_WS_PATH = "/v2/public"  # kraken.public_ws.PATH


def build_app(sim: Sim) -> web.Application:
    from aiohttp import web

    from tradeguard.sim import control
    from tradeguard.sim.kraken import (
        pipeline,
        public_ws,
        rest_account,
        rest_market,
        rest_orders,
        ws,
    )

    app = web.Application(middlewares=[pipeline.make_middleware(sim)])
    for module in (rest_account, rest_orders):
        for endpoint in module.endpoints(sim):
            method = "POST" if endpoint.private else "GET"
            app.router.add_route(method, endpoint.path, pipeline.serve(sim, endpoint))
            if not endpoint.private:  # Kraken's public methods take POST as well
                app.router.add_route("POST", endpoint.path, pipeline.serve(sim, endpoint))
    for endpoint in rest_market.endpoints(sim):  # public, throttled per IP
        for method in ("GET", "POST"):
            app.router.add_route(method, endpoint.path, rest_market.serve_throttled(sim, endpoint))
    app.router.add_get(WS_PATH, ws.handler(sim))
    app.router.add_get(PUBLIC_WS_PATH, public_ws.handler(sim))
    control.add_routes(app, sim)
    return app


def urls(root: str) -> dict[str, str]:
    return {
        "base_url": f"http://{root}",
        "private_ws_url": f"ws://{root}{WS_PATH}",
        "public_ws_url": f"ws://{root}{PUBLIC_WS_PATH}",
        "control_url": f"http://{root}/sim/v1",
    }
