"""What the OKX dialect keeps beside the simulator's own state, and its lookup by simulator.

Orders placed without a clOrdId get a Binance-style id from the engine; OKX shows such an order's
clOrdId as "", so the dialect remembers which orders had none. A simulator reset (a new engine)
forgets that and the rate-limit counts. Likewise which stops were placed as `conditional` algo
orders (a stop-loss or take-profit trigger: slTriggerPx / tpTriggerPx) rather than `trigger`
ones: the engine holds both as stops.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from tradeguard.sim.okx.limits import Limiter

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.engine import Engine

_STATES: weakref.WeakKeyDictionary[Sim, OkxState] = weakref.WeakKeyDictionary()


class OkxState:
    def __init__(self, sim: Sim) -> None:
        self.limiter = Limiter()
        self.no_client_id: set[tuple[str, int]] = set()  # (engine symbol, order id)
        self.conditional: set[tuple[str, int]] = set()  # placed as ordType conditional
        self._engine: Engine = sim.engine
        # Live private-WebSocket sessions -> their subscription count (tests wait on it).
        self.sessions: dict[int, int] = {}

    def subscriptions(self) -> int:
        """Channel subscriptions live on private WebSocket connections."""
        return sum(self.sessions.values())

    def follow(self, sim: Sim) -> None:
        """Start afresh if the simulator was reset since the last request."""
        if sim.engine is not self._engine:
            self._engine = sim.engine
            self.no_client_id.clear()
            self.conditional.clear()
            self.limiter.reset()

    def cl_ord_id(self, symbol: str, order_id: int, engine_id: str) -> str:
        return "" if (symbol, order_id) in self.no_client_id else engine_id


def attach(sim: Sim) -> OkxState:
    state = OkxState(sim)
    _STATES[sim] = state
    return state


def state_of(sim: Sim) -> OkxState:
    """The OKX dialect's state of a simulator serving OKX (tests lower its rate limits)."""
    return _STATES[sim]
