"""Each venue's own account of an API key, turned into the audit's venue-neutral `KeyReport`.
Pure: the caller fetched the reply (exchange-wire.md §3, §5, §6, §7); these only read it.

- Binance: `GET /sapi/v1/account/apiRestrictions` (parse.ApiRestrictions).
- Bybit: `GET /v5/user/query-api`, the whole `{"retCode", "result", ...}` envelope.
- OKX: `GET /api/v5/account/config`, the whole `{"code", "data": [...]}` envelope. It reports
  read/trade/withdraw and the IP list only; margin, futures, options, transfer, creation time
  and expiry stay unknown (unverified), and the key's age comes from the local first-seen record.
- Kraken: no endpoint lists a key's rights, so a probe that moves no funds tries calls that
  need each right and records which were refused (`KrakenProbe`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tradeguard.errors import ExchangeError
from tradeguard.keys.audit import KeyReport
from tradeguard.venues.binance.parse import ApiRestrictions


class UnreadableReport(ExchangeError):
    """A venue's key-information reply could not be read; nothing is assumed from it."""

    def __init__(self, venue: str, detail: str) -> None:
        super().__init__(
            None,
            f"unreadable {venue} key information: {detail}",
            None,
            hint="the audit treats every right of this key as unverified",
        )


# ── Binance ─────────────────────────────────────────────────────────────────────────────────


def binance_report(r: ApiRestrictions) -> KeyReport:
    return KeyReport(
        venue="binance",
        can_read=r.enableReading,
        can_trade_spot=r.enableSpotAndMarginTrading,
        can_withdraw=r.enableWithdrawals,
        can_transfer=r.enableInternalTransfer or r.permitsUniversalTransfer,
        # Binance's spot right is "Spot & Margin Trading"; margin *borrowing* is enableMargin.
        margin=r.enableMargin or r.enablePortfolioMarginTrading,
        futures=r.enableFutures,
        options=r.enableVanillaOptions,
        ip_restricted=r.ipRestrict,
        allowed_ips=None,  # apiRestrictions says whether, not which
        created_ms=r.createTime,
        trading_expiry_ms=r.tradingAuthorityExpirationTime,
        reports_expiry=True,  # the field is sent when the trading right expires
        source="apiRestrictions",
    )


# ── Bybit ───────────────────────────────────────────────────────────────────────────────────

_BYBIT_NO_IP = ("", "*")


def _iso_ms(value: object, venue: str, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise UnreadableReport(venue, f"{name} is not a date: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableReport(venue, f"{name} is not a date: {value!r}") from None
    if parsed.tzinfo is None:
        raise UnreadableReport(venue, f"{name} has no time zone: {value!r}")
    ms = int(parsed.timestamp() * 1000)
    return ms if ms > 0 else None  # Bybit's "1970-01-01T00:00:00Z" means "none"


def _perm_list(perms: Mapping[str, Any], group: str) -> list[str]:
    value = perms.get(group) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UnreadableReport("bybit", f"permissions.{group} is not a list of names")
    return value


def bybit_report(body: Mapping[str, Any]) -> KeyReport:
    if body.get("retCode") != 0:
        raise UnreadableReport("bybit", f"retCode {body.get('retCode')!r}: {body.get('retMsg')!r}")
    result = body.get("result")
    if not isinstance(result, Mapping) or not isinstance(result.get("permissions"), Mapping):
        raise UnreadableReport("bybit", "no result.permissions")
    perms: Mapping[str, Any] = result["permissions"]
    read_only = result.get("readOnly") == 1
    wallet = _perm_list(perms, "Wallet")
    ips = result.get("ips") or []
    if not isinstance(ips, list) or not all(isinstance(ip, str) for ip in ips):
        raise UnreadableReport("bybit", "ips is not a list of addresses")
    allowed = tuple(ip for ip in ips if ip not in _BYBIT_NO_IP)
    derivatives = _perm_list(perms, "ContractTrade") + _perm_list(perms, "Derivatives")
    return KeyReport(
        venue="bybit",
        can_read=True,  # every Bybit key reads
        can_trade_spot=not read_only and "SpotTrade" in _perm_list(perms, "Spot"),
        can_withdraw="Withdraw" in wallet,
        can_transfer=any(p in wallet for p in ("AccountTransfer", "SubMemberTransfer")),
        margin=None,  # unified-account margin is an account setting, not a key right
        futures=not read_only and bool(derivatives),
        options=not read_only and bool(_perm_list(perms, "Options")),
        ip_restricted=bool(allowed),
        allowed_ips=allowed or None,
        created_ms=_iso_ms(result.get("createdAt"), "bybit", "createdAt"),
        trading_expiry_ms=_iso_ms(result.get("expiredAt"), "bybit", "expiredAt"),
        reports_expiry=True,
        source="query-api",
    )


# ── OKX ─────────────────────────────────────────────────────────────────────────────────────


def okx_report(body: Mapping[str, Any]) -> KeyReport:
    if body.get("code") != "0":
        raise UnreadableReport("okx", f"code {body.get('code')!r}: {body.get('msg')!r}")
    data = body.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
        raise UnreadableReport("okx", "no data[0]")
    config: Mapping[str, Any] = data[0]
    perm, ip = config.get("perm"), config.get("ip", "")
    if not isinstance(perm, str) or not isinstance(ip, str):
        raise UnreadableReport("okx", "perm or ip is not text")
    rights = {p.strip() for p in perm.split(",") if p.strip()}
    allowed = tuple(a.strip() for a in ip.split(",") if a.strip())
    return KeyReport(
        venue="okx",
        can_read=True,
        can_trade_spot="trade" in rights,
        can_withdraw="withdraw" in rights,
        can_transfer=None,  # not a separate right in `perm`
        ip_restricted=bool(allowed),
        allowed_ips=allowed or None,
        source="account/config",
    )


# ── Kraken ──────────────────────────────────────────────────────────────────────────────────


class ProbeOutcome(enum.StrEnum):
    OK = "ok"  # the call was accepted
    DENIED = "denied"  # EGeneral:Permission denied
    FAILED = "failed"  # any other error: says nothing about the right
    NOT_TRIED = "not-tried"


@dataclass(frozen=True, slots=True)
class KrakenProbe:
    """Which calls a Kraken key was allowed to make. None of them moves funds:

    - balance: `Balance` (Funds - Query)
    - open_orders: `OpenOrders` (Orders and trades - Query open orders)
    - withdraw_methods: `WithdrawMethods` (Funds - Query and Funds - Withdraw)
    - add_order_validate: `AddOrder` with validate=true (Orders - Create & modify). Whether
      validate checks the right is not documented: OK is taken as "can trade" (the cautious
      reading for a read-only profile), DENIED as "cannot".
    """

    balance: ProbeOutcome = ProbeOutcome.NOT_TRIED
    open_orders: ProbeOutcome = ProbeOutcome.NOT_TRIED
    withdraw_methods: ProbeOutcome = ProbeOutcome.NOT_TRIED
    add_order_validate: ProbeOutcome = ProbeOutcome.NOT_TRIED


def _right(outcome: ProbeOutcome) -> bool | None:
    if outcome is ProbeOutcome.OK:
        return True
    if outcome is ProbeOutcome.DENIED:
        return False
    return None


def kraken_report(probe: KrakenProbe) -> KeyReport:
    read = _right(probe.balance)
    if read is None:
        read = _right(probe.open_orders)
    withdraw = _right(probe.withdraw_methods)
    if withdraw is False and probe.balance is not ProbeOutcome.OK:
        # WithdrawMethods needs Funds - Query as well as Withdraw: denied without Query shown
        # (Balance), the denial says nothing about Withdraw.
        withdraw = None
    return KeyReport(
        venue="kraken",
        can_read=read,
        can_trade_spot=_right(probe.add_order_validate),
        can_withdraw=withdraw,
        # Kraken's WalletTransfer needs the same Funds - Withdraw right [I].
        can_transfer=withdraw,
        authenticated=ProbeOutcome.OK in (probe.balance, probe.open_orders),
        source="probe",
    )


def kraken_outcome(errors: list[str]) -> ProbeOutcome:
    """A Kraken reply's `error` list as a probe outcome (matched by Kraken's error code)."""
    if not errors:
        return ProbeOutcome.OK
    if any(e.startswith("EGeneral:Permission denied") for e in errors):
        return ProbeOutcome.DENIED
    return ProbeOutcome.FAILED


__all__ = [
    "KrakenProbe",
    "ProbeOutcome",
    "UnreadableReport",
    "binance_report",
    "bybit_report",
    "kraken_outcome",
    "kraken_report",
    "okx_report",
]
