"""Wallet and margin listings that ccxt reads while loading markets with a key.

ccxt's Binance `fetch_currencies` signs `GET /sapi/v1/capital/config/getall` (and, unless told
`fetchMargins: False`, `/sapi/v1/margin/allPairs`, with `margin/isolated/allPairs` from
`fetch_markets`) whenever credentials are set; a bot that keeps ccxt's defaults (freqtrade does)
stops at the first 404. The simulator trades spot only and has no network to move coins on, so
every asset is listed with the account's balance, no network and deposits and withdrawals off,
and both margin listings are empty.

The deposit and withdrawal histories (`/sapi/v1/capital/deposit/hisrec`,
`/sapi/v1/capital/withdraw/history`) list the balance changes made through the control API,
completed, in Binance's shapes and with its parameters (coin, status, startTime, endTime: at
most 90 days apart, the last 90 days by default; offset, limit up to 1000), newest first. A
session reads them to explain a balance that moved while it was away (session/reconcile.py).
Binance weighs the withdrawal history by UID (18000 of 180000 a minute); the simulator counts
both as IP weight 1, which is what Binance charges for the deposit history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim.auth import Security
from tradeguard.sim.engine_ledger import WalletMove
from tradeguard.sim.rest_params import reject
from tradeguard.sim.rest_pipeline import Call, Endpoint
from tradeguard.sim.wire import d8

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

ZERO = "0"
HISTORY_SPAN_MS = 90 * 24 * 3_600_000  # the widest startTime-endTime window Binance answers
DEPOSIT_SUCCESS = 1  # Binance's deposit status "success"
WITHDRAWAL_COMPLETED = 6  # Binance's withdrawal status "completed"
NETWORK = "SIM"


def _utc_text(ms: int) -> str:
    """Binance writes a withdrawal's times as UTC text to the second."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def deposit_json(move: WalletMove) -> dict[str, object]:
    return {
        "id": move.move_id,
        "amount": d8(move.amount),
        "coin": move.asset,
        "network": NETWORK,
        "status": DEPOSIT_SUCCESS,
        "address": "",
        "addressTag": "",
        "txId": f"sim-tx-{move.move_id}",
        "insertTime": move.at_ms,
        "completeTime": move.at_ms,
        "transferType": 0,
        "confirmTimes": "1/1",
        "unlockConfirm": 0,
        "walletType": 0,
    }


def withdrawal_json(move: WalletMove) -> dict[str, object]:
    return {
        "id": move.move_id,
        "amount": d8(-move.amount),
        "transactionFee": d8(Decimal(0)),
        "coin": move.asset,
        "status": WITHDRAWAL_COMPLETED,
        "address": "",
        "txId": f"sim-tx-{move.move_id}",
        "applyTime": _utc_text(move.at_ms),
        "network": NETWORK,
        "transferType": 0,
        "confirmNo": 1,
        "walletType": 0,
        "txKey": "",
        "completeTime": _utc_text(move.at_ms),
    }


def endpoints(sim: Sim) -> list[Endpoint]:
    def coins(call: Call) -> object:
        held = sim.engine.balances(call.account)
        assets = set(held)
        for spec in sim.engine.symbols.values():
            assets.update((spec.base, spec.quote))
        out = []
        for asset in sorted(assets):
            balance = held.get(asset)
            out.append(
                {
                    "coin": asset,
                    "depositAllEnable": False,
                    "free": d8(balance.free) if balance else d8(Decimal(0)),
                    "freeze": ZERO,
                    "ipoable": ZERO,
                    "ipoing": ZERO,
                    "isLegalMoney": False,
                    "locked": d8(balance.locked) if balance else d8(Decimal(0)),
                    "name": asset,
                    "networkList": [],
                    "storage": ZERO,
                    "trading": True,
                    "withdrawAllEnable": False,
                    "withdrawing": ZERO,
                }
            )
        return out

    def history(call: Call, deposits: bool) -> list[WalletMove]:
        p = call.params
        coin, status = p.text("coin"), p.integer("status")
        start, end = p.integer("startTime"), p.integer("endTime")
        if start is not None and end is not None and end - start > HISTORY_SPAN_MS:
            raise reject(-1127, HISTORY_SPAN_MS // 3_600_000)
        if end is None:
            end = call.now_ms if start is None else start + HISTORY_SPAN_MS
        if start is None:
            start = end - HISTORY_SPAN_MS
        offset = p.integer("offset") or 0
        limit = p.limit("limit", 1000, 1000)
        done = DEPOSIT_SUCCESS if deposits else WITHDRAWAL_COMPLETED
        found = [
            m
            for m in reversed(sim.engine.wallet_moves(call.account))
            if m.is_deposit == deposits
            and (coin is None or m.asset == coin)
            and (status is None or status == done)
            and start <= m.at_ms <= end
        ]
        return found[offset : offset + limit]

    def deposit_history(call: Call) -> object:
        return [deposit_json(m) for m in history(call, deposits=True)]

    def withdraw_history(call: Call) -> object:
        return [withdrawal_json(m) for m in history(call, deposits=False)]

    def no_margin_pairs(call: Call) -> object:
        return []  # spot only: nothing here trades on margin

    return [
        Endpoint(
            "GET", "/sapi/v1/capital/config/getall", coins, weight=10, security=Security.USER_DATA
        ),
        Endpoint(
            "GET",
            "/sapi/v1/capital/deposit/hisrec",
            deposit_history,
            security=Security.USER_DATA,
        ),
        Endpoint(
            "GET",
            "/sapi/v1/capital/withdraw/history",
            withdraw_history,
            security=Security.USER_DATA,
        ),
        Endpoint("GET", "/sapi/v1/margin/allPairs", no_margin_pairs, security=Security.MARKET_DATA),
        Endpoint(
            "GET",
            "/sapi/v1/margin/isolated/allPairs",
            no_margin_pairs,
            weight=10,
            security=Security.USER_DATA,
        ),
    ]
