"""A bare FIX client for the acceptor's tests: TLS with SNI, verified against the simulator's
throwaway certificate, raw messages out, decoded messages in."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import fix_wire, signing

TIMEOUT_S = 5.0


class RawFix:
    def __init__(
        self, running: RunningSim, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.running = running
        self.reader = reader
        self.writer = writer
        self.buffer = bytearray()
        self.seq = 0
        self.sender = "T1"

    @classmethod
    async def open(cls, running: RunningSim, url_key: str = "fix_url") -> RawFix:
        """A connection to order entry (`fix_url`) or drop copy (`fix_dc_url`)."""
        url = urlsplit(running.urls[url_key])
        context = ssl.create_default_context(cadata=running.urls["fix_ca_pem"])
        assert url.hostname is not None and url.port is not None
        reader, writer = await asyncio.open_connection(
            url.hostname, url.port, ssl=context, server_hostname=url.hostname
        )
        return cls(running, reader, writer)

    def now(self) -> str:
        return fix_wire.timestamp(self.running.sim.clock.now_ms())

    def send(
        self, msg_type: str, body: list[tuple[int, object]], *, seq: int | None = None
    ) -> None:
        self.seq = self.seq + 1 if seq is None else seq
        self.send_raw(fix_wire.encode(msg_type, self.sender, "SPOT", self.seq, self.now(), body))

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def logon(
        self, key_name: str = "trade-only-ed25519", sender: str = "T1", *, drop_copy: bool = False
    ) -> None:
        key = self.running.key(key_name)
        self.sender, self.seq = sender, 1

        def sign(payload: bytes) -> str:
            return signing.sign(key.kind, key.secret, payload)

        logon = fix_wire.logon(sender, 1, self.now(), key.api_key, sign, drop_copy=drop_copy)
        self.send_raw(logon)

    async def receive(self) -> fix_wire.FixMessage:
        while True:
            for message in fix_wire.frames(self.buffer):
                return message
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT_S)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data

    async def expect(self, msg_type: str) -> fix_wire.FixMessage:
        message = await self.receive()
        assert message.msg_type == msg_type, message
        return message

    async def closed(self) -> bool:
        try:
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT_S)
        except (ConnectionError, OSError):
            return True
        return data == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            await self.writer.wait_closed()


def limit_buy(client_id: str, price: str = "50000", qty: str = "0.001") -> list[tuple[int, object]]:
    return [(11, client_id), (38, qty), (40, 2), (44, price), (54, 1), (55, "BTCUSDT"), (59, 1)]
