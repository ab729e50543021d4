"""The simulator's FIX order-entry acceptor: TLS on loopback, one `FixSession` per connection,
on the simulator's engine, keys, order limits and fault plan (the Binance dialect only).

Started beside the HTTP server by `sim/server.py`; its URLs are `fix_url` (order entry,
`tcp+tls://localhost:PORT`: connect with SNI `localhost`) and `fix_dc_url` (drop copy, a port
of its own as Binance's is a host of its own: a Logon with DropCopyFlag on order entry is
-1184, one without it on drop copy -1185), and the certificate to trust is `fix_ca_pem` in
the start line. The certificate is made when the simulator starts
(`fix_tls.py`). It tracks the live sessions: SenderCompIDs are unique per account among
them (-1033), and a fix_news fault goes to every logged-on session at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import TYPE_CHECKING

from tradeguard.net.task_stop import stop_task
from tradeguard.sim import rest_orderlist, rest_replace, rest_trade
from tradeguard.sim.faults_kinds import FixNews
from tradeguard.sim.fix_session import FixSession
from tradeguard.sim.fix_tls import HOST_NAME, throwaway
from tradeguard.sim.rest_pipeline import Endpoint

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim


class FixAcceptor:
    def __init__(self, sim: Sim, wall_ms: int) -> None:
        """`wall_ms`: the host's time now, which TLS checks the certificate's dates against
        (the simulator's own clock may be a manual one, years away)."""
        self.sim = sim
        self.certificate = throwaway(wall_ms)
        self.sessions: set[FixSession] = set()
        self.endpoints: dict[str, Endpoint] = {
            e.method: e
            for e in rest_trade.endpoints(sim)
            if e.path == "/api/v3/order" and e.method in ("POST", "DELETE")
        }
        (self.endpoints["REPLACE"],) = rest_replace.endpoints(sim)
        lists = {e.path: e for e in rest_orderlist.endpoints(sim)}
        for route in ("OCO", "OTO", "OTOCO"):
            self.endpoints[route] = lists[f"/api/v3/orderList/{route.lower()}"]
        self.connections = 0  # accepted so far
        self.drop_copy_delay_s = 1.0  # Binance's drop copy runs 1 s behind
        self._session_numbers = 0
        self._servers: list[asyncio.Server] = []
        self._drop_copy_port = 0
        self._runs: set[asyncio.Task[None]] = set()
        sim.fault_watchers.append(self._fault_added)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for order entry (on `port`) and drop copy (on a port of its own); the order
        entry port bound."""
        context = self.certificate.context
        for drop_copy in (False, True):
            server = await asyncio.start_server(
                functools.partial(self._accept, drop_copy=drop_copy),
                host,
                0 if drop_copy else port,
                ssl=context,
            )
            self._servers.append(server)
        self._drop_copy_port = _port(self._servers[1])
        return _port(self._servers[0])

    def urls(self, port: int) -> dict[str, str]:
        return {
            "fix_url": f"tcp+tls://{HOST_NAME}:{port}",
            "fix_dc_url": f"tcp+tls://{HOST_NAME}:{self._drop_copy_port}",
            "fix_ca_pem": self.certificate.pem,
        }

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.abort()
        runs = list(self._runs)
        for run in runs:
            run.cancel()  # all at once: a close cancelled midway leaves none running
        try:
            for run in runs:
                await stop_task(run, quiet=(Exception,))
        finally:
            for server in self._servers:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2.0):  # not wait_for: it can swallow a cancel
                        await server.wait_closed()

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, drop_copy: bool
    ) -> None:
        self.connections += 1
        peer = writer.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) else ""
        session = FixSession(self, reader, writer, ip, drop_copy_port=drop_copy)
        self.sessions.add(session)
        run = asyncio.current_task()
        if run is not None:
            self._runs.add(run)
        try:
            await session.run()
        finally:
            if run is not None:
                self._runs.discard(run)

    # ── what the sessions ask ───────────────────────────────────────────────────────────
    def comp_id_taken(self, account: str, sender: str) -> bool:
        return any(
            s.account == account and s.sender == sender and not s.closed for s in self.sessions
        )

    def next_session_number(self) -> int:
        self._session_numbers += 1
        return self._session_numbers

    def logged_on(self, session: FixSession) -> None:
        self._fault_added()  # a fix_news waiting from sim.toml

    def forget(self, session: FixSession) -> None:
        self.sessions.discard(session)

    def _fault_added(self) -> None:
        live = [s for s in self.sessions if s.key is not None and not s.closed]
        if not live or not any(isinstance(f, FixNews) for f in self.sim.faults.faults()):
            return
        news = self.sim.faults.take(FixNews)
        if news is not None:
            for session in live:
                session.news(news.seconds)


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
