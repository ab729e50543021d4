"""A bare Binance wire client for the simulator's tests: signs like a client, returns raw replies.

Deliberately not tradeguard's own client: these tests pin the simulator's wire behaviour, so
they build every request by hand (params in the query or a form body, HMAC or Ed25519).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import signing


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text)

    @property
    def code(self) -> int:
        return int(self.body["code"])

    @property
    def msg(self) -> str:
        return str(self.body["msg"])


class WireClient:
    def __init__(self, running: RunningSim, session: aiohttp.ClientSession) -> None:
        self.running = running
        self.session = session

    def now_ms(self) -> int:
        return self.running.sim.clock.now_ms()

    async def request(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | dict[str, str] | None = None,
        *,
        key: str | None = None,
        signed: bool = False,
        in_body: bool | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        api_key: str | None = None,
        raw_query: str | None = None,
        raw_body: bytes | None = None,
    ) -> Reply:
        """One request. `key` names a simulator key: its header is sent, and `signed` adds
        timestamp + signature (from the simulator's clock unless `timestamp` is given)."""
        pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
        headers: dict[str, str] = {}
        api_key_obj = self.running.key(key) if key is not None else None
        if api_key_obj is not None:
            headers["X-MBX-APIKEY"] = api_key_obj.api_key
        if api_key is not None:
            headers["X-MBX-APIKEY"] = api_key
        if signed:
            assert api_key_obj is not None
            pairs.append(("timestamp", str(self.now_ms() if timestamp is None else timestamp)))
        payload = signing.encode_params(pairs)
        if signed:
            assert api_key_obj is not None
            sig = signature or signing.sign(api_key_obj.kind, api_key_obj.secret, payload)
            payload = f"{payload}&signature={quote(sig, safe='')}"
        body_mode = method != "GET" if in_body is None else in_body
        query, body = ("", payload) if body_mode else (payload, "")
        if raw_query is not None:
            query = raw_query
        data: bytes | None = raw_body if raw_body is not None else (body.encode() if body else None)
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = f"{self.running.base_url}{path}" + (f"?{query}" if query else "")
        async with self.session.request(
            method, url, data=data, headers=headers, skip_auto_headers=["Content-Type"]
        ) as reply:
            return Reply(reply.status, dict(reply.headers), await reply.text())

    async def get(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return await self.request("GET", path, params, **kw)

    async def post(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return await self.request("POST", path, params, **kw)

    async def delete(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return await self.request("DELETE", path, params, **kw)

    async def order(self, key: str = "trade-only", **params: str) -> Reply:
        return await self.post("/api/v3/order", params, key=key, signed=True)

    async def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        url = f"{self.running.control_url}/{path}"
        async with self.session.request(method, url, json=body) as reply:
            return reply.status, await reply.json(content_type=None)
