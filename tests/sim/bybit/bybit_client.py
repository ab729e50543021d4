"""A bare Bybit v5 client for the dialect's tests: signs requests by Bybit's documented recipe
(written here, not taken from the simulator), so a test sees exactly what goes on the wire."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tradeguard.sim.server import RunningSim


def bybit_sign(secret: str, prehash: str) -> str:
    return hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).hexdigest()


class Reply:
    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.text)
        return value

    @property
    def code(self) -> int:
        return int(self.body["retCode"])

    @property
    def result(self) -> Any:
        assert self.code == 0, self.text
        return self.body["result"]


class BybitClient:
    def __init__(
        self, running: RunningSim, http: aiohttp.ClientSession, key: str = "trade-only"
    ) -> None:
        self.running = running
        self.http = http
        self.base = running.base_url
        self.use(key)
        self.recv_window = "5000"
        self.ts_shift_ms = 0  # move the request's timestamp away from the simulator's clock

    def use(self, key_name: str) -> None:
        entry = next(k for k in self.running.key_listing if k["name"] == key_name)
        self.api_key = str(entry["api_key"])
        self.secret = str(entry["secret"])

    def now_ms(self) -> int:
        return self.running.sim.clock.now_ms()

    def headers(self, payload: str, sign_with: str | None = None) -> dict[str, str]:
        ts = str(self.now_ms() + self.ts_shift_ms)
        secret = self.secret if sign_with is None else sign_with
        return {
            "X-BAPI-API-KEY": self.api_key,
            "X-BAPI-TIMESTAMP": ts,
            "X-BAPI-RECV-WINDOW": self.recv_window,
            "X-BAPI-SIGN": bybit_sign(secret, ts + self.api_key + self.recv_window + payload),
            "Content-Type": "application/json",
        }

    async def _send(
        self, method: str, url: str, headers: dict[str, str], data: str | None
    ) -> Reply:
        async with self.http.request(method, url, headers=headers, data=data) as r:
            return Reply(r.status, dict(r.headers), await r.text())

    async def public(self, path: str, **params: str) -> Reply:
        query = urlencode(params)
        return await self._send("GET", f"{self.base}{path}?{query}", {}, None)

    async def get(self, path: str, sign_with: str | None = None, **params: str) -> Reply:
        query = urlencode(params)
        return await self._send(
            "GET", f"{self.base}{path}?{query}", self.headers(query, sign_with), None
        )

    async def post(self, path: str, body: dict[str, Any], sign_with: str | None = None) -> Reply:
        text = json.dumps(body, separators=(",", ":"))
        return await self._send("POST", f"{self.base}{path}", self.headers(text, sign_with), text)

    async def create(self, **fields: str) -> Reply:
        return await self.post(
            "/v5/order/create", {"category": "spot", "symbol": "BTCUSDT", **fields}
        )

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.running.control_url}/{path}", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()
