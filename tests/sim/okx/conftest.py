"""A raw OKX v5 client for the dialect's own tests: signs as OKX documents, shows every reply."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.okx.auth import sign

START_MS = 1_767_225_600_000


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclasses.dataclass
class Okx:
    running: Any
    session: aiohttp.ClientSession

    def key(self, name: str = "trade-only") -> dict[str, Any]:
        return next(dict(k) for k in self.running.key_listing if k["name"] == name)

    @property
    def sim(self) -> Any:
        return self.running.sim

    async def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        key: str | None = "trade-only",
        ts_ms: int | None = None,
        tamper: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(HTTP status, JSON body) of one request, signed with `key` unless None."""
        raw = "" if body is None else json.dumps(body, separators=(",", ":"))
        headers = {"Content-Type": "application/json"} if raw else {}
        if key is not None:
            k = self.key(key)
            stamp = iso(self.sim.clock.now_ms() if ts_ms is None else ts_ms)
            headers |= {
                "OK-ACCESS-KEY": k["api_key"],
                "OK-ACCESS-PASSPHRASE": k["passphrase"],
                "OK-ACCESS-TIMESTAMP": stamp,
                "OK-ACCESS-SIGN": sign(k["secret"], stamp + method + path + raw),
            }
            headers |= tamper or {}
        url = self.running.base_url + path
        async with self.session.request(method, url, data=raw or None, headers=headers) as reply:
            return reply.status, await reply.json(content_type=None)

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(f"{self.running.control_url}/{path}", json=body) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()


def still_config() -> SimConfig:
    config = SimConfig(venue="okx", seed=5, clock="manual", start_ms=START_MS)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    return config


@pytest.fixture
async def okx() -> AsyncIterator[Okx]:
    running = await server.start(still_config())
    try:
        async with aiohttp.ClientSession() as session:
            yield Okx(running, session)
    finally:
        assert running.sim.unexpected_errors == []
        await running.close()


def limit_buy(cl: str | None = None, px: str = "50000", sz: str = "0.001") -> dict[str, str]:
    order = {
        "instId": "BTC-USDT",
        "tdMode": "cash",
        "side": "buy",
        "ordType": "limit",
        "px": px,
        "sz": sz,
    }
    return order | ({"clOrdId": cl} if cl else {})
