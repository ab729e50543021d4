"""What the Kraken dialect keeps beside the venue-neutral `Sim`: names, nonces, the call
counter, WebSocket tokens. One per simulator, found with `state_of(sim)`; tests lower the
rate limit with `state_of(sim).counter.limits = KrakenLimits(...)`.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from tradeguard.sim.kraken.auth import Nonces
from tradeguard.sim.kraken.limits import CallCounter
from tradeguard.sim.kraken.names import Names

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

TOKEN_TTL_S: Final = 900  # Kraken: a token must be used within 15 minutes of its issue


@dataclass(frozen=True, slots=True)
class Token:
    api_key: str
    account: str
    issued_ms: int


class KrakenState:
    def __init__(self, sim: Sim) -> None:
        self.names = Names(sim.config.symbols)
        self.nonces = Nonces()
        self.counter = CallCounter()
        self.tokens: dict[str, Token] = {}
        self._seed = sim.config.seed
        self._serial = 0

    def issue_token(self, key: ApiKey, now_ms: int) -> str:
        self._serial += 1
        digest = hashlib.sha256(f"kraken-ws|{self._seed}|{key.name}|{self._serial}".encode())
        token = digest.hexdigest()[:43]
        self.tokens[token] = Token(key.api_key, key.account, now_ms)
        return token

    def token(self, token: object, now_ms: int) -> Token | None:
        """The token's grant if it exists and is still fresh enough to open a subscription."""
        found = self.tokens.get(token) if isinstance(token, str) else None
        if found is None or now_ms - found.issued_ms > TOKEN_TTL_S * 1000:
            return None
        return found


_STATES: weakref.WeakKeyDictionary[Sim, KrakenState] = weakref.WeakKeyDictionary()


def state_of(sim: Sim) -> KrakenState:
    state = _STATES.get(sim)
    if state is None:
        state = _STATES[sim] = KrakenState(sim)
    return state
