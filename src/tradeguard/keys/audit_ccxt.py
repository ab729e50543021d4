"""Bybit, OKX and Kraken keys, asked about through ccxt (the optional `tradeguard[ccxt]` extra).
An I/O edge: it makes the signed read-only calls and hands the replies to the pure readers in
`audit_venues`; `audit.audit` judges the result. ccxt is imported inside functions only.

    report = await fetch_report("bybit", credentials)           # raises on a refusal
    fetched = await fetch("okx", credentials)                   # never raises for what it finds
    findings = key_findings(fetched, policy, now_ms, first_seen_ms=...)

What each venue is asked (exchange-wire.md §5-§7), all through ccxt's implicit API methods:

- Bybit: `GET /v5/user/query-api` (needs no particular permission). It names every right,
  the IP list, the creation date and the expiry.
- OKX: `GET /api/v5/account/config`. Its `perm` names read/trade/withdraw and `ip` the
  whitelist; transfer, margin/futures/options, creation time and expiry stay unverified.
- Kraken: no endpoint lists a key's rights, so three private calls that move no funds and
  change no state are tried and their refusals read (`EGeneral:Permission denied`):
  `Balance` (Funds - Query), `OpenOrders` (Orders and trades - Query open orders) and
  `WithdrawMethods` (Funds - Query *and* Funds - Withdraw [C KR], so, with Balance allowed, a
  denial there means the key cannot withdraw; `DepositMethods` needs Query only and
  `WithdrawStatus` is not documented in exchange-wire.md, so neither tells the rights apart).
  No order call is made, not even `AddOrder validate=true`: whether validate checks the
  right is undocumented and a dropped flag would place a real order. So Kraken's trading
  right, IP whitelist, creation time and expiry stay unverified. The three calls count on
  the key's call counter, shared with the sessions on the key (net/keycounter.py): each waits
  for room there, as a session's call would, so a connect's audit cannot pass the counter.

Errors: a key the venue refuses (bad key, signature, passphrase, IP not on the whitelist) is
a `fail`; an exchange that cannot be reached, rate-limits the call or sends an unreadable
reply leaves every key check `unverified`. No message holds the secret or the passphrase:
they are built from the venue's codes, and ccxt's own request log is silenced (it would
carry OKX's passphrase header).
"""

from __future__ import annotations

import asyncio
import binascii
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from tradeguard.errors import (
    AuthError,
    ClockSkewError,
    ConfigError,
    CredentialsError,
    ExchangeError,
    RateLimited,
    TradeguardError,
    TransportError,
)
from tradeguard.keys.audit import AuditPolicy, Finding, KeyReport, Level, audit, unknown_report
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.keys.venue_reports import (
    KrakenProbe,
    UnreadableReport,
    bybit_report,
    kraken_outcome,
    kraken_report,
    okx_report,
)
from tradeguard.net.clock import SYSTEM
from tradeguard.net.keycounter import KeyCounters, key_counters

VENUES: Final = ("bybit", "okx", "kraken")
INSTALL: Final = "pip install 'tradeguard[ccxt]'"
CHECK: Final = "key.access"

# The paths each venue's audit calls (for messages and for tests).
CALLS: Final[Mapping[str, tuple[str, ...]]] = {
    "bybit": ("GET /v5/user/query-api",),
    "okx": ("GET /api/v5/account/config",),
    "kraken": (
        "POST /0/private/Balance",
        "POST /0/private/OpenOrders",
        "POST /0/private/WithdrawMethods",
    ),
}

# Where ccxt looks for each venue's REST host (ccxt/async_support/<venue>.py, urls['api']).
_URL_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "bybit": ("spot", "futures", "v2", "public", "private"),
    "okx": ("rest",),
    "kraken": ("public", "private"),
}
_HOSTS: Final[Mapping[tuple[str, bool], str]] = {
    ("bybit", False): "https://api.bybit.com",
    ("bybit", True): "https://api-testnet.bybit.com",
    ("okx", False): "https://www.okx.com",
    ("okx", True): "https://www.okx.com",  # demo trading: same host, x-simulated-trading: 1
    ("kraken", False): "https://api.kraken.com",
}

# ccxt logs each request's headers at DEBUG (OKX's passphrase among them): not through us.
_SILENT = logging.Logger("tradeguard.keys.audit_ccxt.silenced")
_SILENT.disabled = True
_SILENT.propagate = False


class CcxtMissing(ConfigError):
    def __init__(self, venue: str) -> None:
        super().__init__(
            f"{venue} keys are checked through ccxt, which is not installed", hint=INSTALL
        )


class KeyRejected(AuthError):
    """The venue refused the key itself: bad key, signature, passphrase, or this host's IP."""


def venue_url(venue: str, sandbox: bool = False) -> str | None:
    """The venue's REST host (testnet/demo when `sandbox`); None where it has none."""
    return _HOSTS.get((venue, sandbox))


# ── the calls ────────────────────────────────────────────────────────────────────────────────


async def fetch_report(
    venue: str,
    credentials: ApiCredentials,
    *,
    base_url: str | None = None,
    timeout_s: float = 10,
    sandbox: bool = False,
) -> KeyReport:
    """Ask `venue` what `credentials` may do. `base_url` replaces the venue's host (a test
    server, a mirror); `sandbox` uses its testnet (Bybit) or demo trading (OKX).

    Raises KeyRejected (the venue refused the key), ClockSkewError (timestamp or nonce
    refused), RateLimited, TransportError (nobody answered), UnreadableReport or
    ExchangeError (an answer that says nothing of the key), CcxtMissing, ConfigError or
    CredentialsError (nothing was sent)."""
    if venue not in VENUES:
        raise ConfigError(f"no ccxt key audit for venue {venue!r}", hint="bybit, okx or kraken")
    if sandbox and base_url is None and venue_url(venue, True) is None:
        raise ConfigError(
            f"{venue} has no spot testnet to check the key on",
            hint="set the profile's base_url, or check the key at the exchange",
        )
    exchange = _exchange(venue, credentials, base_url, timeout_s, sandbox)
    try:
        if venue == "bybit":
            return bybit_report(
                await _call(venue, exchange, exchange.private_get_v5_user_query_api)
            )
        if venue == "okx":
            return okx_report(await _call(venue, exchange, exchange.private_get_account_config))
        host = urlsplit(base_url or venue_url(venue) or "").netloc
        return kraken_report(await _kraken_probe(exchange, _kraken_counters(host, credentials)))
    finally:
        await exchange.close()


def _exchange(
    venue: str,
    credentials: ApiCredentials,
    base_url: str | None,
    timeout_s: float,
    sandbox: bool,
) -> Any:
    try:
        import ccxt.async_support as ccxt_async
    except ImportError:
        raise CcxtMissing(venue) from None
    if credentials.kind != "HMAC":
        raise CredentialsError(
            f"{venue} keys are HMAC keys here; got an {credentials.kind} private key",
            hint="give the key's HMAC secret",
        )
    config: dict[str, Any] = {
        "apiKey": credentials.api_key,
        "secret": credentials.secret.reveal(),
        "timeout": max(1, int(timeout_s * 1000)),
        "enableRateLimit": False,  # at most three calls, within every venue's budget
        "enableLastJsonResponse": True,  # the venue's own error code, read after a refusal
    }
    if venue == "okx":
        if credentials.passphrase is None:
            raise CredentialsError(
                "okx needs the key's API passphrase",
                hint='add passphrase = "OKX_PASSPHRASE" to the profile\'s credentials',
            )
        config["password"] = credentials.passphrase.reveal()
    exchange = getattr(ccxt_async, venue)(config)
    exchange.logger = _SILENT
    exchange.verbose = False
    if sandbox and venue_url(venue, True) is not None:
        exchange.set_sandbox_mode(True)
    if base_url is not None:
        api = exchange.urls["api"]
        for key in _URL_KEYS[venue]:
            api[key] = base_url.rstrip("/")
    return exchange


async def _call(venue: str, exchange: Any, method: Callable[[], Awaitable[Any]]) -> Any:
    """One implicit-API call; ccxt's errors become tradeguard's."""
    import ccxt

    exchange.last_json_response = None
    try:
        reply = await method()
    except ccxt.BaseError as exc:
        raise _translate(venue, exchange, exc) from None
    except binascii.Error:
        # ccxt decodes the secret while signing (Kraken's is base64): never show the text.
        raise CredentialsError(
            f"the {venue} secret could not be used to sign",
            hint="copy the secret again from the exchange's API key page",
        ) from None
    if not isinstance(reply, Mapping):
        raise UnreadableReport(venue, f"the reply is a {type(reply).__name__}, not an object")
    return reply


@dataclass(frozen=True)
class _Counted:
    """The key's call counters, shared with its sessions, and what a call adds to them."""

    shared: KeyCounters
    costs: Callable[[str, str], tuple[int, ...]]

    async def admit(self, call: str) -> None:
        """Wait until `call` ("POST /0/private/X") fits under the counters, and count it."""
        method, path = call.split(" ", 1)
        while True:
            wait = self.shared.admit(self.costs(method, path), SYSTEM.wall_ms())
            if wait <= 0:
                return
            await asyncio.sleep(wait)


def _kraken_counters(host: str, credentials: ApiCredentials) -> _Counted:
    from tradeguard.venues.ccxt.adapters import adapter_for

    adapter = adapter_for("kraken")
    counters = key_counters("kraken", host, credentials.api_key, adapter.call_counters)
    return _Counted(counters, adapter.call_costs)


async def _kraken_probe(exchange: Any, counters: _Counted) -> KrakenProbe:
    outcomes = []
    calls = (
        exchange.private_post_balance,
        exchange.private_post_openorders,
        exchange.private_post_withdrawmethods,
    )
    for name, call in zip(CALLS["kraken"], calls, strict=True):
        await counters.admit(name)
        try:
            reply = await _call("kraken", exchange, call)
            outcomes.append(kraken_outcome(_kraken_errors(reply)))
        except RateLimited:
            counters.shared.observe_full(SYSTEM.wall_ms())  # someone spends on the key
            raise
        except (KeyRejected, ClockSkewError, TransportError, CredentialsError):
            raise
        except ExchangeError:  # a refusal that is not the key's: read the venue's own list
            outcomes.append(kraken_outcome(_kraken_errors(exchange.last_json_response)))
    balance, open_orders, withdraw_methods = outcomes
    return KrakenProbe(balance=balance, open_orders=open_orders, withdraw_methods=withdraw_methods)


def _kraken_errors(body: object) -> list[str]:
    errors = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        return ["(no error list)"]  # FAILED: says nothing about the right
    return errors


# ── ccxt's errors, as tradeguard's ───────────────────────────────────────────────────────────

_IP = "this host's IP is not on the key's whitelist"
_IP_FIX = "add this host's public IP to the key's IP whitelist at the exchange"
_KEY_FIX = (
    "check the API key and secret, and that the key was made for this environment "
    "(testnet and live keys differ)"
)
_SIGN_FIX = "the secret does not match the key: copy it again from the exchange's API key page"
_REFUSALS: Final[Mapping[tuple[str, str], tuple[str, str]]] = {
    ("bybit", "10003"): ("the API key is invalid, or belongs to the other environment", _KEY_FIX),
    ("bybit", "10004"): ("the request's signature did not match", _SIGN_FIX),
    ("bybit", "10005"): (
        "the key lacks the permission for this call",
        "check the key's permissions at the exchange",
    ),
    ("bybit", "10010"): (_IP, _IP_FIX),
    ("okx", "50101"): ("the API key does not match this environment (live or demo)", _KEY_FIX),
    ("okx", "50105"): (
        "the API passphrase is wrong",
        "give the passphrase set when the key was created",
    ),
    ("okx", "50110"): (_IP, _IP_FIX),
    ("okx", "50111"): ("the API key is invalid", _KEY_FIX),
    ("okx", "50113"): ("the request's signature did not match", _SIGN_FIX),
    ("kraken", "EAPI:Invalid key"): ("the API key is invalid", _KEY_FIX),
    ("kraken", "EAPI:Invalid signature"): ("the request's signature did not match", _SIGN_FIX),
}


def _venue_error(venue: str, body: object) -> tuple[str, str]:
    """The venue's own error code and message from its last reply, if it sent one."""
    if not isinstance(body, Mapping):
        return "", ""
    if venue == "bybit":
        return str(body.get("retCode", body.get("ret_code", ""))), str(body.get("retMsg", ""))
    if venue == "okx":
        return str(body.get("code", "")), str(body.get("msg", ""))
    errors = _kraken_errors(body)
    return (errors[0], "") if errors else ("", "")


def _int(code: str) -> int | None:
    try:
        return int(code)
    except ValueError:
        return None


def _translate(venue: str, exchange: Any, exc: Exception) -> TradeguardError:
    import ccxt

    code, text = _venue_error(venue, getattr(exchange, "last_json_response", None))
    said = ": ".join(p for p in (code, text) if p) or type(exc).__name__
    number = _int(code)
    if isinstance(exc, ccxt.InvalidNonce):
        hint = (
            "give each program its own Kraken key; a nonce must always increase"
            if venue == "kraken"
            else "sync this host's clock (NTP)"
        )
        return ClockSkewError(
            number, f"{venue} refused the request's timestamp ({said})", None, hint=hint
        )
    if isinstance(exc, ccxt.DDoSProtection):
        return RateLimited(number, f"{venue} rate-limited the key check ({said})", None)
    if isinstance(exc, ccxt.NetworkError):
        return TransportError(
            f"{venue} could not be reached ({type(exc).__name__})",
            hint="check the network, the profile's env and base_url",
        )
    if venue == "kraken" and code.startswith("EGeneral:Permission denied"):
        return ExchangeError(None, "kraken: permission denied", None)  # a probe's answer
    # A refusal of the key, by the venue's code (ccxt maps some only broadly, or not at all:
    # Kraken's EAPI:Invalid signature is a plain ExchangeError there).
    what, fix = _REFUSALS.get((venue, code), ("", ""))
    if not what and isinstance(exc, ccxt.AuthenticationError):  # PermissionDenied too
        what = (
            "this host's IP or the key's permissions"
            if isinstance(exc, ccxt.PermissionDenied)
            else "the API key was refused"
        )
        fix = "check the key at the exchange: valid, IP whitelist, trading enabled"
    if what:
        return KeyRejected(number, f"{venue} refused the API key: {what} ({said})", None, hint=fix)
    return ExchangeError(number, f"{venue} answered with an error ({said})", None)


# ── for doctor and connect: one `key.access` finding and the audit ───────────────────────────


@dataclass(frozen=True, slots=True)
class Fetched:
    """The outcome of asking the venue: `access` is the `key.access` finding (pass, a fail when
    the venue refused the key, unverified when nothing could be learned); `report` is what the
    venue said, None when nothing was learned."""

    venue: str
    access: Finding
    report: KeyReport | None = None


async def fetch(
    venue: str,
    credentials: ApiCredentials,
    *,
    base_url: str | None = None,
    timeout_s: float = 10,
    sandbox: bool = False,
) -> Fetched:
    """`fetch_report`, with every outcome turned into a `key.access` finding. Never raises for
    what it finds."""
    calls = ", ".join(CALLS.get(venue, ()))
    try:
        report = await fetch_report(
            venue, credentials, base_url=base_url, timeout_s=timeout_s, sandbox=sandbox
        )
    except CcxtMissing as exc:
        return Fetched(venue, Finding(CHECK, Level.UNVERIFIED, exc.message, exc.hint or INSTALL))
    except (KeyRejected, ClockSkewError, CredentialsError) as exc:
        text = exc.msg if isinstance(exc, ExchangeError) else exc.message
        return Fetched(venue, Finding(CHECK, Level.FAIL, _safe(text, credentials), exc.hint or ""))
    except (ConfigError, RateLimited, TransportError, ExchangeError) as exc:
        text = exc.msg if isinstance(exc, ExchangeError) else exc.message
        return Fetched(
            venue,
            Finding(
                CHECK,
                Level.UNVERIFIED,
                _safe(f"the key's permissions were not checked: {text}", credentials),
                exc.hint or "run `tradeguard doctor` again, or check the key at the exchange",
            ),
        )
    if venue == "kraken" and not report.authenticated:  # neither Balance nor OpenOrders went
        if report.can_read is False:  # refused for want of a right: the key itself is known
            access = Finding(
                CHECK, Level.PASS, "kraken knows the key but refused it Balance and OpenOrders"
            )
            return Fetched(venue, access, report)
        return Fetched(
            venue,
            Finding(
                CHECK,
                Level.UNVERIFIED,
                f"kraken's probe calls failed without saying whether the key works ({calls})",
                "run `tradeguard doctor` again, or check the key at the exchange",
            ),
        )
    return Fetched(venue, Finding(CHECK, Level.PASS, f"{venue} accepted the key ({calls})"), report)


def key_findings(
    fetched: Fetched,
    policy: AuditPolicy,
    now_ms: int,
    *,
    first_seen_ms: int | None = None,
    egress_ip: str | None = None,
) -> list[Finding]:
    """`key.access` then the audit: of the venue's report; of nothing (every check
    unverified) when the venue could not be asked; none at all when it refused the key."""
    if fetched.access.level is Level.FAIL:
        return [fetched.access]
    report = fetched.report or unknown_report(fetched.venue, "not reached")
    return [
        fetched.access,
        *audit(report, policy, now_ms, first_seen_ms=first_seen_ms, egress_ip=egress_ip),
    ]


def _safe(text: str, credentials: ApiCredentials) -> str:
    """Belt and braces: a message never carries the secret or the passphrase."""
    for secret in (credentials.secret, credentials.passphrase):
        if secret is not None:
            text = text.replace(secret.reveal(), "***")
    return text


__all__ = [
    "CALLS",
    "INSTALL",
    "VENUES",
    "CcxtMissing",
    "Fetched",
    "KeyRejected",
    "fetch",
    "fetch_report",
    "key_findings",
    "venue_url",
]
