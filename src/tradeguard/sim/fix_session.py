"""One FIX order-entry connection to the simulator, as Binance's session profile has it.

- Logon <A> first (-1180 otherwise) and once (-1176), checked as Binance does
  (sim/fix_logon.py), with a SenderCompID no other live session of the account uses (-1033).
  The answer: 98=0, 108, 25037 (a UUID).
- MsgSeqNum must rise by exactly 1 (-1179 "Expected: 'N'"): there is no ResendRequest, so a
  gap ends the session (Reject <3>, then Logout <5>). 49 may not change (-1178).
- Heartbeat <0> after HeartBtInt of our silence, TestRequest <1> after HeartBtInt of the
  client's, Logout if it goes unanswered; a TestRequest is answered with its 112.
- Over 10,000 messages in 10 s: Logout with -1181 and close. LimitQuery <XLQ> is answered
  with LimitResponse <XLR>: that message limit and the account's order limits, with counts.
- NewOrderSingle <D>, OrderCancelRequest <F>, OrderCancelRequestAndNewOrderSingle <XCN> and
  NewOrderList <E> (OCO) run on the REST handlers (sim/fix_order_entry.py); every
  ExecutionReport and ListStatus <N> of the account goes to every order-entry session of it.
- A drop-copy session (Logon with DropCopyFlag 9406=Y, on the drop-copy port: Binance's is
  another host; -1184 on order entry's, and a Logon without the flag there -1185) receives
  every ExecutionReport of the account `drop_copy_delay_s` late (1 s, as Binance), and its
  orders are refused (-1183).
- A message that is not FIX (bad BodyLength, CheckSum, ...): Reject -1177, and the connection
  closes.

Faults (sim/faults.py): the REST order path's (an error, drop_before_execute,
drop_after_execute on POST or DELETE /api/v3/order hit D and F too; a drop closes the TCP
connection with no Logout, after the engine acted for drop_after_execute), and the acceptor's
own: fix_garble and fix_seq_gap spoil the next message sent, fix_news sends News <B> and logs
the session out `seconds` later.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from tradeguard.sim import fix_lists, fix_logon, fix_orders
from tradeguard.sim.faults_kinds import FixGarble, FixSeqGap
from tradeguard.sim.fix_logon import Refused
from tradeguard.sim.fix_order_entry import MESSAGE_LIMIT, MESSAGE_WINDOW_S, OrderEntry
from tradeguard.sim.streams_hub import UserSink
from tradeguard.venues.binance.fix_wire import (
    SERVER_COMP_ID,
    FixMessage,
    Garbled,
    encode,
    frames,
    timestamp_us,
)

if TYPE_CHECKING:
    from tradeguard.sim.fix_acceptor import FixAcceptor
    from tradeguard.sim.keys import ApiKey

NEWS_FINAL: Final = "Your connection is about to be closed. Please reconnect."
DROP_COPY_NOT_ALLOWED: Final = (
    "DropCopy sessions are not supported on this server. Please reconnect to a drop copy server."
)
DROP_COPY_REQUIRED: Final = (
    "Only DropCopy sessions are supported on this server. Either reconnect to order entry "
    "server or send DropCopyFlag (9406) field."
)


class _Reports(UserSink):
    """The account's user events, delivered to one FIX session as ExecutionReports."""

    def __init__(self, session: FixSession, account: str) -> None:  # no StreamConn: not a socket
        self.account = account
        self.session = session

    def event(self, payload: dict[str, Any]) -> None:
        if payload.get("e") == "executionReport":
            self.session.report(payload)
        elif payload.get("e") == "listStatus":
            self.session.list_status(payload)


class FixSession:
    def __init__(
        self,
        acceptor: FixAcceptor,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        ip: str,
        *,
        drop_copy_port: bool = False,
    ) -> None:
        self.acceptor = acceptor
        self.drop_copy_port = drop_copy_port  # accepted on drop copy's port, not order entry's
        self.sim = acceptor.sim
        self.reader = reader
        self.writer = writer
        self.ip = ip
        self.key: ApiKey | None = None
        self.sender = ""
        self.heartbeat_s = 30
        self.in_seq = 0  # the last MsgSeqNum received
        self.out_seq = 0
        self.closed = False
        self.drop_copy = False  # DropCopyFlag: reports only, delayed; no orders
        self._sink: _Reports | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._received: deque[float] = deque()
        self._last_in = self._last_out = asyncio.get_running_loop().time()
        self._test_sent_at: float | None = None
        self.orders = OrderEntry(self)
        # while an order call runs, what `send` writes is held and leaves as one write at its
        # end: the order's ExecutionReports (NEW, then each fill) in one TLS record and send
        self._held: list[bytes] | None = None

    def ended(self) -> bool:
        return self.closed

    @property
    def account(self) -> str | None:
        return None if self.key is None else self.key.account

    # ── the connection ──────────────────────────────────────────────────────────────────
    async def run(self) -> None:
        buffer = bytearray()
        try:
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    return
                self._last_in = asyncio.get_running_loop().time()
                buffer += data
                try:
                    for msg in frames(buffer):
                        self._receive(msg)
                        if self.ended():
                            return
                except Garbled as exc:
                    self._refuse(Refused(-1177, f"Garbled message: {exc}"), None, "")
                    return
        except (ConnectionError, OSError):
            return
        finally:
            self.abort()

    def abort(self) -> None:
        """Close at once, with no Logout (and no report after this)."""
        if self.closed:
            return
        self.closed = True
        if self._sink is not None:
            self.sim.hub.remove_user(self._sink)
        self.acceptor.forget(self)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    def send(self, msg_type: str, body: list[tuple[int, object]]) -> None:
        if self.closed:
            return
        garble = gap = None
        if self.sim.faults.faults():
            garble = self.sim.faults.take(FixGarble)
            gap = self.sim.faults.take(FixSeqGap)
        self.out_seq += 2 if gap is not None else 1
        now_us = self.sim.clock.now_ms() * 1000
        data = encode(
            msg_type, SERVER_COMP_ID, self.sender, self.out_seq, timestamp_us(now_us), body
        )
        if garble is not None:  # a CheckSum one off
            data = data[:-4] + b"%03d\x01" % ((int(data[-4:-1]) + 1) % 256)
        self._last_out = asyncio.get_running_loop().time()
        if self._held is not None:
            self._held.append(data)
        else:
            self.writer.write(data)

    @contextlib.contextmanager
    def one_write(self) -> Iterator[None]:
        """What is sent inside leaves as one write, when it ends."""
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            if held and not self.writer.transport.is_closing():
                self.writer.write(b"".join(held))

    def _logout(self, text: str, code: int | None = None) -> None:
        self.send("5", [(58, text), (25016, code)])
        self.closed = True
        if self._sink is not None:
            self.sim.hub.remove_user(self._sink)
        self.acceptor.forget(self)
        self._tasks.append(asyncio.create_task(self._close_after_flush()))

    async def _close_after_flush(self) -> None:
        with contextlib.suppress(Exception):
            await self.writer.drain()
            self.writer.close()

    def _refuse(self, refused: Refused, msg: FixMessage | None, msg_type: str) -> None:
        self.send(
            "3",
            [
                (45, None if msg is None else msg.seq),
                (372, msg_type or None),
                (373, 99),
                (25016, refused.code),
                (58, refused.text),
            ],
        )
        self._logout(refused.text, refused.code)

    # ── messages ────────────────────────────────────────────────────────────────────────
    def _receive(self, msg: FixMessage) -> None:
        try:
            if self.key is None:
                self._logon(msg)
                return
            self._in_sequence(msg)
            self._dispatch(msg)
        except Refused as refused:
            self._refuse(refused, msg, msg.msg_type)

    def _in_sequence(self, msg: FixMessage) -> None:
        if msg.get(49) != self.sender:
            raise Refused(-1178, "SenderCompID changed during the session.")
        if msg.seq != self.in_seq + 1:
            raise Refused(-1179, f"MsgSeqNum too high or low, Expected: '{self.in_seq + 1}'")
        self.in_seq = msg.seq
        now = asyncio.get_running_loop().time()
        self._received.append(now)
        while self._received and self._received[0] <= now - MESSAGE_WINDOW_S:
            self._received.popleft()
        if len(self._received) > MESSAGE_LIMIT:
            text = f"Too many messages; current limit is '{MESSAGE_LIMIT}' messages per '10s'."
            self._logout(text, -1181)

    def _dispatch(self, msg: FixMessage) -> None:
        kind = msg.msg_type
        if kind == "0":
            if msg.get(112) is not None:
                self._test_sent_at = None
        elif kind == "1":
            self.send("0", [(112, msg.get(112))])
        elif kind == "5":
            self._logout("Logout acknowledgment.")
        elif kind == "A":
            raise Refused(-1176, "Already logged in.")
        elif kind in ("D", "F", "XCN", "E") and self.drop_copy:
            text = "Not allowed in drop copy sessions."
            self.send("3", [(45, msg.seq), (372, kind), (373, 99), (25016, -1183), (58, text)])
        elif kind == "D":
            self.orders.new_order(msg)
        elif kind == "F":
            self.orders.cancel(msg)
        elif kind == "XCN":
            self.orders.replace(msg)
        elif kind == "E":
            self.orders.new_order_list(msg)
        elif kind == "XLQ":
            self.orders.limits(msg)
        elif kind != "3":  # a client's Reject gets no answer (2025-08-12)
            self.send(
                "3",
                [
                    (45, msg.seq),
                    (372, kind),
                    (373, 99),
                    (25016, -1169),
                    (58, "Unsupported message type."),
                ],
            )

    def _logon(self, msg: FixMessage) -> None:
        self.sender = msg.get(49) or "?"  # whom the refusals below are addressed to
        key, heartbeat, self.drop_copy = fix_logon.check(msg, self.sim, self.ip)
        if self.drop_copy and not self.drop_copy_port:
            raise Refused(-1184, DROP_COPY_NOT_ALLOWED)
        if self.drop_copy_port and not self.drop_copy:
            raise Refused(-1185, DROP_COPY_REQUIRED)
        if self.acceptor.comp_id_taken(key.account, self.sender):
            raise Refused(-1033, "SenderCompId(49) is currently in use.")
        self.key, self.in_seq, self.heartbeat_s = key, 1, heartbeat
        self._received.append(asyncio.get_running_loop().time())  # the Logon counts too
        self._sink = _Reports(self, key.account)
        self.sim.hub.add_user(self._sink)
        session_id = uuid.UUID(int=self.acceptor.next_session_number())
        self.send("A", [(98, 0), (108, self.heartbeat_s), (25037, session_id)])
        self._tasks.append(asyncio.create_task(self._heartbeats()))
        self.acceptor.logged_on(self)

    def report(self, event: dict[str, Any]) -> None:
        """One executionReport event of the account, as an ExecutionReport <8>."""
        transact = timestamp_us(int(event["T"]) * 1000)
        self._deliver("8", fix_orders.execution_report(event, transact))

    def list_status(self, event: dict[str, Any]) -> None:
        """One listStatus event of the account, as a ListStatus <N>."""
        transact = timestamp_us(int(event["T"]) * 1000)
        self._deliver("N", fix_lists.list_status(event, transact))

    def _deliver(self, msg_type: str, body: list[tuple[int, object]]) -> None:
        if self.drop_copy:  # Binance delays drop copy by 1 s
            delay = self.acceptor.drop_copy_delay_s
            asyncio.get_running_loop().call_later(delay, self.send, msg_type, body)
            return
        self.send(msg_type, body)

    def messages_in_window(self) -> int:
        """The client's messages counted in the message limit's window now."""
        return len(self._received)

    # ── timers ──────────────────────────────────────────────────────────────────────────
    async def _heartbeats(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            await asyncio.sleep(1.0)
            now = loop.time()
            if now - self._last_out >= self.heartbeat_s:
                self.send("0", [])
            if self._test_sent_at is not None:
                if now - self._test_sent_at >= self.heartbeat_s:
                    self._logout("TestRequest unanswered.")
            elif now - self._last_in >= self.heartbeat_s:
                self._test_sent_at = now
                self.send("1", [(112, f"TEST{self.out_seq + 1}")])

    def news(self, seconds: float) -> None:
        """Maintenance: News now, and Logout `seconds` later unless the client left first."""
        self._tasks.append(asyncio.create_task(self._news(seconds)))

    async def _news(self, seconds: float) -> None:
        self.send(
            "B", [(148, f"You'll be disconnected in {round(seconds)} seconds. Please reconnect.")]
        )
        await asyncio.sleep(seconds)
        self.send("B", [(148, NEWS_FINAL)])
        self._logout("Logout by the server for maintenance.")
