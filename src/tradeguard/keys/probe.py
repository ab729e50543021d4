"""Why Binance refused a key: telling apart the three causes behind -2015. Pure.

Binance answers -2015 "Invalid API-key, IP, or permissions for action." for an unknown key, a
request from an IP not on the key's whitelist, and a key that lacks the endpoint's permission.
Its checks run in a fixed order (key format → key, IP, permission → timestamp → signature), so a
short sequence of harmless calls, each needing a little more, narrows the cause down:

    1. public   GET /api/v3/time          reachable at all?
    2. read     GET /api/v3/account       USER_DATA: key known, IP allowed, reading allowed
    3. rights   GET /sapi/v1/account/apiRestrictions   the key's rights (404 on the testnet)
    4. trade    POST /api/v3/order/test   TRADE: spot trading allowed (validated, never placed)

- read passes, trade gets -2015          → the key lacks the trading permission (certain)
- read gets -2015, trade passes          → the key lacks the reading permission (certain)
- -1022 on a signed call                 → key known and IP allowed: the *secret* is wrong
- -2014                                  → the key itself is malformed
- both get -2015: key or IP. The wire cannot tell them apart, so the local key record decides:
  a key that authenticated from this host before and is IP-restricted → this host's IP is not
  (any longer) on the whitelist; one that was *not* IP-restricted → the key is gone (deleted or
  never existed at this venue: an IP cannot be the cause); never seen → both are named.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tradeguard.keys.audit import Level


class Step(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"  # -2015
    KEY_FORMAT = "key-format"  # -2014
    BAD_SIGNATURE = "bad-signature"  # -1022
    CLOCK = "clock"  # -1021
    NOT_FOUND = "not-found"  # HTTP 404: the endpoint does not exist here (testnet /sapi)
    REJECTED = "rejected"  # an order-level refusal (-1013, -2010): authentication had passed
    UNREACHABLE = "unreachable"  # nothing trustworthy came back
    ERROR = "error"  # any other answer
    NOT_TRIED = "not-tried"


def step_from(code: int | None, http_status: int | None) -> Step:
    """A failed probe's step, from Binance's code and the HTTP status (never the text)."""
    if code == -2015:
        return Step.REFUSED
    if code == -2014:
        return Step.KEY_FORMAT
    if code == -1022:
        return Step.BAD_SIGNATURE
    if code == -1021:
        return Step.CLOCK
    if http_status == 404:
        return Step.NOT_FOUND
    if code is not None and (code in (-1013, -2010) or -1199 <= code <= -1100):
        return Step.REJECTED  # parameters and filters are checked after authentication
    return Step.ERROR


@dataclass(frozen=True, slots=True)
class Probes:
    public: Step = Step.NOT_TRIED
    read: Step = Step.NOT_TRIED
    rights: Step = Step.NOT_TRIED
    trade: Step = Step.NOT_TRIED

    @property
    def authenticated(self) -> bool:
        return Step.OK in (self.read, self.rights) or self.trade in (Step.OK, Step.REJECTED)


@dataclass(frozen=True, slots=True)
class KeyMemory:
    """What this host remembers about a key (the local key record)."""

    worked_before: bool = False  # it authenticated from this host at least once
    ip_restricted: bool | None = None  # as the venue said last time


class Cause(enum.StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    BAD_KEY = "bad-key"
    BAD_SECRET = "bad-secret"
    IP_NOT_WHITELISTED = "ip-not-whitelisted"
    BAD_KEY_OR_IP = "bad-key-or-ip"
    NO_READ_PERMISSION = "no-read-permission"
    NO_TRADE_PERMISSION = "no-trade-permission"
    CLOCK = "clock"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    cause: Cause
    level: Level
    message: str
    fix: str
    certain: bool = True


_IP_FIX = "add this host's public IP to the key's whitelist in Binance's API Management"
_KEY_FIX = (
    "check that the profile's api_key is the whole key as Binance shows it, for this "
    "environment (testnet keys do not work on live, nor live keys on the testnet)"
)


def diagnose(probes: Probes, memory: KeyMemory, *, needs_trade: bool) -> Diagnosis:
    """The cause of a refused key, from the probe steps and the local record."""
    p = probes
    if p.public in (Step.UNREACHABLE, Step.ERROR):
        return Diagnosis(
            Cause.UNREACHABLE,
            Level.FAIL,
            "the exchange did not answer a public request",
            "check the network, the profile's venue and environment, and the exchange's status",
        )
    steps = (p.read, p.rights, p.trade)
    if Step.KEY_FORMAT in steps:
        return Diagnosis(
            Cause.BAD_KEY, Level.FAIL, "Binance says the API key is malformed (-2014)", _KEY_FIX
        )
    if Step.BAD_SIGNATURE in steps:
        return Diagnosis(
            Cause.BAD_SECRET,
            Level.FAIL,
            "Binance knows the API key and accepts this IP, but the signature is wrong (-1022): "
            "the secret does not belong to this key",
            "configure the secret (or private key) that was created with this API key",
        )
    if Step.CLOCK in steps and not p.authenticated:
        return Diagnosis(
            Cause.CLOCK,
            Level.FAIL,
            "Binance refused the request's timestamp (-1021)",
            "sync this host's clock with NTP (`sudo timedatectl set-ntp true`)",
        )
    read_ok = Step.OK in (p.read, p.rights)
    trade_ok = p.trade in (Step.OK, Step.REJECTED)
    if read_ok:
        if needs_trade and p.trade is Step.REFUSED:
            return Diagnosis(
                Cause.NO_TRADE_PERMISSION,
                Level.FAIL,
                "the key and this IP are accepted, but the key lacks the spot trading permission "
                "(-2015 on POST /api/v3/order/test)",
                'enable "Spot & Margin Trading" on the key, or set mode = "read-only"',
            )
        return Diagnosis(Cause.OK, Level.PASS, _accepted(p, needs_trade), "")
    if p.read is Step.REFUSED and trade_ok:
        return Diagnosis(
            Cause.NO_READ_PERMISSION,
            Level.FAIL,
            "the key and this IP are accepted for trading, but the key lacks the reading "
            "permission (-2015 on GET /api/v3/account)",
            'enable "Reading" on the key',
        )
    if p.read is Step.REFUSED:
        return _key_or_ip(memory)
    return Diagnosis(
        Cause.UNKNOWN,
        Level.FAIL,
        f"the key could not be checked (account: {p.read}, order test: {p.trade})",
        "run `tradeguard doctor` again; if it repeats, check the exchange's status",
        certain=False,
    )


def _accepted(p: Probes, needs_trade: bool) -> str:
    if needs_trade and trade_checked(p):
        return "Binance accepts the key from this IP for reading and trading"
    return "Binance accepts the key from this IP for reading"


def trade_checked(p: Probes) -> bool:
    return p.trade in (Step.OK, Step.REJECTED)


def _key_or_ip(memory: KeyMemory) -> Diagnosis:
    if memory.worked_before and memory.ip_restricted is False:
        return Diagnosis(
            Cause.BAD_KEY,
            Level.FAIL,
            "Binance no longer knows this API key (-2015): it worked from this host before and "
            "had no IP whitelist, so the IP cannot be the cause; the key was deleted",
            "create a new trading-only key and `tradeguard keys rotate`",
        )
    if memory.worked_before and memory.ip_restricted:
        return Diagnosis(
            Cause.IP_NOT_WHITELISTED,
            Level.FAIL,
            "Binance refuses this key from this host's IP (-2015): the key is IP-restricted "
            "and worked from this host before, so this host's public IP has most likely "
            "changed (or the key was deleted)",
            _IP_FIX,
            certain=False,
        )
    return Diagnosis(
        Cause.BAD_KEY_OR_IP,
        Level.FAIL,
        "Binance refuses this key (-2015) on every call: either the API key is wrong or "
        "deleted, or this host's IP is not on the key's whitelist (Binance does not say which)",
        f"{_KEY_FIX}; and {_IP_FIX}",
        certain=False,
    )


__all__ = [
    "Cause",
    "Diagnosis",
    "KeyMemory",
    "Probes",
    "Step",
    "diagnose",
    "step_from",
    "trade_checked",
]
