"""A FIX session's opening cancelled in the very turn its connection opens, or its Logon is
answered, ends cancelled: no Logon goes out of a cancelled open, and no session is left open."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.venues.binance import fix_wire
from tradeguard.venues.binance.fix import FixOrderWire
from tradeguard.venues.binance.fix_drop_copy import DropCopy
from tradeguard.venues.binance.fix_session import FixConfig, FixSession, open_session

CREDS = ApiCredentials("k" * 64, Secret("s" * 64))
SENDER = "TG1"
TIME = "20261207-13:00:00.000"


class _Owner:
    def sending_time(self) -> str:
        return TIME

    def report(self, message: fix_wire.FixMessage) -> None:
        pass

    def noticed_news(self) -> None:
        pass

    def limits_reported(self, limits: object) -> None:
        pass

    def forget(self, session: FixSession) -> None:
        pass


class _Writer:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    async def drain(self) -> None:
        pass


class _Reader:
    """Answers the first read with `first` once it is set, then never again."""

    def __init__(self, first: asyncio.Future[bytes]) -> None:
        self.first = first
        self.reads = 0

    async def read(self, n: int) -> bytes:
        self.reads += 1
        if self.reads == 1:
            return await self.first
        await asyncio.get_running_loop().create_future()
        return b""


def _opening(
    monkeypatch: pytest.MonkeyPatch, opened: asyncio.Future[None], reader: _Reader, writer: _Writer
) -> asyncio.Future[FixSession]:
    async def open_connection(host: str, port: int, **options: object) -> tuple[_Reader, _Writer]:
        await opened
        return reader, writer

    monkeypatch.setattr(asyncio, "open_connection", open_connection)
    return asyncio.ensure_future(
        open_session(
            _Owner(),
            ("127.0.0.1", 9000),
            ssl.create_default_context(),
            SENDER,
            CREDS,
            FixConfig(),
        )
    )


async def _stopped(opening: asyncio.Future[FixSession]) -> None:
    """A session that opened anyway is stopped, so the test ends either way."""
    for _ in range(5):
        await asyncio.sleep(0)
    if opening.done() and not opening.cancelled() and opening.exception() is None:
        for task in opening.result().tasks:
            task.cancel()
    opening.cancel()
    for _ in range(5):
        await asyncio.sleep(0)


async def test_an_open_cancelled_as_its_connection_opens_sends_no_logon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On Python 3.11 asyncio.wait_for returned the connection to an open cancelled in the turn
    # it was made, and the signed Logon went out of it.
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[None] = loop.create_future()
    writer = _Writer()
    opening = _opening(monkeypatch, opened, _Reader(loop.create_future()), writer)
    for _ in range(3):  # the open reaches its connect
        await asyncio.sleep(0)
    opened.set_result(None)
    opening.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    try:
        assert writer.written == []
        assert opening.cancelled()
    finally:
        await _stopped(opening)


async def test_an_open_cancelled_as_its_logon_is_answered_leaves_no_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On Python 3.11 asyncio.wait_for returned the server's Logon to an open cancelled in the
    # turn it came: the session started its reader and heartbeats for a caller that had gone.
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[None] = loop.create_future()
    opened.set_result(None)
    answer: asyncio.Future[bytes] = loop.create_future()
    writer = _Writer()
    opening = _opening(monkeypatch, opened, _Reader(answer), writer)
    for _ in range(5):  # the Logon is written and the open waits for its answer
        await asyncio.sleep(0)
    assert len(writer.written) == 1
    answer.set_result(
        fix_wire.encode("A", fix_wire.SERVER_COMP_ID, SENDER, 1, TIME, [(98, 0), (108, 30)])
    )
    opening.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    try:
        assert opening.cancelled()
        assert writer.closed
    finally:
        await _stopped(opening)


class _StuckWriter(_Writer):
    """A writer whose drain never ends (a peer that stopped reading)."""

    async def drain(self) -> None:
        await asyncio.get_running_loop().create_future()


@pytest.mark.parametrize("kind", [FixOrderWire, DropCopy])
async def test_a_close_cancelled_while_its_logout_drains_still_closes_the_session(
    kind: type[FixOrderWire] | type[DropCopy],
) -> None:
    # close() writes a Logout and waits (bounded) for it to drain; cancelled then, it left the
    # session open (its socket, reader and heartbeats) for good.
    wire = kind("tcp+tls://127.0.0.1:9000")
    loop = asyncio.get_running_loop()
    session = FixSession(wire, _Reader(loop.create_future()), _StuckWriter(), SENDER)  # type: ignore[arg-type]
    wire._session = session
    closing = asyncio.ensure_future(wire.close())
    for _ in range(3):  # the close waits for its Logout to drain
        await asyncio.sleep(0)
    assert not closing.done()
    closing.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert closing.cancelled()
    assert session.closed
