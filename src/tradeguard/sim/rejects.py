"""How the simulator refuses a request: one exception carrying Binance's code, text and status.

The HTTP and WebSocket layers turn a `Reject` into Binance's error body
`{"code": -1013, "msg": "Filter failure: LOT_SIZE"}` with `http_status`, plus any headers
(Retry-After on 429/418). Messages are Binance's exact texts; see venues/binance/codes.py.
"""

from __future__ import annotations


class Reject(Exception):
    def __init__(
        self,
        code: int,
        msg: str,
        http_status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}
