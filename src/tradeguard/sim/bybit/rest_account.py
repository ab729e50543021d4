"""Bybit's market-data, account and key endpoints.

GET /v5/market/time               {timeSecond, timeNano}; the envelope's `time` is what
                                  ccxt's fetch_time reads
GET /v5/market/tickers           category=spot: last price and the top of the book
GET /v5/market/instruments-info   category=spot: the engine's symbols with their real tick,
                                  step, min/max quantity and min/max order value; other
                                  categories: an empty list (the simulator is spot only)
GET /v5/account/wallet-balance    accountType=UNIFIED: the account's coins
GET /v5/account/info              a unified trading account (unifiedMarginStatus 6)
GET /v5/user/query-api            the calling key as Bybit describes it: readOnly, the
                                  permission sets (Spot: SpotTrade; Wallet: Withdraw when the
                                  key may withdraw), its IP whitelist ("*" when none), when it
                                  expires (a key without IPs lapses 90 days after creation)
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Final

from tradeguard.sim.bybit import shapes
from tradeguard.sim.bybit.errors import params_error
from tradeguard.sim.bybit.pipeline import Call, Route
from tradeguard.sim.keys import ApiKey

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

DAY_MS: Final = 86_400_000
UNBOUND_KEY_LIFE_MS: Final = 90 * DAY_MS  # Bybit expires keys without an IP whitelist [D]
CATEGORIES: Final = ("spot", "linear", "inverse", "option")


def uid(account: str) -> int:
    """A stable, made-up Bybit UID per simulated account."""
    return 10_000_000 + zlib.crc32(account.encode("utf-8")) % 90_000_000


def key_info(k: ApiKey, now_ms: int) -> dict[str, object]:
    """GET /v5/user/query-api's result for key `k` (fields of Bybit's docs v5/user/apikey-info)."""
    trade = k.can_trade(now_ms)
    # transfer rights only on a key given them: the audit refuses a key that can move funds
    wallet = (["AccountTransfer", "SubMemberTransfer"] if k.enable_internal_transfer else []) + (
        ["Withdraw"] if k.enable_withdrawals else []
    )
    if k.allowed_ips and k.ip_restrict:
        expires_at, deadline_day = shapes.iso(0), -1
    else:
        expiry = k.create_time_ms + UNBOUND_KEY_LIFE_MS
        expires_at, deadline_day = shapes.iso(expiry), max(0, -(-(expiry - now_ms) // DAY_MS))
    return {
        "id": str(zlib.crc32(k.api_key.encode("ascii"))),
        "note": k.name,
        "apiKey": k.api_key,
        "readOnly": 0 if trade else 1,
        "secret": "",
        "permissions": {
            "ContractTrade": [],
            "Spot": ["SpotTrade"] if trade else [],
            "Wallet": wallet,
            "Options": [],
            "Derivatives": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": ["ExchangeHistory"],
            "NFT": [],
            "Affiliate": [],
            "Earn": [],
            "FiatP2P": [],
        },
        "ips": list(k.allowed_ips) if k.ip_restrict and k.allowed_ips else ["*"],
        "type": 1,
        "deadlineDay": deadline_day,
        "expiredAt": expires_at,
        "createdAt": shapes.iso(k.create_time_ms),
        "unified": 0,
        "uta": 1,
        "userID": uid(k.account),
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": k.public_key_pem if k.kind == "RSA" else "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }


def routes(sim: Sim) -> list[Route]:
    def server_time(call: Call) -> object:
        now = call.now_ms
        return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}

    def instruments(call: Call) -> object:
        p = call.params
        category = p.required("category")
        if category not in CATEGORIES:
            raise params_error(f"category must be one of {', '.join(CATEGORIES)}")
        specs = list(sim.engine.symbols.values()) if category == "spot" else []
        symbol = p.text("symbol")
        rows = [shapes.instrument(s) for s in specs if symbol in (None, s.symbol)]
        return {"category": category, "list": rows, "nextPageCursor": ""}

    def tickers(call: Call) -> object:
        p = call.params
        if p.required("category") != "spot":
            raise params_error("category only support spot")
        symbol = p.text("symbol")
        rows = []
        for spec in sim.engine.symbols.values():
            if symbol not in (None, spec.symbol):
                continue
            bid, bid_qty, ask, ask_qty = sim.engine.book_ticker(spec.symbol)
            rows.append(
                {
                    "symbol": spec.symbol,
                    "lastPrice": str(sim.engine.last_price(spec.symbol)),
                    "bid1Price": str(bid),
                    "bid1Size": str(bid_qty),
                    "ask1Price": str(ask),
                    "ask1Size": str(ask_qty),
                }
            )
        return {"category": "spot", "list": rows}

    def wallet_balance(call: Call) -> object:
        p = call.params
        if p.text("accountType") != "UNIFIED":
            raise params_error("accountType only support UNIFIED")
        balances = sim.engine.balances(call.account)
        coins = p.text("coin")
        if coins is not None:
            wanted = set(coins.split(","))
            balances = {a: b for a, b in balances.items() if a in wanted}
        return {"list": [shapes.wallet(balances)]}

    def account_info(call: Call) -> object:
        return {
            "unifiedMarginStatus": 6,
            "marginMode": "REGULAR_MARGIN",
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
            "updatedTime": str(call.now_ms),
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
        }

    def query_api(call: Call) -> object:
        assert call.key is not None  # a signed route
        return key_info(call.key, call.now_ms)

    return [
        Route("GET", "/v5/market/time", server_time, signed=False),
        Route("GET", "/v5/market/instruments-info", instruments, signed=False),
        Route("GET", "/v5/market/tickers", tickers, signed=False),
        Route("GET", "/v5/account/wallet-balance", wallet_balance, group="wallet"),
        Route("GET", "/v5/account/info", account_info, group="account"),
        Route("GET", "/v5/user/query-api", query_api, group="account"),
    ]
