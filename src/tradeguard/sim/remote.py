"""Drive a running simulator over its control API (/sim/v1): fills, prices, faults, clock, counts.

Used by the demo, the benchmarks and the tests; a user can do the same with curl.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp


class ControlError(RuntimeError):
    """The simulator refused a control call; the message is the simulator's own."""


class SimRemote:
    def __init__(self, control_url: str, session: aiohttp.ClientSession) -> None:
        self.control_url = control_url.rstrip("/")
        self._session = session

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.control_url}/{path}"
        async with self._session.request(method, url, json=body) as reply:
            data = await reply.json(content_type=None)
            if reply.status != 200:
                raise ControlError(f"{method} {path}: {data}")
            return data

    async def fill(
        self,
        symbol: str,
        qty: Decimal | str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        price: Decimal | str | None = None,
    ) -> Any:
        """An outside taker trades `qty` against one resting order."""
        body: dict[str, Any] = {"symbol": symbol, "qty": str(qty)}
        if order_id is not None:
            body["orderId"] = order_id
        if client_order_id is not None:
            body["origClientOrderId"] = client_order_id
        if price is not None:
            body["price"] = str(price)
        return await self._call("POST", "fill", body)

    async def set_balance(
        self, asset: str, free: Decimal | str, *, history: bool = True, account: str = "main"
    ) -> Any:
        """Set a free balance: a deposit or withdrawal in the account's history, unless
        `history` is False (a change nothing explains)."""
        body = {"account": account, "asset": asset, "free": str(free), "history": history}
        return await self._call("POST", "balance", body)

    async def set_price(self, symbol: str, price: Decimal | str) -> Any:
        return await self._call("POST", "price", {"symbol": symbol, "price": str(price)})

    async def add_fault(self, spec: dict[str, Any]) -> Any:
        return await self._call("POST", "faults", spec)

    async def clear_faults(self) -> Any:
        return await self._call("DELETE", "faults")

    async def requests(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "requests")
        return result

    async def reset_requests(self) -> Any:
        return await self._call("POST", "requests/reset", {})

    async def clock(self, **change: int) -> Any:
        """With no argument, read the clock; else advance_ms=, set_ms= or offset_ms=."""
        if not change:
            return await self._call("GET", "clock")
        return await self._call("POST", "clock", change)

    async def limits(self) -> Any:
        return await self._call("GET", "limits")
