"""The private stream's balance messages as `BalanceChanged` at the exchange's update time.

ccxt.pro's `watch_balance` subscribes (Bybit `wallet`, OKX `account`) and merges every
message into one balance structure, dropping the time the venue stamped it with (Bybit's
`creationTime`), and keeping no word of which assets a message reported. The journal's fold
places a report by that time (a report older than the one held is not applied; a fill no
later than it is counted in it), so the stream reads the raw message instead: the venue's
time and the assets it reported, free and locked as sent, in exact decimals.

    Bybit  {"topic":"wallet","creationTime":T,"data":[{"coin":[{"coin","walletBalance",
           "locked","availableToWithdraw"}]}]}: free = availableToWithdraw, or walletBalance -
           locked where a unified account sends "" (it does)
    OKX    {"arg":{"channel":"account"},"data":[{"uTime":T,"details":[{"ccy","availBal",
           "frozenBal","cashBal"}]}]}: free = availBal (cashBal - frozenBal if ""), locked =
           frozenBal

Kraken's `balances` channel is not read: it sends each asset's total only (no free and
locked apart), so reconciliation keeps its balances.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tradeguard.model import Balance
from tradeguard.venues.ccxt.reports import dec

Report = tuple[int | None, tuple[Balance, ...]]  # the exchange's time, the assets reported


def _time(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _free(sent: Any, total: Any, locked: Any) -> Decimal:
    if sent not in (None, ""):
        return dec(sent)
    return dec(total) - dec(locked)


def _bybit(message: dict[str, Any]) -> list[Report]:
    at = _time(message.get("creationTime")) or _time(message.get("ts"))
    balances: list[Balance] = []
    for row in message.get("data") or []:
        for coin in row.get("coin") or []:
            locked = dec(coin.get("locked"))
            free = _free(coin.get("availableToWithdraw"), coin.get("walletBalance"), locked)
            balances.append(Balance(str(coin["coin"]), free, locked))
    return [(at, tuple(balances))] if balances else []


def _okx(message: dict[str, Any]) -> list[Report]:
    out: list[Report] = []
    for row in message.get("data") or []:
        details = row.get("details") or []
        balances = tuple(
            Balance(
                str(d["ccy"]),
                _free(d.get("availBal"), d.get("cashBal"), d.get("frozenBal")),
                dec(d.get("frozenBal")),
            )
            for d in details
        )
        if balances:
            times = [_time(d.get("uTime")) for d in details] + [_time(row.get("uTime"))]
            out.append((max((t for t in times if t is not None), default=None), balances))
    return out


# Bybit's reader is not wired yet: with the `wallet` topic subscribed, ccxt merges a repeated
# `execution` frame into its trade cache before `watch_my_trades` returns it, so the session
# no longer sees (and counts) the repeat; tests/scenarios/test_stream.py's duplicate tallies
# rely on seeing it. No fill is lost or booked twice either way.
READERS: dict[str, Callable[[dict[str, Any]], list[Report]]] = {"okx": _okx}
NOT_WIRED = {"bybit": _bybit}


def reader(venue: str) -> Callable[[dict[str, Any]], list[Report]] | None:
    """How `venue`'s balance messages are read; None where the stream does not carry them."""
    return READERS.get(venue)
