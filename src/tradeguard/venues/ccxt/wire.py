"""The one way out for a ccxt request: admitted by the rate ledger, watched as it leaves, its
reply noted, its exception translated, and retried only where that is safe.

ccxt gives two hooks on the exchange instance that make this exact without patching ccxt:
`fetch` (called once per HTTP request, so the ledger counts what was really sent) and
`on_rest_response` (called once a reply arrived, before ccxt reads its body: the status and
the venue's own usage headers, and the proof that the request was answered).

A plain order signed by its adapter (placing.py) leaves through tradeguard's own HTTP client
instead (`post`: net/httpclient, which says exactly whether the request left, at a fraction of
aiohttp's CPU per request), with the same bookkeeping, and its reply is judged by ccxt's own
error reading, as ccxt's fetch judges it.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tradeguard.errors import (
    ClockSkewError,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    TradeguardError,
)
from tradeguard.net.clock import Clock
from tradeguard.net.httpclient import HttpClient, NeverSent, NoAnswer
from tradeguard.net.keycounter import KeyCounters
from tradeguard.net.ratelimit import RateLedger
from tradeguard.venues.ccxt.errors import translate
from tradeguard.venues.protocol import ReplyNote

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
# (the error's text, the reply's HTTP status and headers, server now ms) ->
# (pause seconds, ban end ms or None)
LimitReader = Callable[[str, "int | None", "dict[str, str]", int], "tuple[float, int | None]"]
# how often a call waiting for a call counter looks again (a hold it waited behind may end)
COUNTER_RECHECK_S = 0.5


@dataclass
class _Flight:
    """One unified call in progress: what its HTTP requests did."""

    client_order_id: str | None
    sent: bool = False
    answered: bool = False
    status: int | None = None  # the last reply's HTTP status and headers (rate-limit reading)
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # the last request's path: whose limit an answer speaks of


_FLIGHT: contextvars.ContextVar[_Flight | None] = contextvars.ContextVar(
    "ccxt_flight", default=None
)


@dataclass
class WireConfig:
    max_attempts: int = 4  # reads; an order placement gets one
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 8.0
    max_local_wait_s: float = 65.0
    timeout_s: float = 10.0


@dataclass
class Wire:
    exchange: Any
    clock: Clock
    ledger: RateLedger
    server_now_ms: Callable[[], int]
    limit_headers: tuple[str, ...] = ()
    limit_reader: LimitReader | None = None  # the venue's words for how long a limit holds
    config: WireConfig = field(default_factory=WireConfig)
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)  # jitter, not cryptography
    on_reply: Callable[[ReplyNote], None] | None = None
    on_limit: Callable[[RateLimited], None] | None = None
    requests_sent: int = 0
    # the key's decaying counters (Kraken's, shared per key: keycounter.py), and what one
    # request (method, path) adds to each
    counters: KeyCounters | None = None
    call_costs: Callable[[str, str], tuple[int, ...]] | None = None
    # the paths whose requests carry a nonce the venue wants increasing (Kraken's private
    # ones): they are sent one at a time, in the order ccxt signed them
    nonce_ordered: Callable[[str], bool] | None = None
    # the paths the venue limits per IP, apart from the key (Kraken's public ones: its key's
    # counter and lockout hold private calls only): their requests wait on `public_ledger`
    # and nothing of the key's. None: one ledger holds every request (Bybit's and OKX's)
    public_paths: Callable[[str], bool] | None = None
    public_ledger: RateLedger = field(default_factory=lambda: RateLedger(rules=()))
    _nonce_turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    _clients: dict[str, HttpClient] = field(default_factory=dict)  # origin -> its own client

    def __post_init__(self) -> None:
        self.exchange.timeout = int(self.config.timeout_s * 1000)
        self._original_fetch = self.exchange.fetch
        self.exchange.fetch = self._fetch
        self._original_fetch2 = self.exchange.fetch2
        self.exchange.fetch2 = self._fetch2
        self.exchange.on_rest_response = self._on_rest_response

    async def call(
        self,
        what: str,
        run: Callable[[], Awaitable[T]],
        *,
        placing: bool = False,
        client_order_id: str | None = None,
    ) -> T:
        """Run one unified ccxt call. A placement runs once: a timeout or a dropped reply after
        it left is `OutcomeUnknown`. A read is retried with backoff on NotSent, OutcomeUnknown
        and rate limits."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._once(what, run, placing, client_order_id)
            except (NotSent, OutcomeUnknown, RateLimited) as exc:
                local_refusal = isinstance(exc, RateLimited) and exc.local
                retryable = isinstance(exc, NotSent) or not placing
                if local_refusal or not retryable or attempt >= self.config.max_attempts:
                    raise
                await self._backoff(attempt)

    async def _once(
        self, what: str, run: Callable[[], Awaitable[T]], placing: bool, coid: str | None
    ) -> T:
        import ccxt

        if self.public_paths is None or placing:  # else each request, by its path (_fetch2)
            await self._admit(orders=1 if placing else 0)
        flight = _Flight(coid)
        token = _FLIGHT.set(flight)
        try:
            return await run()
        except ccxt.BaseError as exc:
            error = translate(
                exc, what=what, sent=flight.sent, answered=flight.answered, status=flight.status
            )
            if isinstance(error, RateLimited):
                error = self._venue_limit(error, str(exc), flight)
                self.observe_limit(error, flight.path)
            raise error from None
        except TimeoutError:
            if not flight.sent:
                raise NotSent(f"{what}: nothing sent (timed out before sending)") from None
            raise OutcomeUnknown(
                f"{what}: no reply in time",
                hint="the request may have reached the exchange; resolve before acting",
            ) from None
        finally:
            _FLIGHT.reset(token)

    def _venue_limit(self, error: RateLimited, text: str, flight: _Flight) -> RateLimited:
        """The limit as the venue said it: how long it holds, and whether it is a ban."""
        if self.limit_reader is None:
            return error
        pause_s, ban_until = self.limit_reader(
            text, flight.status, flight.headers, self.server_now_ms()
        )
        return RateLimited(
            error.code, error.msg, flight.status or error.http_status,
            retry_after_s=pause_s, banned_until_ms=ban_until,
        )  # fmt: skip

    def observe_limit(self, error: RateLimited, path: str = "") -> None:
        """A rate limit met on `path`: nothing that answers to the same limit leaves until
        the pause (or ban) ends (a public path's, where the venue limits those apart, holds
        public requests only); `on_limit` is told."""
        public = self._public(path)
        ledger = self.public_ledger if public else self.ledger
        if error.banned_until_ms is not None:
            ledger.observe_ban(error.banned_until_ms)
        else:
            ledger.observe_pause(error.retry_after_s or 1.0, self.server_now_ms())
            if self.counters is not None and not public:  # the venue counts more than we
                self.counters.observe_full(self.server_now_ms())  # did: take it full
        if self.on_limit is not None:
            self.on_limit(error)

    def _public(self, path: str) -> bool:
        return self.public_paths is not None and self.public_paths(path)

    async def _admit(self, orders: int, path: str = "") -> None:
        """Wait until the ledger `path` answers to lets a request go (a call's, or one
        request's where public paths have their own), and count it; refuse it, not sent,
        when that wait is longer than the local limit."""
        ledger = self.public_ledger if self._public(path) else self.ledger
        while True:
            now = self.server_now_ms()
            wait = ledger.wait(1, orders, now)
            if wait.seconds == 0:
                ledger.spend(1, orders, now)
                return
            if wait.seconds > self.config.max_local_wait_s:
                raise RateLimited(
                    None, f"not sent: {wait.reason}; {wait.seconds:.0f} s left", 429,
                    retry_after_s=wait.seconds, local=True,
                )  # fmt: skip
            await self.sleep(wait.seconds)

    async def _admit_counted(self, method: str, path: str) -> None:
        """Wait until this request fits under every call counter, then count it (per HTTP
        request: one unified call may send several)."""
        assert self.call_costs is not None and self.counters is not None
        costs = self.call_costs(method, path)
        while True:
            wait = self.counters.admit(costs, self.server_now_ms())
            if wait <= 0:
                return
            # behind a hold, look again soon: the room comes back at once when it ends
            await self.sleep(min(wait, COUNTER_RECHECK_S) if self.counters.held else wait)

    def affordable(self, paths: tuple[str, ...]) -> int | None:
        """How many calls sending `paths` (POSTs) the call counters let go now without
        waiting; None when no counter limits them."""
        if self.counters is None or self.call_costs is None:
            return None
        costs = [sum(n) for n in zip(*(self.call_costs("POST", p) for p in paths), strict=True)]
        return self.counters.affordable(costs, self.server_now_ms())

    async def _backoff(self, attempt: int) -> None:
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (attempt - 1))
        await self.sleep(self.rng.uniform(0, ceiling))

    # ── a signed request through tradeguard's own HTTP client ─────────────────────────────
    async def post(self, url: str, headers: dict[str, str], body: str) -> Any:
        """POST one signed request (run inside `call`) and return its JSON, or raise what
        ccxt's reading of the reply raises: NotSent when nothing left, OutcomeUnknown when it
        left and no whole reply came back."""
        return await self.send("POST", url, headers, body)

    async def get(self, url: str) -> Any:
        """GET one public URL (run inside `call`), as `post`."""
        return await self.send("GET", url, {}, None)

    async def send(self, method: str, url: str, headers: dict[str, str], body: str | None) -> Any:
        parts = urlsplit(url)
        client = self._clients.get(origin := f"{parts.scheme}://{parts.netloc}")
        if client is None:
            timeout = self.config.timeout_s
            client = HttpClient(origin, connect_timeout_s=timeout, read_timeout_s=timeout)
            self._clients[origin] = client
        sent_headers = {**self.exchange.headers, **headers}
        lines = "".join(f"{name}: {value}\r\n" for name, value in sent_headers.items())
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.public_paths is not None:
            await self._admit(orders=0, path=parts.path)
        if self.counters:
            await self._admit_counted(method, parts.path)
        flight = _FLIGHT.get()
        if flight is not None:
            flight.sent = True
            flight.path = parts.path
        self.requests_sent += 1
        started = self.clock.monotonic()
        try:
            sent = None if body is None else body.encode()
            response = await client.request(method, target, lines, sent)
        except NeverSent as exc:
            if flight is not None:
                flight.sent = False
            raise NotSent(f"not sent: {exc}") from None
        except NoAnswer as exc:
            raise OutcomeUnknown(
                f"no whole reply: {exc}",
                hint="the request may have reached the exchange; resolve before acting",
            ) from None
        text = response.body.decode(errors="replace")
        reason = _reason(response.status)
        note: dict[str, Any] = {}
        token = _NOTE.set(note)
        try:
            text = self._on_rest_response(
                response.status, reason, url, method, response.headers, text, headers, body
            )
        finally:
            _NOTE.reset(token)
        if self.on_reply is not None:
            self.on_reply(
                ReplyNote(
                    method=method, path=parts.path, status=response.status,
                    latency_ms=(self.clock.monotonic() - started) * 1000,
                    weight=note.get("usage"),
                    client_order_id=flight.client_order_id if flight else None,
                )
            )  # fmt: skip
        ex = self.exchange
        reply = ex.parse_json(text)
        ex.handle_errors(
            response.status, reason, url, method, response.headers, text, reply, headers, body
        )
        ex.handle_http_status_code(response.status, reason, url, method, text)
        return reply

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    # ── the hooks ccxt calls ─────────────────────────────────────────────────────────────
    async def _fetch(
        self, url: str, method: str = "GET", headers: Any = None, body: Any = None
    ) -> Any:
        # ccxt signs (and takes the nonce) right before calling this, with no wait between,
        # so requests arrive here in nonce order; a FIFO lock keeps that order on the wire
        # through the counter's waits and the connection pool
        path = urlsplit(url).path
        if self.nonce_ordered is not None and self.nonce_ordered(path):
            async with self._nonce_turn:
                return await self._send(url, method, headers, body, path)
        return await self._send(url, method, headers, body, path)

    async def _fetch2(
        self, path: str, api: Any = "public", method: str = "GET", params: Any = None,
        config: Any = None,
    ) -> Any:  # fmt: skip
        # a pause and a call counter are waited for before ccxt signs the request: once
        # signed it holds a nonce, and would hold up every request signed after it meanwhile
        where = "/" + (api if isinstance(api, str) else "/".join(map(str, api))) + "/" + path
        if self.public_paths is not None:  # each request waits on the ledger of its path
            await self._admit(orders=0, path=where)
        elif self.counters is not None and _FLIGHT.get() is None:
            await self._admit(orders=0)  # ccxt's own (the stream's token): not past a pause
        if self.counters is not None and self.call_costs is not None:
            await self._admit_counted(method, where)
        return await self._original_fetch2(path, api, method, params or {}, config or {})

    async def _send(self, url: str, method: str, headers: Any, body: Any, path: str) -> Any:
        flight = _FLIGHT.get()
        if flight is None:
            return await self._unflown(url, method, headers, body, path)
        return await self._sent(url, method, headers, body, path, flight)

    async def _unflown(self, url: str, method: str, headers: Any, body: Any, path: str) -> Any:
        """A request ccxt makes on its own, outside `call`: a rate limit it meets pauses
        every request, as one met by a call does (else its retries pass the venue's counter,
        and Kraken locks the key out)."""
        import ccxt

        try:
            return await self._sent(url, method, headers, body, path, None)
        except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
            error = translate(exc, what=path, sent=True, answered=True)
            assert isinstance(error, RateLimited)
            self.observe_limit(self._venue_limit(error, str(exc), _Flight(None)), path)
            raise

    async def _sent(
        self, url: str, method: str, headers: Any, body: Any, path: str, flight: _Flight | None
    ) -> Any:
        if flight is not None:
            flight.sent = True
            flight.path = path
        self.requests_sent += 1
        started = self.clock.monotonic()
        note: dict[str, Any] = {}
        token = _NOTE.set(note)
        try:
            return await self._original_fetch(url, method, headers, body)
        finally:
            _NOTE.reset(token)
            if "status" in note and self.on_reply is not None:
                self.on_reply(
                    ReplyNote(
                        method=method,
                        path=path,
                        status=note["status"],
                        latency_ms=(self.clock.monotonic() - started) * 1000,
                        weight=note.get("usage"),
                        client_order_id=flight.client_order_id if flight else None,
                    )
                )

    def _on_rest_response(
        self,
        code: int,
        reason: str,
        url: str,
        method: str,
        response_headers: Any,
        response_body: str,
        request_headers: Any,
        request_body: Any,
    ) -> str:
        # the headers lowered once, for the flight's limit reading and the note's usage both
        lowered = {str(k).lower(): str(v) for k, v in (response_headers or {}).items()}
        flight = _FLIGHT.get()
        if flight is not None:
            flight.answered = True
            flight.status = code
            flight.headers = lowered
        note = _NOTE.get()
        if note is not None:
            note["status"] = code
            note["usage"] = _usage(lowered, self.limit_headers)
        return response_body.strip()


_NOTE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "ccxt_note", default=None
)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _usage(lowered: dict[str, str], names: tuple[str, ...]) -> int | None:
    """The venue's own usage counter, where it sends one (`lowered`: the reply's headers,
    names in lower case): Bybit's X-Bapi-Limit-Status is what remains of X-Bapi-Limit, so
    the usage is their difference."""
    if not names:
        return None
    remaining, limit = (lowered.get(n) for n in names[:2])
    if remaining is None or not remaining.isdigit():
        return None
    if limit is not None and limit.isdigit():
        return int(limit) - int(remaining)
    return None


__all__ = ["ClockSkewError", "TradeguardError", "Wire", "WireConfig"]
