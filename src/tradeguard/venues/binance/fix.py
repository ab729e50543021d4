"""Orders over Binance's FIX order entry: one TLS session, Logon signed with an Ed25519 key.

`BinanceTransport` keeps every promise it makes for REST (the ledger prices and waits first,
the breaker, the error tree, the journal's reply notes, the resolver) and hands the order
requests `carries` names (place, cancel, cancel-replace, order lists) to `send`, as it does for the
WebSocket API (design-notes.md: a wire, not a venue). What this module and the session's
(`fix_session.py`: the Logon, reading, heartbeats) add is Binance's session profile:

- TLS with SNI, the certificate verified against the host name; a Logon (seq 1, sequence
  numbers reset) whose RawData is the Ed25519 signature of 35|49|56|34|52; a SenderCompID of
  its own per session (Binance wants it unique among the account's live sessions).
- Each request's answer is matched by its ClOrdID (11): an ExecutionReport, an
  OrderCancelReject, or a Reject by RefSeqNum (45); an order list's (NewOrderList <E>: OCO,
  OTO, OTOCO) by its legs'
  ClOrdIDs and its ClListID (25014, the ListStatus <N>). It is read as REST's response
  (`fix_messages.py`).
- A request that could not be written (no session, the Logon refused) raises `NeverSent`: the
  transport may try again (NotSent). Once written, no answer within `reply_timeout_s`, or the
  session lost before it (a drop, a Logout, a garbled message, a gap in the server's MsgSeqNum)
  raises `NoAnswer`: OutcomeUnknown, resolved by client order id (over REST), never resent.
  Binance has no ResendRequest, so a broken session is never repaired: the next request opens
  a new one, and `before_resume` (the session's reconciliation) runs before anything is sent
  on it.
- Heartbeats: a Heartbeat after HeartBtInt of our silence, a TestRequest after HeartBtInt of
  the server's, and the session dropped if that goes unanswered; the server's TestRequests are
  answered.
- Every ExecutionReport of the account (Binance sends them all: ResponseMode EVERYTHING) goes
  to `on_report`, which the session reads as the user stream's executionReport: the same
  events, a fill the stream also brings booked once (by trade id).
- News <B> (maintenance) is a planned reconnect: the next request opens a new session (a new
  SenderCompID), and the old one is logged out once its requests are answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.httpclient import NeverSent, NoAnswer
from tradeguard.net.httpwire import Response
from tradeguard.venues.binance import fix_messages, fix_wire
from tradeguard.venues.binance.endpoints import Request
from tradeguard.venues.binance.fix_drop_copy import DropCopy
from tradeguard.venues.binance.fix_session import (
    NOT_REACHED,
    FixConfig,
    FixLimit,
    FixSession,
    LogonRefused,
    comp_id,
    fix_address,
    open_session,
    tls_context,
)

Sleep = Callable[[float], Awaitable[None]]
Resume = Callable[[], Awaitable[None]]


# a new order-entry session that could not be had: out of reach, or its Logon refused
_NO_SESSION: tuple[type[BaseException], ...] = (*NOT_REACHED, LogonRefused)


class FixOrderWire:
    """Binance's FIX order entry carrying one transport's placements, cancels,
    cancel-replaces and order lists."""

    def __init__(
        self,
        url: str,
        *,
        ca_pem: str | None = None,
        config: FixConfig | None = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.url = url
        self.host, self.port = fix_address(url)
        self.config = config or FixConfig()
        self._tls = tls_context(ca_pem)
        self._rng = rng or random.Random()  # comp ids and jitter, not cryptography
        self._sleep = sleep
        self._session: FixSession | None = None
        self._connecting: asyncio.Lock | None = None
        self._now_ms: Callable[[], int] = lambda: 0
        self.before_resume: Resume | None = None  # reconciliation, before a new session sends
        # every ExecutionReport, the answers included (the session books fills from them)
        self.on_report: Callable[[fix_wire.FixMessage], None] | None = None
        self.connections = 0  # sessions logged on so far
        self.failed_connects = 0
        self.reports = 0  # ExecutionReports received
        self.news = 0  # News messages received
        self._retry_at = 0.0
        self.paced = 0  # requests that waited for the message limit
        self.lists = 0  # order lists (OCO, OTO, OTOCO) placed: answered by a ListStatus
        # each LimitResponse's limits (the session feeds its order counts to the rate ledger)
        self.on_limits: Callable[[list[FixLimit]], None] | None = None
        self._peak_messages = 0  # the most messages in one window, on sessions now closed
        self._message_limit = (self.config.message_limit, self.config.message_window_s)
        self.drop_copy: DropCopy | None = None  # fix_drop_copy: closed with this wire
        self._cancel_ids = 0

    @property
    def limits(self) -> list[FixLimit]:
        """The live session's limits, from its LimitResponse (queried at each Logon)."""
        return [] if self._session is None else list(self._session.limits)

    def takes(self, request: Request) -> bool:
        """Whether `request` goes over FIX: placing, cancelling, cancel-replacing and placing an
        order list, OCO, OTO or OTOCO (the reads stay on REST)."""
        return request.name in fix_messages.CARRIED

    @staticmethod
    def method_of(request: Request) -> tuple[str, str]:
        """How a request it carries is named where it is told (the journal, errors): as the
        FIX message sent, ("FIX", "NewOrderSingle"), not as its REST twin."""
        return ("FIX", fix_messages.MESSAGE_NAMES[request.name])

    def sending_time(self) -> str:
        return fix_wire.timestamp(self._now_ms())

    async def send(
        self,
        request: Request,
        credentials: ApiCredentials,
        recv_window_ms: int,
        timestamp: Callable[[], int],
    ) -> Response:
        """Send `request` once and return its answer as REST's response; NeverSent / NoAnswer
        as the HTTP client raises them. `timestamp` (the exchange's clock) stamps SendingTime."""
        self._now_ms = timestamp
        session = await self._logged_on(credentials)
        if await session.room():  # the message limit: never passed, waited for
            self.paced += 1
        params = dict(request.params)
        if request.name == fix_messages.REPLACE:
            return await self._replace(session, params)
        if request.name in fix_messages.LISTS:
            return await self._place_list(session, request.name, params)
        if request.name == fix_messages.PLACE:
            client_id = params["newClientOrderId"]
            msg_type, body = "D", fix_messages.new_order(params)
        else:
            client_id = self._own_id(session)
            msg_type, body = "F", fix_messages.cancel(params, client_id)
        with self._awaiting(session, [client_id]) as (answer,):
            seq = session.write(msg_type, body, self.sending_time())
            session.by_seq[seq] = client_id
            return fix_messages.answer(await answer, request.name, params)

    async def _replace(self, session: FixSession, params: dict[str, str]) -> Response:
        """Cancel-replace: the cancel's answer, then (unless it failed under STOP_ON_FAILURE)
        the new order's; a refusal of the new order first means neither half ran."""
        new_id = params["newClientOrderId"]
        cancel_id = params.get("cancelNewClientOrderId") or self._own_id(session)
        with self._awaiting(session, [cancel_id, new_id]) as (cancel_f, new_f):
            body = fix_messages.replace(params, cancel_id)
            seq = session.write("XCN", body, self.sending_time())
            session.by_seq[seq] = new_id
            await asyncio.wait((cancel_f, new_f), return_when=asyncio.FIRST_COMPLETED)
            if new_f.done() and not cancel_f.done():
                first = new_f.result()
                if fix_messages.is_refusal(first):  # refused before the cancel ran
                    return fix_messages.refused(first.get(25016), first.get(58))
            cancel = await cancel_f
            stops = params["cancelReplaceMode"] == "STOP_ON_FAILURE"
            if fix_messages.is_refusal(cancel) and stops:
                return fix_messages.replace_answer(cancel, None, params)
            return fix_messages.replace_answer(cancel, await new_f, params)

    async def _place_list(self, session: FixSession, name: str, params: dict[str, str]) -> Response:
        """An OCO, OTO or OTOCO as one NewOrderList: answered by each leg's ExecutionReport
        and the list's ListStatus (by ClListID), or, refused, by the ListStatus (or a Reject)
        alone."""
        legs = fix_messages.list_legs(name, params)
        list_id = params["listClientOrderId"]
        leg_ids = [leg["newClientOrderId"] for leg in legs]
        with self._awaiting(session, [list_id, *leg_ids]) as (status_f, *report_fs):
            body = fix_messages.new_order_list(params, legs, name)
            seq = session.write("E", body, self.sending_time())
            session.by_seq[seq] = list_id
            status = await status_f
            if fix_messages.list_refused(status):
                return fix_messages.list_answer(status, [], legs)
            self.lists += 1
            reports = [await report for report in report_fs]
            return fix_messages.list_answer(status, reports, legs)

    def _own_id(self, session: FixSession) -> str:
        """A ClOrdID for a request of ours that names no order of its own (a cancel's)."""
        self._cancel_ids += 1
        return f"{session.sender}x{self._cancel_ids}"

    @contextlib.contextmanager
    def _awaiting(
        self, session: FixSession, client_ids: list[str]
    ) -> Iterator[list[asyncio.Future[fix_wire.FixMessage]]]:
        """The answers to one request, by the ClOrdIDs (or ClListID) they carry, each failing
        with NoAnswer after `reply_timeout_s`; NeverSent if the session closed before the
        request could be written."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[fix_wire.FixMessage]] = []
        timers: list[asyncio.TimerHandle] = []
        for client_id in client_ids:
            future: asyncio.Future[fix_wire.FixMessage] = loop.create_future()
            session.waiting[client_id] = future
            futures.append(future)
            timeout = self.config.reply_timeout_s
            timers.append(loop.call_later(timeout, _time_out, future, self.config))
        try:
            if not session.usable():
                raise NeverSent("the FIX session closed before the request was written")
            yield futures
        finally:
            for client_id in client_ids:
                session.waiting.pop(client_id, None)
            for timer in timers:
                timer.cancel()
            for future in futures:
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved: an unawaited answer's failure is not logged
            session.retire_if_idle()

    def renew(self, credentials: ApiCredentials) -> None:
        """A rotated key (audited already): drop copy logs on again with it at once. Order
        entry's session stays on until it ends, with orders in flight on it; every logon is
        handed the transport's credentials, so the next one signs with the new key."""
        if self.drop_copy is not None:
            self.drop_copy.renew(credentials)

    async def close(self) -> None:
        if self.drop_copy is not None:
            await self.drop_copy.close()
        session, self._session = self._session, None
        if session is not None and not session.closed:
            try:
                with contextlib.suppress(Exception):
                    session.write("5", [], self.sending_time())
                    async with asyncio.timeout(1.0):  # a Logout unsent in a second is given up
                        await session.writer.drain()
            finally:  # cancelled while the Logout drains, the session is still closed
                session.lost("the transport closed")

    def report(self, message: fix_wire.FixMessage) -> None:
        self.reports += 1
        if self.on_report is not None:
            self.on_report(message)

    def noticed_news(self) -> None:
        self.news += 1

    def limits_reported(self, limits: list[FixLimit]) -> None:
        session = self._session
        if session is not None:
            self._message_limit = (session.message_limit, session.message_window_s)
        if self.on_limits is not None:
            self.on_limits(limits)

    def counter_peaks(self) -> list[tuple[str, Decimal, int]]:
        """The message limit's peak this run beside the limit (the run summary's limits
        table): the most messages written in one window, or the most LimitResponse counted."""
        session = self._session
        peak = max(self._peak_messages, 0 if session is None else session.peak_messages)
        if not peak:
            return []
        limit, window_s = self._message_limit
        return [(f"{limit} FIX messages per {window_s:g} s (order entry)", Decimal(peak), limit)]

    def forget(self, session: FixSession) -> None:
        self._peak_messages = max(self._peak_messages, session.peak_messages)
        if self._session is session:
            self._session = None

    # ── the session ─────────────────────────────────────────────────────────────────────
    async def _logged_on(self, credentials: ApiCredentials) -> FixSession:
        session = self._session
        if session is not None and session.usable():
            return session
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            session = self._session
            if session is not None and session.usable():
                return session
            wait = self._retry_at - asyncio.get_running_loop().time()
            if wait > 0:
                await self._sleep(wait)
            if self.connections and self.before_resume is not None:
                # Binance never replays what a lost session carried: look before sending again
                try:
                    await self.before_resume()
                except Exception as exc:
                    raise NeverSent(
                        f"reconciliation before a new FIX session failed: {exc}"
                    ) from exc
            sender = comp_id("tg", self._rng)
            address = (self.host, self.port)
            try:
                session = await open_session(
                    self, address, self._tls, sender, credentials, self.config
                )
            except _NO_SESSION as exc:
                why = str(exc)
                if isinstance(exc, LogonRefused) and exc.wrong_host:
                    why += "; fix_url names a drop-copy host: name the order-entry one (fix-oe)"
                self.failed_connects += 1
                ceiling = min(
                    self.config.backoff_cap_s,
                    self.config.backoff_base_s * 2 ** (self.failed_connects - 1),
                )
                self._retry_at = asyncio.get_running_loop().time() + self._rng.uniform(0, ceiling)
                raise NeverSent(f"the FIX session at {self.url} did not open: {why}") from exc
            self.failed_connects = 0
            old, self._session = self._session, session
            if old is not None:
                old.retire_if_idle()
            self.connections += 1
            return session


def _time_out(future: asyncio.Future[fix_wire.FixMessage], config: FixConfig) -> None:
    if not future.done():
        why = f"no answer on the FIX session within {config.reply_timeout_s:g} s"
        future.set_exception(NoAnswer(why))
