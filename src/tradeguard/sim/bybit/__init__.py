"""The simulator's Bybit v5 dialect: Bybit's spot wire on the simulator's one matching engine.

What it serves (docs/simulator-bybit.md says it whole): the v5 REST calls ccxt's bybit makes on
spot, signed and refused as Bybit does, with Bybit's rate limits and the simulator's faults, and
the private WebSocket /v5/private (auth, order / execution / wallet topics). The control API
(/sim/v1) is the same as on every dialect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tradeguard.sim import control
from tradeguard.sim.bybit import private_ws, public_ws, rest_account, rest_market, rest_orders
from tradeguard.sim.bybit.pipeline import State, make_middleware, serve

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim


def build_app(sim: Sim) -> web.Application:
    """The aiohttp application of a simulator speaking Bybit: REST, /v5/private, control."""
    app = web.Application(middlewares=[make_middleware(sim)])
    state = State(sim)
    for module in (rest_account, rest_market, rest_orders):
        for route in module.routes(sim):
            app.router.add_route(route.method, route.path, serve(sim, state, route))
    app.router.add_get(private_ws.PATH, private_ws.handler(sim))
    app.router.add_get(public_ws.PATH, public_ws.handler(sim))
    control.add_routes(app, sim)
    return app


def urls(root: str) -> dict[str, str]:
    """The URLs a Bybit client needs, for a simulator listening on `root` ("host:port")."""
    return {
        "base_url": f"http://{root}",
        "private_ws_url": f"ws://{root}{private_ws.PATH}",
        "public_ws_url": f"ws://{root}{public_ws.PATH}",
        "control_url": f"http://{root}/sim/v1",
    }
