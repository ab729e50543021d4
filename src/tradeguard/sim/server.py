"""Run the simulator: embedded in a caller's event loop (`start`) or as `tradeguard sim` (`main`).

`start` is what tests and the embedded `tradeguard run` use: it listens on a free loopback port
in the caller's loop and returns a `RunningSim` with its URLs, keys, handles and `close()`.
`main` serves until SIGINT/SIGTERM and prints exactly one JSON line on start:

    {"base_url": "http://127.0.0.1:PORT", "ws_api_url": "ws://127.0.0.1:PORT/ws-api/v3",
     "stream_url": "ws://127.0.0.1:PORT/ws", "control_url": "http://127.0.0.1:PORT/sim/v1",
     "fix_url": "tcp+tls://localhost:PORT2", "fix_dc_url": "tcp+tls://localhost:PORT3",
     "fix_ca_pem": "-----BEGIN CERTIFICATE-----...",
     "keys": [{"name", "api_key", "secret", "kind", "permissions"}, ...]}

aiohttp is imported inside the functions, so importing this module (as the CLI does) is cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tradeguard.errors import TradeguardError
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.task_stop import stop_task
from tradeguard.sim.config import SimConfig, load

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.sim.app import RequestLog, Sim
    from tradeguard.sim.engine import Engine
    from tradeguard.sim.faults import FaultPlan
    from tradeguard.sim.fix_acceptor import FixAcceptor
    from tradeguard.sim.keys import ApiKey
    from tradeguard.sim.limits import Ledger

TICK_S = 0.05  # how often the wall-clock market catches up when no request arrives
SHUTDOWN_TIMEOUT_S = 2.0


@dataclass
class RunningSim:
    """A simulator serving on loopback. `close()` stops it; the handles stay readable."""

    sim: Sim
    urls: dict[str, str]  # the dialect's: base_url, control_url and its WebSocket URLs
    _runner: web.AppRunner
    _ticker: asyncio.Task[None] | None = None
    _closed: bool = field(default=False)
    fix: FixAcceptor | None = None  # Binance's FIX order entry (the Binance dialect only)

    @property
    def venue(self) -> str:
        return self.sim.config.venue

    @property
    def base_url(self) -> str:
        return self.urls["base_url"]

    @property
    def control_url(self) -> str:
        return self.urls["control_url"]

    @property
    def ws_api_url(self) -> str:
        """Binance's WebSocket API (the Binance dialect only)."""
        return self.urls["ws_api_url"]

    @property
    def stream_url(self) -> str:
        """Binance's stream endpoint (the Binance dialect only)."""
        return self.urls["stream_url"]

    @property
    def keys(self) -> list[ApiKey]:
        return self.sim.keys

    @property
    def key_listing(self) -> list[dict[str, object]]:
        return self.sim.key_listing

    def key(self, name: str) -> ApiKey:
        found = self.sim.keystore.by_name(name)
        if found is None:
            raise KeyError(f"no key named {name!r}; have {[k.name for k in self.sim.keys]}")
        return found

    @property
    def engine(self) -> Engine:
        return self.sim.engine

    @property
    def ledger(self) -> Ledger:
        return self.sim.ledger

    @property
    def faults(self) -> FaultPlan:
        return self.sim.faults

    @property
    def requests(self) -> RequestLog:
        return self.sim.requests

    def user_stream_subscriptions(self) -> int:
        """How many user-data subscriptions are live (tests wait for a client's subscribe)."""
        return self.sim.hub.user_subscriptions()

    def announcement(self) -> dict[str, object]:
        """The JSON start line of `tradeguard sim`."""
        venue = {} if self.venue == "binance" else {"venue": self.venue}
        return {**venue, **self.urls, "keys": self.key_listing}

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._ticker is not None:
                await stop_task(self._ticker)
        finally:  # cancelled while the ticker ends, the servers still close
            if self.fix is not None:
                await self.fix.close()
            await self._runner.cleanup()

    async def __aenter__(self) -> RunningSim:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _tick_forever(sim: Sim) -> None:
    """Let the market move on the wall clock: synthetic fills and triggers need no request."""
    while True:
        await asyncio.sleep(TICK_S)
        try:
            sim.tick()
        except Exception as exc:  # the simulator keeps serving; the fault is on stderr
            print(f"tradeguard sim: market tick failed: {exc!r}", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):  # noqa: S104 - only naming the address in URLs
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


async def start(
    config: SimConfig, host: str = "127.0.0.1", port: int = 0, *, wall: Clock = SYSTEM
) -> RunningSim:
    """Serve a simulator in the running event loop; port 0 picks a free port."""
    from aiohttp import web

    from tradeguard.sim import dialects
    from tradeguard.sim.app import Sim

    dialect = dialects.load(config.venue)
    sim = Sim(config, wall)
    runner = web.AppRunner(
        dialect.build_app(sim),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            bound_port = int(address[1])
            break
    root = f"{_url_host(host)}:{bound_port}"
    urls = dialect.urls(root)
    fix = None
    if config.venue == "binance":
        from tradeguard.sim.fix_acceptor import FixAcceptor

        fix = FixAcceptor(sim, wall.wall_ms())
        try:
            urls.update(fix.urls(await fix.start(host)))
        except BaseException:
            await runner.cleanup()
            raise
    ticker = asyncio.create_task(_tick_forever(sim)) if config.clock == "wall" else None
    return RunningSim(sim=sim, urls=urls, _runner=runner, _ticker=ticker, fix=fix)


async def _serve(config: SimConfig, host: str, port: int) -> int:
    running = await start(config, host, port)
    print(json.dumps(running.announcement()), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await running.close()
    return 0


def main(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int | None = None,
    config_path: Path | None = None,
    venue: str | None = None,
) -> int:
    """`tradeguard sim`: serve until SIGINT/SIGTERM. Raises ConfigError for a bad config."""
    config = load(config_path, seed, venue)
    return asyncio.run(_serve(config, host, port))


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradeguard.sim.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--venue", default=None)
    args = parser.parse_args(argv)
    try:
        return main(args.host, args.port, args.seed, args.config, args.venue)
    except TradeguardError as exc:
        print(f"tradeguard sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tradeguard sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
