"""Fixtures for the Kraken dialect's tests: a running Kraken simulator (manual clock, still
market) and a bare Kraken REST client that signs as Kraken documents it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

START_MS = 1_767_225_600_000


def kraken_config(**changes: Any) -> SimConfig:
    config = SimConfig.default(seed=3, venue="kraken", clock="manual", start_ms=START_MS)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    return dataclasses.replace(config, **changes)


class KrakenClient:
    """Kraken's REST as its docs describe it: form bodies, `nonce` first, API-Key/API-Sign."""

    def __init__(
        self, running: RunningSim, http: aiohttp.ClientSession, key: str = "trade-only"
    ) -> None:
        self.running = running
        self.http = http
        self.base = running.urls["base_url"]
        self._nonces = itertools.count(1_000)
        self.use(key)

    def use(self, name: str) -> None:
        entry = next(k for k in self.running.key_listing if k["name"] == name)
        self.api_key, self.secret = str(entry["api_key"]), str(entry["secret"])

    def nonce(self) -> str:
        return str(next(self._nonces))

    @staticmethod
    def sign(secret: str, path: str, nonce: str, body: bytes) -> str:
        message = path.encode() + hashlib.sha256(nonce.encode() + body).digest()
        return base64.b64encode(
            hmac.new(base64.b64decode(secret), message, hashlib.sha512).digest()
        ).decode()

    async def public(self, method: str, **params: str) -> Any:
        async with self.http.get(f"{self.base}/0/public/{method}", params=params) as reply:
            return await reply.json()

    async def private(
        self, method: str, *, nonce: str | None = None, sign: str | None = None, json: bool = False,
        **params: str,
    ) -> Any:  # fmt: skip
        n = nonce if nonce is not None else self.nonce()
        if json:
            body = msgspec.json.encode({"nonce": n, **params})
            content_type = "application/json"
        else:
            body = urlencode({"nonce": n, **params}).encode()
            content_type = "application/x-www-form-urlencoded"
        path = f"/0/private/{method}"
        headers = {
            "API-Key": self.api_key,
            "API-Sign": sign if sign is not None else self.sign(self.secret, path, n, body),
            "Content-Type": content_type,
        }
        async with self.http.post(self.base + path, data=body, headers=headers) as reply:
            return await reply.json(content_type=None)

    async def ok(self, method: str, **params: str) -> Any:
        answer = await self.private(method, **params)
        assert answer["error"] == [], answer
        return answer["result"]

    async def error(self, method: str, **params: str) -> str:
        answer = await self.private(method, **params)
        assert len(answer["error"]) == 1 and "result" not in answer, answer
        return str(answer["error"][0])


@pytest.fixture
def config() -> SimConfig:
    return kraken_config()


@pytest.fixture
async def kraken(config: SimConfig) -> AsyncIterator[RunningSim]:
    running = await server.start(config)
    try:
        yield running
    finally:
        assert running.sim.unexpected_errors == []
        await running.close()


@pytest.fixture
async def client(kraken: RunningSim) -> AsyncIterator[KrakenClient]:
    async with aiohttp.ClientSession() as http:
        yield KrakenClient(kraken, http)
