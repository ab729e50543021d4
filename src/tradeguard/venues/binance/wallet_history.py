"""Binance's deposit and withdrawal histories, read when a balance does not match the journal.

`GET /sapi/v1/capital/deposit/hisrec` and `GET /sapi/v1/capital/withdraw/history` (signed,
USER_DATA: a key with reading enabled). Binance answers at most 90 days a request and 1000
rows; reconciliation asks one page of each since the journal's last balance report, which is
minutes or days, not 90 days of moves. Only completed moves count: a pending deposit is not in
the balance yet, a failed withdrawal never left it. A withdrawal is taken to move the balance by
its amount plus its fee (`transactionFee`); Binance's documents do not say whether `amount` is
before or after the fee, so reconciliation also accepts the amount alone (WalletMove.fee).
Binance writes a withdrawal's times as UTC text to the second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from tradeguard.venues.binance.endpoints import Request
from tradeguard.venues.binance.parse import decode
from tradeguard.venues.wallet_moves import WalletMove

DEPOSIT_SUCCESS = 1
WITHDRAWAL_COMPLETED = 6
SPAN_MS = 90 * 24 * 3_600_000 - 60_000  # Binance refuses a window of 90 days or more
PAGE = 1000


class WireDeposit(msgspec.Struct):
    id: str
    amount: Decimal
    coin: str
    status: int
    insertTime: int
    completeTime: int | None = None


class WireWithdrawal(msgspec.Struct):
    id: str
    amount: Decimal
    coin: str
    status: int
    applyTime: str
    transactionFee: Decimal = Decimal(0)
    completeTime: str | None = None


def _window(asset: str, since_ms: int, now_ms: int) -> tuple[tuple[str, str], ...]:
    start = max(since_ms, now_ms - SPAN_MS)
    return (
        ("coin", asset),
        ("startTime", str(start)),
        ("endTime", str(max(now_ms, start))),
        ("limit", str(PAGE)),
    )


def deposit_history(asset: str, since_ms: int, now_ms: int) -> Request:
    return Request(
        "GET",
        "/sapi/v1/capital/deposit/hisrec",
        _window(asset, since_ms, now_ms),
        signed=True,
        weight=1,
    )


def withdraw_history(asset: str, since_ms: int, now_ms: int) -> Request:
    return Request(
        "GET",
        "/sapi/v1/capital/withdraw/history",
        _window(asset, since_ms, now_ms),
        signed=True,
        weight=1,  # Binance counts it by UID (18000 of 180000 a minute), not by IP
    )


def _utc_ms(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000


def deposits(body: bytes) -> list[WalletMove]:
    return [
        WalletMove(d.id, d.coin, d.amount, d.insertTime)
        for d in decode(body, list[WireDeposit], "deposit history")
        if d.status == DEPOSIT_SUCCESS
    ]


def withdrawals(body: bytes) -> list[WalletMove]:
    return [
        WalletMove(
            w.id, w.coin, -(w.amount + w.transactionFee), _utc_ms(w.applyTime), w.transactionFee
        )
        for w in decode(body, list[WireWithdrawal], "withdrawal history")
        if w.status == WITHDRAWAL_COMPLETED
    ]
