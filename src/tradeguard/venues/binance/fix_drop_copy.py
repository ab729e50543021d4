"""A FIX drop-copy session beside order entry (profile `fix_drop_copy = true`): Binance sends
it every ExecutionReport of the account, 1 s late, whatever placed the order. The session
reads them as the user stream's (connect_fix.py) to cross-check the fills order entry booked:
a fill seen here and not booked is booked from here, and the session reconciles.

It only listens: no order leaves on it (Binance refuses them, -1183). A lost session is
opened again after a jittered backoff, waited on the injected `sleep` (tests pass one that
returns at once); what it missed meanwhile is the reconciliation's. A host that serves order
entry instead (-1184) stops it: `refused` says which key to fix, and `on_refused` hands that
line to the session (connect_fix.py journals it as the `fix_drop_copy` stream lost, which the
alert path raises). `logon_once` is one Logon and a Logout, for `tradeguard doctor`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.task_stop import stop_task
from tradeguard.venues.binance import fix_wire
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
DROP_COPY_STREAM = "fix_drop_copy"  # its name where streams are named (StreamGapLost, alerts)


class DropCopy:
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
        self.address = fix_address(url)
        self.config = config or FixConfig()
        self._tls = tls_context(ca_pem)
        self._rng = rng or random.Random()  # comp ids and jitter, not cryptography
        self._sleep = sleep
        self.now_ms: Callable[[], int] = lambda: 0  # the exchange's clock, for SendingTime
        self.on_report: Callable[[fix_wire.FixMessage], None] | None = None
        self.on_refused: Callable[[str], None] | None = None
        self.connections = 0
        self.reports = 0  # ExecutionReports received
        self.caught = 0  # fills seen here that order entry had not booked
        # why drop copy stopped for good: its host serves order entry (-1184); None while on
        self.refused: str | None = None
        self._session: FixSession | None = None
        self._credentials: ApiCredentials | None = None  # what the next logon signs with
        self._ended = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def start(self, credentials: ApiCredentials) -> None:
        self._credentials = credentials
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    def renew(self, credentials: ApiCredentials) -> None:
        """Log on with `credentials` from now on (a rotated key, audited already): the session
        open now logs out, and `_run` logs a new one on with the new key (the old key's
        session would end when the old key is deleted, and every logon after with it fail)."""
        self._credentials = credentials
        session = self._session
        if session is not None and not session.closed:
            with contextlib.suppress(Exception):
                session.write("5", [], self.sending_time())  # Logout: ours, not a drop
            session.close()  # `forget` ends the wait in `_run`

    async def _run(self) -> None:
        failures = 0
        while not self._closed:
            self._ended.clear()
            credentials = self._credentials
            assert credentials is not None  # set by start
            try:
                self._session = await self._logon(credentials)
            except LogonRefused as exc:
                if exc.wrong_host:  # order entry's host: no retry will change that
                    self.refused = self._wrong_host(exc)
                    if self.on_refused is not None:
                        self.on_refused(self.refused)
                    return
                failures += 1
                await self._back_off(failures)
                continue
            except NOT_REACHED:
                failures += 1
                await self._back_off(failures)
                continue
            failures = 0
            self.connections += 1
            await self._ended.wait()

    async def _logon(self, credentials: ApiCredentials) -> FixSession:
        sender = comp_id("dc", self._rng)
        return await open_session(
            self, self.address, self._tls, sender, credentials, self.config, drop_copy=True
        )

    def _wrong_host(self, exc: LogonRefused) -> str:
        return (
            f"drop copy at {self.url}: {exc}; fix_drop_copy_url names an order-entry host: "
            "name the drop-copy one (fix-dc)"
        )

    async def logon_once(self, credentials: ApiCredentials) -> str | None:
        """One Logon, then a Logout: None if the host took it, else why not (one line)."""
        try:
            session = await self._logon(credentials)
        except LogonRefused as exc:
            return self._wrong_host(exc) if exc.wrong_host else f"drop copy at {self.url}: {exc}"
        except NOT_REACHED as exc:
            return f"drop copy at {self.url} could not be reached: {exc or type(exc).__name__}"
        self._session = session
        await self.close()
        return None

    async def _back_off(self, failures: int) -> None:
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (failures - 1))
        await self._sleep(self._rng.uniform(0, ceiling))

    # ── what the session tells its owner ────────────────────────────────────────────────
    def sending_time(self) -> str:
        return fix_wire.timestamp(self.now_ms())

    def report(self, message: fix_wire.FixMessage) -> None:
        self.reports += 1
        if self.on_report is not None:
            self.on_report(message)

    def noticed_news(self) -> None:
        """Maintenance: the session logs itself out at once (nothing waits on a drop-copy
        session), and `_run` opens a new one."""

    def limits_reported(self, limits: list[FixLimit]) -> None:
        """Drop copy's own message limit (60 per 60 s) is held by its session; nothing of it
        is the order-rate ledger's."""

    def forget(self, session: FixSession) -> None:
        if self._session is session:
            self._session = None
            self._ended.set()

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        try:
            if session is not None and not session.closed:
                with contextlib.suppress(Exception):
                    session.write("5", [], self.sending_time())
                    async with asyncio.timeout(1.0):  # a Logout unsent in a second is given up
                        await session.writer.drain()
        finally:  # cancelled while the Logout drains, the session and its loop still end
            if session is not None:
                session.close()
            self._ended.set()
            if self._task is not None:
                self._task.cancel()
        if self._task is not None:
            await stop_task(self._task, quiet=(Exception,))
