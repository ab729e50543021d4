"""One FIX order-entry session with Binance: TLS, the Logon, the server's messages read in
MsgSeqNum order, heartbeats both ways, and the requests waiting for their answers by ClOrdID.

What the session sees goes to its owner (`SessionOwner`: the order wire in fix.py): every
ExecutionReport, a News (maintenance), its own end. A gap in the server's MsgSeqNum, a garbled
message, a Logout, a drop or an unanswered TestRequest ends the session and fails every
waiting request with NoAnswer (Binance has no ResendRequest: nothing lost is replayed).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import string
from collections import deque
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.httpclient import NoAnswer
from tradeguard.venues.binance import fix_messages, fix_wire


@dataclass(frozen=True, slots=True)
class FixConfig:
    connect_timeout_s: float = 5.0
    reply_timeout_s: float = 10.0  # Binance's own: after 10 s an order's status is unknown
    heartbeat_s: int = 30  # HeartBtInt, 5..60
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 8.0
    # client-to-server messages per connection (Binance's order entry: 10,000 per 10 s; the
    # lower of this and what LimitResponse says holds, a hundredth kept for heartbeats)
    message_limit: int = 10_000
    message_window_s: float = 10.0


@dataclass(frozen=True, slots=True)
class FixLimit:
    """One entry of a LimitResponse <XLR>: 25004 LimitType, 25005 count, 25006 max, and the
    interval (25007 x 25008) in seconds."""

    kind: str  # "MESSAGE_LIMIT" or "ORDER_LIMIT"
    used: int
    limit: int
    interval_s: float


_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def order_count_headers(limits: list[FixLimit]) -> dict[str, str]:
    """A LimitResponse's order limits as the X-MBX-ORDER-COUNT-* headers REST reports the
    same counts in, for the rate ledger to take (`RateLedger.observe_headers`)."""
    headers: dict[str, str] = {}
    for limit in limits:
        if limit.kind != "ORDER_LIMIT":
            continue
        seconds = int(limit.interval_s)
        unit, size = next((u, n) for u, n in _LARGEST_UNIT_FIRST if seconds % n == 0)
        headers[f"x-mbx-order-count-{seconds // size}{unit}"] = str(limit.used)
    return headers


_LARGEST_UNIT_FIRST = sorted(_UNIT_S.items(), key=lambda unit: -unit[1])


class SessionOwner(Protocol):
    """What a session tells the one that opened it."""

    def sending_time(self) -> str: ...

    def report(self, message: fix_wire.FixMessage) -> None: ...

    def noticed_news(self) -> None: ...

    def limits_reported(self, limits: list[FixLimit]) -> None: ...

    def forget(self, session: FixSession) -> None: ...


class FixSession:
    """One logged-on FIX session: its sequence numbers, its requests waiting for answers."""

    def __init__(
        self,
        wire: SessionOwner,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sender: str,
    ) -> None:
        self.wire = wire
        self.reader = reader
        self.writer = writer
        self.sender = sender
        self.out_seq = 0
        self.in_seq = 0
        self.closed = False
        self.retiring = False  # News: no new requests; logged out once the last is answered
        self.waiting: dict[str, asyncio.Future[fix_wire.FixMessage]] = {}
        self.by_seq: dict[int, str] = {}  # MsgSeqNum -> ClOrdID, for a Reject's RefSeqNum
        self.tasks: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        self.last_in = self.last_out = loop.time()
        self.test_sent_at: float | None = None
        self.message_limit = 10_000
        self.message_window_s = 10.0
        self.sent_at: deque[float] = deque()  # when each message of the window was written
        self.peak_messages = 0  # the most messages written in one window of the limit
        self.limits: list[FixLimit] = []  # the last LimitResponse's

    def usable(self) -> bool:
        return not self.closed and not self.retiring and not self.writer.is_closing()

    def write(self, msg_type: str, body: fix_messages.Body, sending_time: str) -> int:
        self.out_seq += 1
        data = fix_wire.encode(
            msg_type, self.sender, fix_wire.SERVER_COMP_ID, self.out_seq, sending_time, body
        )
        self.writer.write(data)
        self.last_out = asyncio.get_running_loop().time()
        self.sent_at.append(self.last_out)
        self.peak_messages = max(self.peak_messages, self._in_window(self.last_out))
        return self.out_seq

    def _in_window(self, now: float) -> int:
        """The messages written in the limit's window up to `now`."""
        window = self.message_window_s * 1.01  # a margin: the server times arrivals, not sends
        while self.sent_at and self.sent_at[0] <= now - window:
            self.sent_at.popleft()
        return len(self.sent_at)

    async def room(self) -> bool:
        """Wait until one more request keeps the message limit, heartbeats' headroom kept;
        True when it had to wait."""
        loop = asyncio.get_running_loop()
        waited = False
        while True:
            now = loop.time()
            if self._in_window(now) < self.message_limit - self.message_limit // 100:
                return waited
            waited = True
            await asyncio.sleep(self.sent_at[0] + self.message_window_s * 1.01 - now)

    def adopt_limits(self, message: fix_wire.FixMessage) -> None:
        """A LimitResponse: kept, and its message limit held if lower than ours."""
        limits: list[FixLimit] = []
        entry: dict[int, str] = {}
        for tag, value in [*message.fields, (25004, "")]:
            if tag == 25004 and entry:
                unit = _UNIT_S.get(entry.get(25008, ""), 0)
                kind = "MESSAGE_LIMIT" if entry.get(25004) == "2" else "ORDER_LIMIT"
                numbers = [entry.get(t, "") for t in (25005, 25006, 25007)]
                if all(n.isdigit() for n in numbers) and unit:
                    used, most, count = map(int, numbers)
                    limits.append(FixLimit(kind, used, most, count * unit))
                entry = {}
            if 25004 <= tag <= 25008 and value:
                entry[tag] = value
        self.limits = limits
        for limit in limits:
            if limit.kind != "MESSAGE_LIMIT":
                continue
            self.peak_messages = max(self.peak_messages, limit.used)  # the server's count
            if limit.limit / limit.interval_s < self.message_limit / self.message_window_s:
                self.message_limit, self.message_window_s = limit.limit, limit.interval_s
        self.wire.limits_reported(limits)

    async def read(self, buffer: bytearray) -> None:
        """Read and act on the server's messages until the session ends; `buffer` holds what
        came after the Logon's answer."""
        try:
            while True:
                for message in fix_wire.frames(buffer):
                    if message.seq != self.in_seq + 1:
                        # no ResendRequest on Binance: what was skipped is lost for good
                        self.lost(f"the server's MsgSeqNum jumped to {message.seq}")
                        return
                    self.in_seq = message.seq
                    self.on_message(message)
                    if self.closed:
                        return
                data = await self.reader.read(65536)
                if not data:
                    self.lost("the FIX session closed before the answer")
                    return
                self.last_in = asyncio.get_running_loop().time()
                buffer += data
        except fix_wire.Garbled as exc:
            self.lost(f"a garbled message from the server ({exc})")
        except (ConnectionError, OSError, ssl.SSLError) as exc:
            self.lost(f"the FIX connection failed ({exc})")

    def on_message(self, message: fix_wire.FixMessage) -> None:
        kind = message.msg_type
        if kind in ("8", "9"):
            self.answered(message.get(11), message)
            if kind == "8":
                self.wire.report(message)
        elif kind == "N":  # ListStatus: an order list's answer, by its ClListID
            self.answered(message.get(25014), message)
        elif kind == "3":
            ref = message.get(45)
            if ref is not None and ref.isdigit():
                self.answered(self.by_seq.get(int(ref)), message)
        elif kind == "1":
            self.write("0", [(112, message.get(112))], self.wire.sending_time())
        elif kind == "0":
            self.test_sent_at = None
        elif kind == "XLR":
            self.adopt_limits(message)
        elif kind == "B":
            self.retiring = True  # maintenance: the next request opens a new session
            self.wire.noticed_news()
            self.retire_if_idle()
        elif kind == "5":
            self.lost(f"the server logged the FIX session out ({message.get(58) or 'no reason'})")

    def answered(self, client_id: str | None, message: fix_wire.FixMessage) -> None:
        future = self.waiting.get(client_id or "")
        if future is not None and not future.done():
            future.set_result(message)

    def retire_if_idle(self) -> None:
        if self.retiring and not self.waiting and not self.closed:
            self.write("5", [], self.wire.sending_time())
            self.close()

    def lost(self, why: str) -> None:
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(NoAnswer(why))
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.wire.forget(self)
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        with contextlib.suppress(Exception):
            self.writer.close()

    async def heartbeats(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            await asyncio.sleep(min(interval, 1.0))
            now = loop.time()
            if self.test_sent_at is not None and now - self.test_sent_at >= interval:
                self.lost("the FIX session did not answer a TestRequest")
                return
            if now - self.last_out >= interval:
                self.write("0", [], self.wire.sending_time())
            if self.test_sent_at is None and now - self.last_in >= interval:
                self.test_sent_at = now
                self.write("1", [(112, f"tg{self.out_seq + 1}")], self.wire.sending_time())


_COMP_ID_CHARS = string.ascii_letters + string.digits
# what a session that could not be opened (or was lost) raises: the host is out of reach
NOT_REACHED: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    ssl.SSLError,
    fix_wire.Garbled,
)


def fix_address(url: str) -> tuple[str, int]:
    """`tcp+tls://host:port` as (host, port); ValueError for anything else."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"a FIX URL is tcp+tls://host:port, got {url!r}")
    return parts.hostname, parts.port


def tls_context(ca_pem: str | None) -> ssl.SSLContext:
    """The system's trust store, or (the simulator) the one certificate given."""
    return ssl.create_default_context(cadata=ca_pem)


def comp_id(prefix: str, rng: random.Random) -> str:
    """A SenderCompID of our own: `prefix` and six random letters or digits (a fresh one each
    session, so a lingering old session on the exchange is never taken for the new one)."""
    return prefix + "".join(rng.choice(_COMP_ID_CHARS) for _ in range(6))


async def open_session(
    owner: SessionOwner,
    address: tuple[str, int],
    tls: ssl.SSLContext,
    sender: str,
    credentials: ApiCredentials,
    config: FixConfig,
    *,
    drop_copy: bool = False,
) -> FixSession:
    """Connect (TLS with SNI, the certificate checked against the host name), log on as
    `sender`, and start the session's reader and heartbeats; a refused Logon raises
    LogonRefused."""
    host, port = address
    # asyncio.timeout, not wait_for (here and for the Logon's answer): on 3.11 wait_for hands
    # the result to an open cancelled in the turn it came, and the Logon went out of it or the
    # session started for a caller that had gone
    async with asyncio.timeout(config.connect_timeout_s):
        reader, writer = await asyncio.open_connection(host, port, ssl=tls, server_hostname=host)
    session = FixSession(owner, reader, writer, sender)
    try:
        session.out_seq = 1
        logon = fix_wire.logon(
            sender,
            1,
            owner.sending_time(),
            credentials.api_key,
            lambda payload: credentials.sign(payload.decode("ascii")),
            heartbeat_s=config.heartbeat_s,
            drop_copy=drop_copy,
        )
        writer.write(logon)
        session.message_limit, session.message_window_s = (
            config.message_limit,
            config.message_window_s,
        )
        session.sent_at.append(asyncio.get_running_loop().time())
        buffer = bytearray()
        async with asyncio.timeout(config.connect_timeout_s):
            answer = await _first_message(reader, buffer)
        if answer.msg_type != "A":
            raise LogonRefused(answer.get(25016), answer.get(58))
    except BaseException:
        writer.close()
        raise
    session.in_seq = answer.seq
    session.write("XLQ", [(6136, "limits")], owner.sending_time())  # the live limits
    session.tasks.append(asyncio.create_task(session.read(buffer)))
    session.tasks.append(asyncio.create_task(session.heartbeats(config.heartbeat_s)))
    return session


# Binance's codes for a refused Logon (reference/binance-fix.md §3, §8), by name
LOGON_CODES = {
    "-1021": "INVALID_TIMESTAMP",
    "-1022": "INVALID_SIGNATURE",
    "-1033": "COMP_ID_IN_USE",
    "-1034": "TOO_MANY_CONNECTIONS",
    "-1175": "RESET_SEQ_NUM_SUPPORT",
    "-1176": "ALREADY_LOGGED_IN",
    "-1177": "GARBLED_MESSAGE",
    "-1180": "EXPECTED_LOGON",
    "-1184": "DROP_COPY_SESSION_NOT_ALLOWED",  # DropCopyFlag sent to an order-entry host
    "-1185": "DROP_COPY_SESSION_REQUIRED",  # an order-entry Logon sent to a drop-copy host
    "-2015": "REJECTED_MBX_KEY",
}
WRONG_HOST = frozenset({"-1184", "-1185"})


class LogonRefused(Exception):
    """A Logon the server answered with a Reject: its code (named) and text. `wrong_host`: the
    host serves the other kind of session (-1184, -1185), which no retry changes."""

    def __init__(self, code: str | None, text: str | None) -> None:
        named = f"{code} {LOGON_CODES[code]}" if code in LOGON_CODES else code or "?"
        super().__init__(f"Logon refused: {named}: {text or 'no reason given'}")
        self.code = code
        self.wrong_host = code in WRONG_HOST


async def _first_message(reader: asyncio.StreamReader, buffer: bytearray) -> fix_wire.FixMessage:
    """The server's first message (its Logon, or a Reject); what came after it stays in
    `buffer`."""
    while True:
        for message in fix_wire.frames(buffer):
            return message
        data = await reader.read(4096)
        if not data:
            raise ConnectionError("the server closed the connection during Logon")
        buffer += data
