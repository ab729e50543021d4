"""OKX's public and account endpoints: server time, spot instruments, balance, key config.

GET /api/v5/account/config answers for the calling key as OKX does: `perm` lists read_only,
trade and withdraw as the key has them, `ip` its whitelist ("" when it has none), so a client
can tell a key that may withdraw or has no IP whitelist.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from tradeguard.sim.keys import ApiKey
from tradeguard.sim.okx import wire
from tradeguard.sim.okx.pipeline import Call, Endpoint

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim


def uid(account: str) -> str:
    """A stable, made-up OKX uid per simulated account."""
    return str(100_000_000_000 + zlib.crc32(account.encode("utf-8")))


def perm(key: ApiKey, now_ms: int) -> str:
    rights = ["read_only"] if key.enable_reading else []
    if key.can_trade(now_ms):
        rights.append("trade")
    if key.enable_withdrawals:
        rights.append("withdraw")
    return ",".join(rights)


def account_config(key: ApiKey, now_ms: int) -> wire.Json:
    account = uid(key.account)
    return {
        "uid": account,
        "mainUid": account,
        "acctLv": "1",  # spot mode
        "posMode": "net_mode",
        "autoLoan": False,
        "greeksType": "PA",
        "level": "Lv1",
        "levelTmp": "",
        "ctIsoMode": "automatic",
        "mgnIsoMode": "automatic",
        "spotOffsetType": "",
        "roleType": "0",
        "traderInsts": [],
        "spotRoleType": "0",
        "spotTraderInsts": [],
        "opAuth": "0",
        "kycLv": "2",
        "label": key.name,
        "ip": ",".join(key.allowed_ips) if key.ip_restrict else "",
        "perm": perm(key, now_ms),
        "liquidationGear": "-1",
        "enableSpotBorrow": False,
        "spotBorrowAutoRepay": False,
        "type": "0",
    }


def endpoints(sim: Sim) -> list[Endpoint]:
    def server_time(call: Call) -> object:
        return [{"ts": str(call.now_ms)}]

    def instruments(call: Call) -> object:
        if call.text("instType", required=True) != "SPOT":
            return []  # only spot is simulated
        inst = call.text("instId")
        list_time = sim.config.start_ms or 0
        rows = [wire.instrument(s, list_time) for s in sim.symbols().values()]
        return [r for r in rows if inst is None or r["instId"] == inst]

    def ticker(call: Call) -> object:
        inst = call.text("instId", required=True)
        for spec in sim.symbols().values():
            if wire.inst_id(spec) == inst:
                bid, bid_qty, ask, ask_qty = sim.engine.book_ticker(spec.symbol)
                last = sim.engine.last_price(spec.symbol)
                return [
                    {
                        "instType": "SPOT", "instId": inst, "last": str(last), "lastSz": "0",
                        "askPx": str(ask), "askSz": str(ask_qty),
                        "bidPx": str(bid), "bidSz": str(bid_qty),
                        "ts": str(call.now_ms),
                    }
                ]  # fmt: skip
        return []

    def balance(call: Call) -> object:
        wanted = call.text("ccy")
        ccys = None if wanted is None else set(wanted.split(","))
        held = sim.engine.balances(call.account)
        details = [
            wire.balance_row(ccy, b, call.now_ms)
            for ccy, b in sorted(held.items())
            if ccys is None or ccy in ccys
        ]
        return [{"uTime": str(call.now_ms), "totalEq": "", "adjEq": "", "details": details}]

    def config(call: Call) -> object:
        assert call.key is not None  # a signed endpoint
        return [account_config(call.key, call.now_ms)]

    return [
        Endpoint("GET", "/api/v5/public/time", server_time, signed=False),
        Endpoint("GET", "/api/v5/public/instruments", instruments, signed=False),
        Endpoint("GET", "/api/v5/market/ticker", ticker, signed=False),
        Endpoint("GET", "/api/v5/account/balance", balance),
        Endpoint("GET", "/api/v5/account/config", config),
    ]
