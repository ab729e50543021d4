"""The whole exception tree of tradeguard.

    TradeguardError
    ├─ ConfigError ─ CredentialsError
    ├─ GuardError                 local refusal: nothing was sent
    │   ├─ RiskDenied(reasons)
    │   ├─ KeyAuditFailed(findings)
    │   ├─ StageLimitExceeded
    │   ├─ BreakerOpen            the same rejection kept repeating: stop resending it
    │   └─ TradingHalted          kill switch latched
    ├─ StateError                 a local invariant broke
    │   ├─ InvalidTransition(status, event)
    │   ├─ DuplicateFill
    │   ├─ Overfill
    │   └─ JournalCorrupt(position) ─ JournalAltered   the hash chain broke
    ├─ ExchangeError              the exchange answered: code, msg, http_status
    │   ├─ OrderRejected          -2010 -1013 -2011 ...: never retry
    │   ├─ OrderNotFound          -2013: the exchange holds no order by that id
    │   ├─ AuthError              -2014 -2015 -1022
    │   ├─ ClockSkewError         -1021, or local skew beyond the bound
    │   └─ RateLimited(retry_after_s, banned_until_ms)   429 / 418 / -1003 / -1015
    └─ TransportError             no trustworthy answer
        ├─ NotSent                failed before the request left: safe to retry
        └─ OutcomeUnknown         may have reached the exchange: resolve, never resend blindly

Local and remote stay apart: a GuardError or StateError means tradeguard itself refused or
noticed something; an ExchangeError means the exchange answered; a TransportError means
nobody answered in a way we can trust. Retry by class, never by message text.

Every error carries structured fields and a message that says what to do. No error ever
holds a secret: messages are built from codes, names and redacted values only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence


class TradeguardError(Exception):
    """Root of every error tradeguard raises on purpose.

    An error raised by an order call names the order it is about: `client_order_id` and
    `symbol` (exchange form, e.g. BTCUSDT) are set on its way out of the call, so a bot can
    look the order up (`tg.order(...)`) or wait for its resolution (`tg.resolved(...)`)."""

    client_order_id: str | None = None
    symbol: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")

    def about_order(self, client_order_id: str, symbol: str, *, hint: str | None = None) -> None:
        """Name the order this error is about (the session does it for every order call);
        a new `hint` replaces the old one in the message."""
        self.client_order_id = client_order_id
        self.symbol = symbol
        if hint is not None:
            self.hint = hint
            self.args = (f"{self.message} ({hint})",)


# ── configuration ────────────────────────────────────────────────────────────────────────────


class ConfigError(TradeguardError):
    """A profile, config file or argument is wrong; the message names where and the fix."""


class CredentialsError(ConfigError):
    """Credentials are missing, unreadable, or stored somewhere unsafe."""


def cannot_listen(host: str, port: int, exc: OSError, option: str = "--port") -> ConfigError:
    """A server's port refused (taken, or not allowed): the system's reason alone, not
    asyncio's "error while attempting to bind on address ...", and the option to change."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return ConfigError(
        f"cannot listen on {host}:{port}: {reason}",
        hint=f"give another {option}; 0 picks a free one",
    )


# ── local refusals: nothing was sent ──────────────────────────────────────────────────────────


class GuardError(TradeguardError):
    """tradeguard refused locally; no request reached the exchange."""


class RiskDenied(GuardError):
    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("order denied by the risk guard: " + "; ".join(self.reasons))


class KeyAuditFailed(GuardError):
    def __init__(self, findings: Sequence[str]) -> None:
        self.findings = tuple(findings)
        super().__init__("API key refused: " + "; ".join(self.findings))


class StageLimitExceeded(GuardError):
    """The order is larger than the environment rung allows."""


class BreakerOpen(GuardError):
    """The exchange rejected the same request the same way several times in a row; tradeguard
    stops sending it for a while instead of burning the order-count budget."""

    def __init__(self, what: str, rejection: str, retry_in_s: float) -> None:
        self.what = what
        self.rejection = rejection
        self.retry_in_s = retry_in_s
        super().__init__(
            f"not sent: {what} was rejected repeatedly ({rejection})",
            hint=f"fix the cause; tradeguard tries once more in {retry_in_s:.0f} s",
        )


class TradingHalted(GuardError):
    """The kill switch is latched; reset it with `tradeguard kill --reset`."""


# ── local invariants ──────────────────────────────────────────────────────────────────────────


class StateError(TradeguardError):
    """A local invariant broke: the event does not fit the state we hold."""


class InvalidTransition(StateError):
    def __init__(self, status: str, event: str) -> None:
        self.status = status
        self.event = event
        super().__init__(f"order in state {status} cannot take event {event}")


class DuplicateFill(StateError):
    """A fill with a trade id already booked."""


class Overfill(StateError):
    """Fills add up to more than the order's quantity."""


class JournalCorrupt(StateError):
    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        self.detail = detail
        super().__init__(
            f"journal corrupt at record {position}: {detail}",
            hint="run `tradeguard journal verify` and restore from a backup or the exchange",
        )


class NotAJournal(JournalCorrupt):
    """The journal's path holds a file that is not a tradeguard journal at all: most often a
    wrong path (a bot file, a config, another program's database), rarely a journal whose first
    page was overwritten. Said as such, not as a record that is corrupt."""

    def __init__(self, location: str, detail: str, hint: str) -> None:
        self.location = location
        self.position = 0
        self.detail = detail
        StateError.__init__(self, f"{location} is not a tradeguard journal: {detail}", hint=hint)


class JournalAltered(JournalCorrupt):
    """The journal's hash chain is broken after the last record verified: a record was edited,
    removed or moved. tradeguard neither trades on such a journal nor appends to it."""

    def __init__(self, location: str, position: int, detail: str) -> None:
        self.location = location
        StateError.__init__(
            self,
            f"the journal {location} was altered at record {position}: {detail}",
            hint="tradeguard will not trade on it or add to it; `tradeguard journal verify` "
            "lists every change; restore it from a backup, or move it aside and start a new "
            "journal (reconciliation adopts what the exchange holds)",
        )
        self.position = position
        self.detail = detail


# ── the exchange answered ─────────────────────────────────────────────────────────────────────


class ExchangeError(TradeguardError):
    """The exchange answered with an error; code, msg and http_status are kept as sent.

    `local` marks the same condition found here before anything was sent: a ban the exchange
    declared earlier and that still runs, or this host's clock beyond the bound. The class
    stays (a bot handles a ban as a ban, whoever noticed it); the message says "not sent"
    instead of quoting an exchange answer that never came."""

    def __init__(
        self,
        code: int | None,
        msg: str,
        http_status: int | None,
        *,
        hint: str | None = None,
        local: bool = False,
    ) -> None:
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.local = local
        if local:
            text = msg if msg.startswith("not sent") else f"not sent: {msg}"
        elif code is None and http_status is None:
            text = f"the exchange refused: {msg}"
        else:
            what = "exchange error" if code is None else f"exchange error {code}"
            text = f"{what} (HTTP {http_status}): {msg}" if http_status else f"{what}: {msg}"
        super().__init__(text, hint=hint)


class OrderRejected(ExchangeError):
    """The exchange refused the order for good; retrying it cannot succeed."""


class OrderNotFound(ExchangeError):
    """The exchange holds no order by that id (Binance -2013, Bybit 170213, OKX 51603, Kraken
    "EOrder:Unknown order"): a lookup's answer, which resolution and reconciliation act on."""


class AuthError(ExchangeError):
    """Bad key, bad signature, IP not whitelisted or a missing permission."""


class ClockSkewError(ExchangeError):
    """The request's timestamp is outside the exchange's window."""


class RateLimited(ExchangeError):
    def __init__(
        self,
        code: int | None,
        msg: str,
        http_status: int | None,
        *,
        retry_after_s: float | None = None,
        banned_until_ms: int | None = None,
        local: bool = False,
    ) -> None:
        self.retry_after_s = retry_after_s
        self.banned_until_ms = banned_until_ms
        if http_status == 418 or banned_until_ms is not None:
            hint = "wait for the ban to end: a request before then makes it longer"
        elif local:  # refused here: a pause the exchange set, or this host's own budget
            hint = "wait: nothing was sent; send it again once the pause or the window has passed"
        else:
            hint = "wait; do not retry before the pause ends"
        super().__init__(code, msg, http_status, hint=hint, local=local)


# ── no trustworthy answer ─────────────────────────────────────────────────────────────────────


class TransportError(TradeguardError):
    """Nobody answered in a way we can trust. `code`/`http_status` are kept where a reply
    came (a 5xx, -1006, -1007) but did not say what happened."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        self.code = code
        self.http_status = http_status
        super().__init__(message, hint=hint)


class NotSent(TransportError):
    """The request never left this host; it is safe to send again."""


class OutcomeUnknown(TransportError):
    """The request may have reached the exchange: resolve by client order id, never resend."""
