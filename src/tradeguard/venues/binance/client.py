"""The Binance Spot transport: build (pure) → price and wait (ledger) → sign → send → classify.

The one I/O edge every tradeguard request to Binance goes through. What it promises:

- An order placement leaves at most once. If no trustworthy answer comes back (timeout after
  sending, dropped connection, 5xx, -1006/-1007) it raises `OutcomeUnknown` and never resends;
  the caller resolves it by client order id. A request that provably never left (connection
  refused, DNS, connect timeout) raises `NotSent`, and only that is retried for orders.
- Reads and cancels are retried a bounded number of times with exponential backoff and full
  jitter, on NotSent, OutcomeUnknown and 429.
- Nothing leaves during a 429 pause or a 418 ban; the ban is written to the host state file so
  that other processes, and this one after a restart, respect it too. Every request is priced
  in weight (and order count) before it leaves and waits rather than crossing the headroom;
  processes on one host share one budget.
- Timestamps come from the exchange clock estimated at sync time plus monotonic time, so a host
  clock step mid-run does not break signing; skew beyond the bound stops signed requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tradeguard.errors import (
    ClockSkewError,
    ConfigError,
    NotSent,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    TradeguardError,
    TransportError,
)
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.model import Balance, Fill, OrderIntent, OrderReport, Side
from tradeguard.net.breaker import RejectionBreaker
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.clocksync import Estimate, Sample, SkewPolicy, estimate
from tradeguard.net.hoststate import HostState
from tradeguard.net.httpclient import HttpClient, NeverSent, NoAnswer
from tradeguard.net.httpwire import Response
from tradeguard.net.ratelimit import RateLedger, Wait, rules_from_exchange_info
from tradeguard.symbol_rules import SymbolRules
from tradeguard.venues import protocol
from tradeguard.venues.binance import endpoints, failures, parse, signing, wallet_history
from tradeguard.venues.binance.endpoints import Request, Retry
from tradeguard.venues.binance.reply_notes import reply_note
from tradeguard.venues.binance.rules import to_new_order
from tradeguard.venues.wallet_moves import WalletMove

if TYPE_CHECKING:
    from tradeguard.venues.binance.fix import FixOrderWire
    from tradeguard.venues.binance.wsapi import WsOrderWire


@dataclass(frozen=True, slots=True)
class TransportConfig:
    recv_window_ms: int = 5000
    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    max_attempts: int = 4  # for retryable requests; an order placement gets one
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 8.0
    max_local_wait_s: float = 65.0  # wait for the limiter up to this; beyond, refuse
    clock_samples: int = 5
    skew: SkewPolicy = field(default_factory=SkewPolicy)

    def __post_init__(self) -> None:
        if not 0 < self.recv_window_ms <= 60_000:
            raise ConfigError(
                f"recv_window_ms must be in 1..60000, got {self.recv_window_ms}",
                hint="keep Binance's default 5000; a wider window only hides a bad clock",
            )


Reply = Response  # status, body, and headers with lower-cased names


Sleep = Callable[[float], Awaitable[None]]


OnReply = Callable[[protocol.ReplyNote], None]
OnLimit = Callable[[RateLimited], None]
OnClock = Callable[[Estimate], None]


MY_TRADES_PAGE = 1000  # myTrades' largest page
TIMESTAMP_OUTSIDE_WINDOW = -1021  # refused before matching: nothing was executed


class BinanceTransport:
    """Binance Spot's REST API as a `venues.protocol.Venue`: signing, the rate-limit ledger
    and bans, the clock, the breaker, and one typed call per endpoint."""

    name = "binance"
    features = frozenset(
        {
            protocol.OCO,
            protocol.OTO,
            protocol.CANCEL_REPLACE,
            protocol.STOP_ORDERS,
            protocol.ICEBERG,
            protocol.TRAILING,
            protocol.FILL_OR_KILL,
        }
    )

    def __init__(
        self,
        base_url: str,
        credentials: ApiCredentials | None = None,
        *,
        config: TransportConfig | None = None,
        clock: Clock = SYSTEM,
        ledger: RateLedger | None = None,
        host_state: HostState | None = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
        breaker: RejectionBreaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.config = config or TransportConfig()
        self.clock = clock
        self.ledger = ledger or RateLedger()
        self.host_state = host_state or HostState(urlsplit(self.base_url).netloc or "local")
        self._rng = rng or random.Random()  # jitter, not cryptography
        self._sleep = sleep
        self.breaker = breaker or RejectionBreaker()
        self._client: HttpClient | None = None
        self._key = signing.ReadyKey()  # the credentials' key made ready once, not per request
        # order_transport = "ws" / "fix": the order requests it carries go over the WebSocket
        # API / FIX order entry
        self.order_wire: WsOrderWire | FixOrderWire | None = None
        self._clock_estimate: Estimate | None = None
        self._synced_at: float = 0.0
        self.requests_sent = 0
        self.on_reply: OnReply | None = None  # told of every reply (the session journals it)
        self.on_limit: OnLimit | None = None  # told of every 429 / 418 met
        self.on_clock: OnClock | None = None  # told of every clock estimate (a re-sync)

    # ── lifecycle ─────────────────────────────────────────────────────────────────────────
    async def __aenter__(self) -> BinanceTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def counter_peaks(self) -> list[tuple[str, Decimal, int]]:
        from tradeguard.venues.binance.fix import FixOrderWire

        # Binance counts in windows (`ledger`), and FIX order entry its messages (the wire)
        wire = self.order_wire
        return wire.counter_peaks() if isinstance(wire, FixOrderWire) else []

    async def close(self) -> None:
        self._give_back_lease()
        if self.order_wire is not None:
            await self.order_wire.close()
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _give_back_lease(self) -> None:
        """What this process leased of the host's budget and did not spend goes back to the
        host state file, for the processes that come after it."""
        now = self.server_now_ms()
        with contextlib.suppress(OSError), self.host_state.locked() as shared:
            self.ledger.merge(shared)
            self.ledger.release(now)
            shared.update(self.ledger.snapshot())

    def _http(self) -> HttpClient:
        if self._client is None:
            # A read timeout: no byte within timeout_s is OutcomeUnknown, while a large body
            # arriving slowly (exchangeInfo) is not cut off.
            self._client = HttpClient(
                self.base_url,
                connect_timeout_s=self.config.connect_timeout_s,
                read_timeout_s=self.config.timeout_s,
            )
        return self._client

    # ── clock ─────────────────────────────────────────────────────────────────────────────
    async def sync_clock(self) -> Estimate:
        """Estimate the exchange's clock from several round trips; refuse a skewed host."""
        samples = []
        for _ in range(self.config.clock_samples):
            sent_mono, sent_wall = self.clock.monotonic(), self.clock.wall_ms()
            request = endpoints.server_time()
            body = self._check(request, *await self._send(request))
            received_mono, received_wall = self.clock.monotonic(), self.clock.wall_ms()
            server = parse.decode(body, parse.ServerTime, "time").serverTime
            samples.append(Sample(sent_mono, received_mono, sent_wall, received_wall, server))
        est = estimate(samples)
        self._clock_estimate = est
        self._synced_at = self.clock.monotonic()
        if self.on_clock is not None:
            self.on_clock(est)
        self.config.skew.check(est)
        return est

    def use_credentials(self, credentials: ApiCredentials) -> None:
        """Sign with `credentials` from the next request on (a rotated key, audited already):
        REST and the WebSocket API read them per request; FIX's drop copy logs on again with
        them at once (order entry's next logon takes them)."""
        from tradeguard.venues.binance.fix import FixOrderWire

        self.credentials = credentials
        if isinstance(self.order_wire, FixOrderWire):
            self.order_wire.renew(credentials)

    @property
    def clock_estimate(self) -> Estimate | None:
        return self._clock_estimate

    def server_now_ms(self) -> int:
        """Exchange time now, as best known (host wall time before the first sync)."""
        est = self._clock_estimate
        if est is None:
            return self.clock.wall_ms()
        return est.server_ms(self.clock.monotonic())

    async def _ensure_clock(self) -> None:
        stale = self.clock.monotonic() - self._synced_at > self.config.skew.resync_every_s
        if self._clock_estimate is None or stale:
            await self.sync_clock()

    # ── exchange info ─────────────────────────────────────────────────────────────────────
    async def load_rate_limits(self) -> parse.WireExchangeInfo:
        """exchangeInfo, and the rate limits it declares adopted by the ledger."""
        return self.adopt_rate_limits(await self.call(endpoints.exchange_info()))

    def adopt_rate_limits(self, exchange_info: bytes) -> parse.WireExchangeInfo:
        """The ledger takes the rate limits an exchangeInfo body declares."""
        info = parse.decode(exchange_info, parse.WireExchangeInfo, "exchangeInfo")
        self.ledger.replace_rules(rules_from_exchange_info(info.rateLimits))
        return info

    # ── the one way out ───────────────────────────────────────────────────────────────────
    async def call(self, request: Request) -> bytes:
        """Send `request` under the transport's promises; the 2xx body, or an exception."""
        if not request.orders:
            return await self._call(request)
        shape, body = await self._breaker_call(request)
        self.breaker.succeeded(shape)
        return body

    async def _breaker_call(self, request: Request) -> tuple[str, bytes]:
        """An order request under the repeated-rejection breaker: refused locally while it is
        open, a rejection counted. The caller says when the order succeeded."""
        shape = _order_shape(request)
        self.breaker.check(shape, self.clock.monotonic())
        try:
            return shape, await self._call(request)
        except OrderRejected as exc:
            self.breaker.rejected(shape, f"{exc.code} {exc.msg}", self.clock.monotonic())
            raise

    async def _call(self, request: Request) -> bytes:
        attempts = self.config.max_attempts
        resynced = False
        attempt = 0
        while True:
            attempt += 1
            try:
                if request.signed:
                    await self._ensure_clock()
                return self._check(request, *await self._send(request))
            except ClockSkewError as exc:
                # -1021: the exchange refused the timestamp before matching, so nothing was
                # executed, an order included: re-estimate the clock and send it once more
                # (an order keeps its client order id: even a fluke cannot place it twice).
                if exc.code != TIMESTAMP_OUTSIDE_WINDOW:
                    raise
                if resynced:
                    raise ClockSkewError(
                        exc.code,
                        f"{request.name}: the exchange refused the request's timestamp twice "
                        f"(-1021), the second time just after re-syncing the clock ({exc.msg}); "
                        "not placed",
                        exc.http_status,
                        hint="this host's clock jumps or drifts fast: sync it with NTP "
                        "(`sudo timedatectl set-ntp true`); tradeguard never widens recvWindow",
                    ) from exc
                resynced = True
                await self.sync_clock()
            except NotSent:
                if attempt >= attempts:
                    raise
                await self._backoff(attempt)
            except (OutcomeUnknown, RateLimited) as exc:
                if request.retry is Retry.NEVER or attempt >= attempts:
                    raise
                if isinstance(exc, RateLimited) and exc.http_status == 418:
                    raise
                await self._backoff(attempt)

    async def _backoff(self, attempt: int) -> None:
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (attempt - 1))
        await self._sleep(self._rng.uniform(0, ceiling))

    def _check(self, request: Request, reply: Reply, sent_as: str) -> bytes:
        """The 2xx body, or the reply's error, naming the request as it went out (`sent_as`:
        "WS order.place" for an order the WebSocket API carried, not its REST twin)."""
        if 200 <= reply.status < 300:
            return reply.body
        if request.answers and reply.status in (400, 409):
            wire = parse.error_body(reply.body)
            if wire is not None and wire.code in request.answers:
                return reply.body  # an answer with data (cancelReplace), not a failure
        error = failures.from_reply(
            reply.status, reply.body, reply.headers, self.server_now_ms(), request=sent_as
        )
        if isinstance(error, RateLimited):
            self.observe_limit(error)
        raise error

    def observe_limit(self, error: RateLimited) -> None:
        """A 429 or 418 met (here, or on the WebSocket API by the user stream): nothing leaves
        for the host until it ends, from this process or, through the host state file, any
        other; `on_limit` is told."""
        self._remember_limit(error)
        if self.on_limit is not None:
            self.on_limit(error)

    def held(self) -> Wait:
        """How long nothing at all may leave for the exchange's host (a 418 ban, a 429 pause:
        this process's, or another's on this host as the host state file says). The user
        stream asks before every connection and every frame it sends. One fstat while the file
        is unchanged."""
        if self.host_state.changed():
            with self.host_state.locked() as shared:
                self.ledger.merge(shared)
        return self.ledger.held(self.server_now_ms())

    def _remember_limit(self, error: RateLimited) -> None:
        now = self.server_now_ms()
        if error.http_status == 418:
            until = error.banned_until_ms or now + 120_000
            self.ledger.observe_ban(until)
        else:
            self.ledger.observe_pause(error.retry_after_s or 1.0, now)
        with self.host_state.locked() as shared:
            self.ledger.merge(shared)
            shared.update(self.ledger.snapshot())

    async def _admit(self, request: Request) -> None:
        """Wait until the shared budget lets this request leave, then spend it: from this
        process's lease while the host state file is unchanged, else under the host lock."""
        now = self.server_now_ms()
        if not self.host_state.changed() and self.ledger.take(request.weight, request.orders, now):
            return
        while True:
            now = self.server_now_ms()
            with self.host_state.locked() as shared:
                self.ledger.merge(shared)
                wait = self.ledger.wait(request.weight, request.orders, now)
                if wait.seconds == 0:
                    self.ledger.reserve(request.weight, request.orders, now)
                    shared.update(self.ledger.snapshot())
                    return
            if now < self.ledger.banned_until_ms or wait.seconds > self.config.max_local_wait_s:
                raise RateLimited(
                    -1003,
                    f"not sent: {wait.reason}; {wait.seconds:.0f} s left",
                    418 if now < self.ledger.banned_until_ms else 429,
                    retry_after_s=wait.seconds,
                    banned_until_ms=self.ledger.banned_until_ms or None,
                    local=True,
                )
            await self._sleep(wait.seconds)

    async def _send(self, request: Request) -> tuple[Reply, str]:
        """The reply, and the name the request went out as (for its errors)."""
        await self._admit(request)  # may wait: the timestamp is taken after it, never before
        headers = ""
        if request.signed or request.api_key:
            if self.credentials is None:
                raise ConfigError(
                    f"{request.name} needs an API key, and this connection has none",
                    hint="configure credentials in the profile",
                )
            wire = self.order_wire
            if wire is not None and wire.takes(request):  # order_transport = "ws" or "fix"
                sent = wire.send(
                    request, self.credentials, self.config.recv_window_ms, self.server_now_ms
                )
                sent_as = wire.method_of(request)
                reply = await self._exchange(request, sent, wire.url, sent_as)
                return reply, _sent_name(request, sent_as)
            headers = f"X-MBX-APIKEY: {self.credentials.api_key}\r\n"
        query = signing.encode_params(request.params)
        if request.signed and self.credentials is not None:
            # recvWindow and timestamp are digits: appended as they are, not re-encoded
            stamp = f"recvWindow={self.config.recv_window_ms}&timestamp={self.server_now_ms()}"
            query = f"{query}&{stamp}" if query else stamp
            signature = self._key.signer(self.credentials)(query)
            query = f"{query}&signature={_quote(signature)}"
        if request.method in ("POST", "PUT"):
            headers += "Content-Type: application/x-www-form-urlencoded\r\n"
            sent = self._http().request(request.method, request.path, headers, query.encode())
            return await self._exchange(request, sent), request.name
        target = f"{request.path}?{query}" if query else request.path
        sent = self._http().request(request.method, target, headers)
        return await self._exchange(request, sent), request.name

    async def _exchange(
        self,
        request: Request,
        sent: Awaitable[Reply],
        to: str | None = None,
        sent_as: tuple[str, str] | None = None,
    ) -> Reply:
        """Await the request's reply (from the HTTP client or the WebSocket API at `to`, as
        the method `sent_as`), classified as sent or not, noted in the ledger and told to
        `on_reply` under the name it was sent by."""
        started = self.clock.monotonic()
        try:
            self.requests_sent += 1
            reply = await sent
        except NeverSent as exc:
            # nothing left this host: the weight counted for it is not spent
            self.ledger.refund(request.weight, request.orders, self.server_now_ms())
            raise NotSent(
                f"{_sent_name(request, sent_as)}: nothing sent to {to or self.base_url}: {exc}",
                hint="nothing was sent; check the network and the exchange's status",
            ) from exc
        except NoAnswer as exc:
            raise OutcomeUnknown(
                f"{_sent_name(request, sent_as)}: no reply ({exc})",
                hint="the request may have reached the exchange; resolve before acting",
            ) from exc
        self.ledger.observe_headers(reply.headers, self.server_now_ms())
        if self.on_reply is not None:
            latency = (self.clock.monotonic() - started) * 1000
            note = reply_note(request, reply.status, latency, reply.headers, reply.body, sent_as)
            self.on_reply(note)
        return reply

    @property
    def recv_window_ms(self) -> int:
        return self.config.recv_window_ms

    # ── the Venue seam ────────────────────────────────────────────────────────────────────
    async def symbol_rules(self, wanted: Sequence[str], profile: str) -> dict[str, SymbolRules]:
        from tradeguard.venues.binance import exchange_info

        return await exchange_info.load(self, wanted, profile)

    async def keep_rules_fresh(self, rules: MutableMapping[str, SymbolRules], profile: str) -> None:
        from tradeguard.venues.binance import exchange_info

        await exchange_info.keep_fresh(self, rules, profile)

    async def submit(self, intent: OrderIntent) -> OrderReport:
        return await self.place_order(to_new_order(intent))

    async def place_bracket(
        self, legs: Sequence[OrderIntent], list_client_order_id: str
    ) -> list[OrderReport]:
        """A take-profit leg and a stop leg as one OCO list (`POST /api/v3/orderList/oco`)."""
        from tradeguard.venues.binance.rules import oco_leg

        first, second = legs
        above, below = (first, second) if first.side is Side.SELL else (second, first)
        oco = endpoints.NewOco(
            symbol=first.symbol.binance,
            side=first.side,
            quantity=first.qty or Decimal(0),
            list_client_order_id=list_client_order_id,
            above=oco_leg(above),
            below=oco_leg(below),
        )
        return await self.place_oco(oco)

    async def place_oto(
        self, legs: Sequence[OrderIntent], list_client_order_id: str
    ) -> list[OrderReport]:
        """A working order and the one (OTO) or two (OTOCO, above first) it places once
        filled, as one list (`POST /api/v3/orderList/oto` or `/otoco`)."""
        from tradeguard.venues.binance.rules import to_new_order

        working, *pending = (to_new_order(leg) for leg in legs)
        request = endpoints.new_oto(working.symbol, list_client_order_id, working, pending)
        wire = parse.decode(await self.call(request), parse.WireOrderList, "orderList")
        return [parse.order_report(o) for o in wire.orderReports]

    async def orders_by_id(self, symbol: str, order_ids: set[int]) -> dict[int, OrderReport]:
        from tradeguard.venues.binance.order_lookup import orders_by_id

        return await orders_by_id(self, symbol, order_ids)

    # ── typed calls ───────────────────────────────────────────────────────────────────────
    async def server_time(self) -> int:
        return parse.decode(
            await self.call(endpoints.server_time()), parse.ServerTime, "time"
        ).serverTime

    async def balances(self) -> dict[str, Balance]:
        wire = parse.decode(await self.call(endpoints.account()), parse.WireAccount, "account")
        return parse.balances(wire)

    async def wallet_moves(self, asset: str, since_ms: int) -> list[WalletMove]:
        """The asset's completed deposits and withdrawals since `since_ms` (venues.wallet_moves)."""
        now = self.server_now_ms()
        moves = wallet_history.deposits(
            await self.call(wallet_history.deposit_history(asset, since_ms, now))
        )
        return moves + wallet_history.withdrawals(
            await self.call(wallet_history.withdraw_history(asset, since_ms, now))
        )

    async def api_restrictions(self) -> parse.ApiRestrictions:
        body = await self.call(endpoints.api_restrictions())
        return parse.decode(body, parse.ApiRestrictions, "apiRestrictions")

    async def place_order(self, order: endpoints.NewOrder) -> OrderReport:
        body = await self.call(endpoints.new_order(order))
        return parse.order_report(parse.decode(body, parse.WireOrder, "order"))

    async def place_oco(self, oco: endpoints.NewOco) -> list[OrderReport]:
        """Both legs as the exchange placed them."""
        body = await self.call(endpoints.new_oco(oco))
        wire = parse.decode(body, parse.WireOrderList, "orderList")
        return [parse.order_report(o) for o in wire.orderReports]

    async def order_list_legs(self, list_client_order_id: str) -> list[str]:
        """The client ids of an order list's orders; OrderNotFound for a list it does not
        hold (Binance answers -2011 there)."""
        try:
            body = await self.call(endpoints.get_order_list(list_client_order_id))
        except OrderRejected as exc:
            if exc.code != -2011:
                raise
            raise OrderNotFound(exc.code, exc.msg, exc.http_status) from None
        wire = parse.decode(body, parse.WireListLegs, "orderList")
        return [o.clientOrderId for o in wire.orders]

    async def cancel_order_list(self, symbol: str, list_client_order_id: str) -> list[OrderReport]:
        body = await self.call(endpoints.cancel_order_list(symbol, list_client_order_id))
        wire = parse.decode(body, parse.WireOrderList, "orderList")
        return [parse.order_report(o) for o in wire.orderReports]

    async def cancel_replace(
        self,
        order: endpoints.NewOrder,
        mode: endpoints.CancelReplaceMode,
        *,
        cancel_order_id: int | None = None,
        cancel_client_order_id: str | None = None,
    ) -> parse.ReplaceOutcome:
        """Cancel one order and place `order`, in one request; what each half did.

        Raises nothing for a -2021 (409: one half failed, e.g. the cancel failed and the new
        order is live) or a -2022 (400: neither half happened): both are returned, with each
        half's report or error, for the caller to record. Everything else raises as any order
        placement does (OutcomeUnknown when no trustworthy answer came; never resent).
        """
        request = endpoints.cancel_replace(
            order,
            mode,
            cancel_order_id=cancel_order_id,
            cancel_client_order_id=cancel_client_order_id,
        )
        # the breaker as `call` keeps it, except that a refused new half is a rejection
        shape, body = await self._breaker_call(request)
        outcome = parse.replace_outcome(body)
        refused = outcome.new_order_error
        if refused is not None:
            self.breaker.rejected(shape, f"{refused.code} {refused.msg}", self.clock.monotonic())
        elif outcome.new_order_ok:
            self.breaker.succeeded(shape)
        return outcome

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderReport:
        request = endpoints.get_order(symbol, order_id=order_id, client_order_id=client_order_id)
        return parse.order_report(parse.decode(await self.call(request), parse.WireOrder, "order"))

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderReport:
        request = endpoints.cancel_order(symbol, order_id=order_id, client_order_id=client_order_id)
        return parse.order_report(parse.decode(await self.call(request), parse.WireOrder, "order"))

    async def open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        body = await self.call(endpoints.open_orders(symbol))
        return [parse.order_report(o) for o in parse.decode(body, list[parse.WireOrder], "order")]

    async def all_orders(
        self, symbol: str, *, from_order_id: int | None = None, limit: int = 1000
    ) -> list[OrderReport]:
        """The symbol's orders of any status, from `from_order_id` up, oldest first."""
        body = await self.call(endpoints.all_orders(symbol, order_id=from_order_id, limit=limit))
        return [parse.order_report(o) for o in parse.decode(body, list[parse.WireOrder], "order")]

    async def my_trades(
        self,
        symbol: str,
        *,
        from_id: int | None = None,
        order_id: int | None = None,
        limit: int = MY_TRADES_PAGE,
    ) -> list[Fill]:
        request = endpoints.my_trades(symbol, from_id=from_id, order_id=order_id, limit=limit)
        body = await self.call(request)
        return [parse.trade_fill(t) for t in parse.decode(body, list[parse.WireTrade], "trades")]

    async def trades_after(self, symbol: str, last_trade_id: int | None) -> list[Fill]:
        """The symbol's trades after `last_trade_id`, oldest first, page after page until a
        short one; with no id, the most recent page and whatever came after it."""
        trades: list[Fill] = []
        from_id = None if last_trade_id is None else last_trade_id + 1
        while True:
            page = await self.my_trades(symbol, from_id=from_id, limit=MY_TRADES_PAGE)
            trades += [t for t in page if last_trade_id is None or t.trade_id > last_trade_id]
            if len(page) < MY_TRADES_PAGE:
                return trades
            from_id = max(t.trade_id for t in page) + 1

    async def last_price(self, symbol: str) -> Decimal:
        body = await self.call(endpoints.ticker_price(symbol))
        price: Any = parse.decode(body, dict[str, Any], "ticker")["price"]
        return Decimal(str(price))


def _sent_name(request: Request, sent_as: tuple[str, str] | None) -> str:
    """How a request is named in an error: as the method it went out as."""
    return request.name if sent_as is None else " ".join(sent_as)


def _order_shape(request: Request) -> str:
    """What makes two order requests "the same" for the breaker: endpoint, symbol, side, type."""
    params = dict(request.params)
    return " ".join(
        [request.name, params.get("symbol", ""), params.get("side", ""), params.get("type", "")]
    )


def _quote(signature: str) -> str:
    # Base64 signatures (Ed25519, RSA) carry + / =, which must be percent-encoded on the wire;
    # HMAC's hex needs nothing.
    return signing.quote_value(signature)


__all__ = ["BinanceTransport", "TradeguardError", "TransportConfig", "TransportError"]
