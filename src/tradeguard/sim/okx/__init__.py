"""The simulator's OKX v5 dialect: OKX's spot REST and private WebSocket on the one engine.

`build_app(sim)` serves what unmodified ccxt (`ccxt.pro.okx`) calls on spot; `urls(root)` names
where. Point ccxt at it with `urls: {"api": {"rest": base_url, "ws": ws_url}}` (ccxt appends
/private to ws_url) and the key's `password` = its OKX passphrase (on the start line). See
docs/simulator-okx.md for what is served, the faults, and what is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeguard.sim import control
from tradeguard.sim.okx import auth, public_ws, rest_account, rest_algo, rest_market, rest_trade, ws
from tradeguard.sim.okx.pipeline import make_middleware, serve
from tradeguard.sim.okx.state import attach, state_of

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.sim.app import Sim

__all__ = ["build_app", "state_of", "urls"]


def build_app(sim: Sim) -> web.Application:
    from aiohttp import web

    state = attach(sim)
    state.limiter.per_2s.update(rest_market.PER_2S)
    for entry, key in zip(sim.key_listing, sim.keys, strict=True):
        entry["passphrase"] = auth.passphrase(sim.config.seed, key)
    app = web.Application(middlewares=[make_middleware(sim)])
    for endpoint in [
        *rest_account.endpoints(sim),
        *rest_trade.endpoints(sim, state),
        *rest_algo.endpoints(sim, state),
        *rest_market.endpoints(sim),
    ]:
        app.router.add_route(endpoint.method, endpoint.path, serve(sim, state, endpoint))
    ws.add_routes(app, sim, state)
    app.router.add_get(public_ws.PATH, public_ws.handler(sim))
    control.add_routes(app, sim)
    return app


def urls(root: str) -> dict[str, str]:
    return {
        "base_url": f"http://{root}",
        "ws_url": f"ws://{root}/ws/v5",
        "private_ws_url": f"ws://{root}/ws/v5/private",
        "public_ws_url": f"ws://{root}{public_ws.PATH}",
        "control_url": f"http://{root}/sim/v1",
    }
