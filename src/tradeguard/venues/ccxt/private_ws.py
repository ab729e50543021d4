"""The private WebSocket of Bybit, OKX and Kraken, spoken natively (aiohttp, msgspec).

`open_socket` connects to the venue's private URL (the one ccxt was configured with: the
simulator's dialect, the venue's testnet, or its own host); a `Socket` reads frames in order,
hands each data push's events on, and queues the venue's replies for the handshake. A `Link`
per venue says how to log in and subscribe (`frames/<venue>.py` has the words), what a ping is,
and how often the venue wants one:

    Bybit   auth op (key, expires, HMAC), subscribe order/execution/wallet; ping every 20 s
            (Bybit drops a silent connection)
    OKX     two connections, each logged in (key, passphrase, timestamp, HMAC): /private
            with orders + account, /business with orders-algo (an untriggered stop's changes:
            OKX serves that channel there only); "ping" within 30 s on each (OKX closes a
            connection idle for 30 s). Either closing, or going quiet, ends both.
    Kraken  a token from REST GetWebSocketsToken (through the venue's wire: counted, noted),
            subscribe executions and balances with it; a fresh token for every connection

A key the venue refuses raises `Refused` (the stream stops with an AuthError); anything else
that fails raises a TransportError or TimeoutError (the stream reconnects). The stream
(`stream.py`) supervises; nothing here retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol

from tradeguard.errors import TransportError
from tradeguard.net.clock import Clock
from tradeguard.venues.ccxt.frames import bybit, kraken, okx
from tradeguard.venues.ccxt.frames.account import Account, Heard, Reply

if TYPE_CHECKING:
    import aiohttp

    from tradeguard.venues.ccxt.venue import CcxtVenue

OnHeard = Callable[[Heard], None]  # synchronous: each frame is dealt with before the next


class Refused(Exception):
    """The venue refused the key on the private socket (its words, never the secret)."""


class Decoder(Protocol):
    def frame(self, data: bytes | str, at_ms: int) -> Heard: ...


class Socket:
    """One open private connection: `read` until it closes, `send`, and the replies."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, decoder: Decoder, clock: Clock):
        self.ws = ws
        self.decoder = decoder
        self.clock = clock
        self.last_frame = clock.monotonic()
        self.ping_sent: float | None = None
        self._replies: asyncio.Queue[Reply] = asyncio.Queue()
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def read(self, on_heard: OnHeard) -> None:
        """Every frame in order until the connection closes (then returns)."""
        import aiohttp

        decode, clock = self.decoder.frame, self.clock
        try:
            async for message in self.ws:
                if (
                    message.type is aiohttp.WSMsgType.TEXT
                    or message.type is aiohttp.WSMsgType.BINARY
                ):
                    self.last_frame = clock.monotonic()
                    self.ping_sent = None  # the socket is alive
                    heard = decode(message.data, clock.wall_ms())
                    if heard.reply is not None:
                        self._replies.put_nowait(heard.reply)
                    on_heard(heard)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
        finally:
            if not self._closed.done():
                self._closed.set_result(None)

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)

    async def ping(self, text: str) -> None:
        self.ping_sent = self.clock.monotonic()
        await self.send(text)

    async def reply_to(self, ops: Collection[str], timeout_s: float) -> Reply:
        """The next reply whose op is one of `ops` (pongs and others pass by)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            getter: asyncio.Future[Any] = asyncio.ensure_future(self._replies.get())
            waits: set[asyncio.Future[Any]] = {getter, self._closed}
            done, _ = await asyncio.wait(
                waits,
                timeout=max(0.0, deadline - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if getter not in done:
                getter.cancel()
                if self._closed.done():
                    raise TransportError("the private socket closed during the handshake")
                raise TimeoutError(f"no {'/'.join(sorted(ops))} reply from the private socket")
            reply: Reply = getter.result()
            if reply.op in ops:
                return reply

    async def close(self) -> None:
        await self.ws.close()


class SocketPair:
    """Two connections read as one (OKX's /private and /business): frames from either, in
    the order each sends them; it ends when either ends. Its last frame is the staler one's
    and its unanswered ping the older one, so a silent connection is pinged and, mute, ends
    both."""

    def __init__(self, private: Socket, business: Socket) -> None:
        self.private = private
        self.business = business

    @property
    def last_frame(self) -> float:
        return min(self.private.last_frame, self.business.last_frame)

    @property
    def ping_sent(self) -> float | None:
        sent = [s.ping_sent for s in (self.private, self.business) if s.ping_sent is not None]
        return min(sent, default=None)

    async def read(self, on_heard: OnHeard) -> None:
        reads = [asyncio.ensure_future(s.read(on_heard)) for s in (self.private, self.business)]
        try:
            done, _ = await asyncio.wait(reads, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # an unreadable frame is raised as from one socket
        finally:
            for task in reads:
                task.cancel()
            await asyncio.gather(*reads, return_exceptions=True)

    async def ping(self, text: str) -> None:
        for socket in (self.private, self.business):
            await socket.ping(text)

    async def close(self) -> None:
        try:
            await self.private.close()
        finally:
            await self.business.close()


class Connection(Protocol):
    """What the stream reads, pings and closes: one socket, or OKX's pair."""

    @property
    def last_frame(self) -> float: ...

    @property
    def ping_sent(self) -> float | None: ...

    async def read(self, on_heard: OnHeard) -> None: ...

    async def ping(self, text: str) -> None: ...

    async def close(self) -> None: ...


class Link(Protocol):
    ping: str
    keepalive_s: float

    def decoder(self, account: Account) -> Decoder: ...

    async def open(
        self, http: aiohttp.ClientSession, decoder: Decoder, clock: Clock, timeout_s: float
    ) -> Connection: ...

    async def handshake(self, connection: Connection, timeout_s: float) -> None: ...


class _Base:
    ping = ""
    keepalive_s = 30.0

    def __init__(self, venue: CcxtVenue) -> None:
        self.venue = venue

    def url(self) -> str:
        raise NotImplementedError

    async def open(
        self, http: aiohttp.ClientSession, decoder: Decoder, clock: Clock, timeout_s: float
    ) -> Connection:
        return await open_socket(http, self.url(), decoder, clock, timeout_s)

    def _credentials(self) -> Any:
        creds = self.venue.credentials
        if creds is None:
            raise Refused("no API key is configured for the private stream")
        return creds


class BybitLink(_Base):
    ping = bybit.PING
    keepalive_s = 20.0

    def url(self) -> str:
        return _imploded(
            self.venue.exchange, self.venue.exchange.urls["api"]["ws"]["private"]["contract"]
        )

    def decoder(self, account: Account) -> Decoder:
        return bybit.Decoder(account)

    async def handshake(self, connection: Connection, timeout_s: float) -> None:
        socket = _single(connection)
        creds = self._credentials()
        now = self.venue.server_now_ms()
        await socket.send(bybit.auth_frame(creds.api_key, creds.secret.reveal(), now))
        reply = await socket.reply_to(("auth",), timeout_s)
        if not reply.ok:
            raise Refused(reply.text or "auth refused")
        await socket.send(bybit.subscribe_frame())
        reply = await socket.reply_to(("subscribe",), timeout_s)
        if not reply.ok:
            raise TransportError(f"bybit refused the subscription: {reply.text[:200]}")


class OkxLink(_Base):
    ping = okx.PING
    keepalive_s = 25.0

    def url(self, path: str = "/private") -> str:
        ex = self.venue.exchange
        suffix = "?brokerId=9999" if ex.options.get("sandboxMode") else ""
        return _imploded(ex, ex.urls["api"]["ws"]) + path + suffix

    def decoder(self, account: Account) -> Decoder:
        return okx.Decoder(account)

    async def open(
        self, http: aiohttp.ClientSession, decoder: Decoder, clock: Clock, timeout_s: float
    ) -> Connection:
        private = await open_socket(http, self.url(), decoder, clock, timeout_s)
        try:
            business = await open_socket(http, self.url("/business"), decoder, clock, timeout_s)
        except BaseException:
            await private.close()
            raise
        return SocketPair(private, business)

    async def handshake(self, connection: Connection, timeout_s: float) -> None:
        if not isinstance(connection, SocketPair):
            raise TypeError("OKX's private stream is a pair of connections")
        for socket, channels in (
            (connection.private, okx.CHANNELS),
            (connection.business, okx.BUSINESS_CHANNELS),
        ):
            await self._login(socket, timeout_s)
            await socket.send(okx.subscribe_frame(channels))
            waiting = set(channels)
            while waiting:
                reply = await socket.reply_to(("subscribe", "error"), timeout_s)
                if not reply.ok:
                    said = f"{reply.code} {reply.text[:200]}"
                    raise TransportError(f"okx refused a subscription: {said}")
                waiting.discard(reply.channel)

    async def _login(self, socket: Socket, timeout_s: float) -> None:
        creds = self._credentials()
        if creds.passphrase is None:
            raise Refused("OKX needs the key's passphrase")
        now = self.venue.server_now_ms()
        secret, phrase = creds.secret.reveal(), creds.passphrase.reveal()
        await socket.send(okx.login_frame(creds.api_key, secret, phrase, now))
        reply = await socket.reply_to(("login", "error"), timeout_s)
        if not reply.ok:
            if reply.code in okx.CLOCK_CODES:
                raise TransportError(f"okx login: {reply.code} {reply.text[:200]}")
            raise Refused(f"{reply.code} {reply.text}".strip())


class KrakenLink(_Base):
    ping = kraken.PING

    def url(self) -> str:
        return _imploded(self.venue.exchange, self.venue.exchange.urls["api"]["ws"]["privateV2"])

    def decoder(self, account: Account) -> Decoder:
        return kraken.Decoder(account)

    async def handshake(self, connection: Connection, timeout_s: float) -> None:
        socket = _single(connection)
        self._credentials()
        token = await self._token()
        for frame in kraken.subscribe_frames(token):
            await socket.send(frame)
        waiting = set(kraken.CHANNELS)
        while waiting:
            reply = await socket.reply_to(("subscribe",), timeout_s)
            if not reply.ok:
                if "Invalid permissions" in reply.text or "Invalid key" in reply.text:
                    raise Refused(reply.text)
                raise TransportError(f"kraken refused a subscription: {reply.text[:200]}")
            waiting.discard(reply.channel)

    async def _token(self) -> str:
        ex = self.venue.exchange
        reply = await self.venue._wire.call(
            "GetWebSocketsToken", lambda: ex.private_post_getwebsocketstoken()
        )
        token = ((reply or {}).get("result") or {}).get("token")
        if not token:
            raise TransportError("kraken: GetWebSocketsToken answered no token")
        return str(token)


LINKS: dict[str, Callable[[CcxtVenue], Link]] = {
    "bybit": BybitLink,
    "okx": OkxLink,
    "kraken": KrakenLink,
}


def link_for(venue: CcxtVenue) -> Link:
    return LINKS[venue.name](venue)


async def open_socket(
    http: aiohttp.ClientSession, url: str, decoder: Decoder, clock: Clock, timeout_s: float
) -> Socket:
    import aiohttp

    # asyncio.timeout, not wait_for: on 3.11 wait_for hands the socket to an open cancelled in
    # the turn it came, and the stream logged in on it for a caller that had gone
    async with asyncio.timeout(timeout_s):
        ws = await http.ws_connect(
            url, autoping=True, heartbeat=None, timeout=aiohttp.ClientWSTimeout(ws_close=1.0)
        )
    return Socket(ws, decoder, clock)


def _single(connection: Connection) -> Socket:
    if not isinstance(connection, Socket):
        raise TypeError("this venue's private stream is one connection")
    return connection


def _imploded(exchange: Any, url: str) -> str:
    implode = getattr(exchange, "implode_hostname", None)
    return str(implode(url)) if implode is not None else url
