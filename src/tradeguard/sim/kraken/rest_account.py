"""Kraken's account methods (Balance, BalanceEx, GetWebSocketsToken, GetApiKeyInfo) and its
public ones (Time, SystemStatus, Assets, AssetPairs).

GetApiKeyInfo's field names are not published in a form this simulator could confirm [?]:
the shape below follows the documented description ("name, permissions, restrictions, and
usage timestamps") with Kraken's permission names from its key-creation page, snake-cased.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tradeguard.sim.kraken import errors, render
from tradeguard.sim.kraken.pipeline import Call, Endpoint
from tradeguard.sim.kraken.state import TOKEN_TTL_S

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

READ_PERMISSIONS = (
    "query_funds",
    "query_open_orders_and_trades",
    "query_closed_orders_and_trades",
    "query_ledger_entries",
    "export_data",
    "access_websockets_api",
)
TRADE_PERMISSIONS = ("create_modify_orders", "cancel_close_orders")
WITHDRAW_PERMISSIONS = ("withdraw_funds",)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def key_permissions(key: ApiKey, now_ms: int) -> list[str]:
    out: list[str] = []
    if key.enable_reading:
        out.extend(READ_PERMISSIONS)
    if key.can_trade(now_ms):
        out.extend(TRADE_PERMISSIONS)
    if key.enable_withdrawals:
        out.extend(WITHDRAW_PERMISSIONS)
    return out


def key_info_json(key: ApiKey, now_ms: int) -> dict[str, object]:
    return {
        "name": key.name,
        "api_key": key.api_key,
        "permissions": key_permissions(key, now_ms),
        "restrictions": {
            "ip_allowlist": list(key.allowed_ips) if key.ip_restrict else [],
            "nonce_window": 0,
        },
        "created_at": iso(key.create_time_ms),
        "last_used": iso(now_ms),
    }


def endpoints(sim: Sim) -> list[Endpoint]:
    def time(call: Call) -> object:
        now = datetime.fromtimestamp(call.now_ms / 1000, UTC)
        return {
            "unixtime": call.now_ms // 1000,
            "rfc1123": now.strftime("%a, %d %b %y %H:%M:%S +0000"),
        }

    def system_status(call: Call) -> object:
        down = sim.faults.maintenance_active()
        return {
            "status": "maintenance" if down else "online",
            "timestamp": iso(call.now_ms)[:19] + "Z",
        }

    def assets(call: Call) -> object:
        del call
        return render.assets_json(sim.config.symbols)

    def asset_pairs(call: Call) -> object:
        names = call.state.names
        wanted = call.params.get("pair")
        pairs = names.pairs
        if wanted:
            found = [names.pair(n) for n in wanted.split(",")]
            if any(p is None for p in found):
                raise errors.KrakenError("EQuery:Unknown asset pair")
            pairs = [p for p in found if p is not None]
        maker, taker = sim.config.maker_commission, sim.config.taker_commission
        return {p.key: render.asset_pair_json(p, maker, taker) for p in pairs}

    def ticker(call: Call) -> object:
        names = call.state.names
        wanted = call.params.get("pair")
        pairs = names.pairs if not wanted else [names.pair(n) for n in wanted.split(",")]
        if any(p is None for p in pairs):
            raise errors.KrakenError("EQuery:Unknown asset pair")
        out: dict[str, object] = {}
        for pair in pairs:
            assert pair is not None
            bid, bid_qty, ask, ask_qty = sim.engine.book_ticker(pair.symbol)
            last = str(sim.engine.last_price(pair.symbol))
            out[pair.key] = {
                "a": [str(ask), "1", str(ask_qty)], "b": [str(bid), "1", str(bid_qty)],
                "c": [last, "0"], "v": ["0", "0"], "p": [last, last], "t": [0, 0],
                "l": [last, last], "h": [last, last], "o": last,
            }  # fmt: skip
        return out

    def balance(call: Call) -> object:
        return render.balance_json(sim.engine.balances(call.account))

    def balance_ex(call: Call) -> object:
        return render.balance_ex_json(sim.engine.balances(call.account))

    def ws_token(call: Call) -> object:
        assert call.key is not None
        return {"token": call.state.issue_token(call.key, call.now_ms), "expires": TOKEN_TTL_S}

    def api_key_info(call: Call) -> object:
        assert call.key is not None
        return key_info_json(call.key, call.now_ms)

    return [
        Endpoint("Time", time, private=False),
        Endpoint("SystemStatus", system_status, private=False),
        Endpoint("Assets", assets, private=False),
        Endpoint("AssetPairs", asset_pairs, private=False),
        Endpoint("Ticker", ticker, private=False),
        Endpoint("Balance", balance),
        Endpoint("BalanceEx", balance_ex),
        Endpoint("GetWebSocketsToken", ws_token),
        Endpoint("GetApiKeyInfo", api_key_info, needs="none"),
    ]
