"""order_transport = "fix": a Binance transport's order placements, cancels and cancel-replaces
over FIX order entry (venues/binance/fix.py), set up as `connect` builds the session.

FIX takes Ed25519 keys only: any other key is refused here in one line, before anything is
sent. The FIX host is Binance's for the rung (testnet, or live), or the embedded simulator's
acceptor (its throwaway certificate trusted), or the profile's `fix_url` (with `fix_ca_file`
trusted: a standalone `tradeguard sim`), and drop copy's beside it Binance's fix-dc host, the
simulator's `fix_dc_url` port, or the profile's `fix_drop_copy_url`. A profile with its own
`base_url` and no `fix_url` names no FIX host, and is refused. After any new FIX session but
the first, the session reconciles before the order that opened it leaves (Binance replays
nothing a lost session carried).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tradeguard.errors import ConfigError
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.profile.fix_host import read_ca
from tradeguard.profile.profiles import Profile
from tradeguard.session.guard import Session
from tradeguard.session.reconcile import Assets, Tolerance
from tradeguard.venues.protocol import Venue

FIX_HOSTS = {
    "testnet": "tcp+tls://fix-oe.testnet.binance.vision:9000",
    "live-small": "tcp+tls://fix-oe.binance.com:9000",
    "live": "tcp+tls://fix-oe.binance.com:9000",
}
DROP_COPY_HOSTS = {
    "testnet": "tcp+tls://fix-dc.testnet.binance.vision:9000",
    "live-small": "tcp+tls://fix-dc.binance.com:9000",
    "live": "tcp+tls://fix-dc.binance.com:9000",
}


def orders_over_fix(
    profile: Profile, transport: Venue, creds: ApiCredentials | None, sim: Any
) -> None:
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.binance.fix import FixOrderWire
    from tradeguard.venues.binance.fix_drop_copy import DropCopy
    from tradeguard.venues.binance.fix_session import FixConfig

    assert isinstance(transport, BinanceTransport)  # the profile allows "fix" on Binance only
    if creds is None or creds.kind != "ED25519":
        kind = "no key" if creds is None else f"an {creds.kind} key"
        raise ConfigError(
            f'profile {profile.name}: order_transport = "fix" needs an Ed25519 API key, and '
            f"this profile has {kind}",
            hint="create an Ed25519 key on Binance (API Management, self-generated) and give "
            'its PEM as credentials.private_key, or use order_transport = "ws"',
        )
    url, drop_copy_url, ca_pem = fix_hosts(profile, sim)
    config = transport.config
    fix_config = FixConfig(
        connect_timeout_s=config.connect_timeout_s,
        reply_timeout_s=config.timeout_s,
        backoff_base_s=config.backoff_base_s,
        backoff_cap_s=config.backoff_cap_s,
    )
    wire = FixOrderWire(url, ca_pem=ca_pem, config=fix_config)
    if profile.fix_drop_copy:
        wire.drop_copy = DropCopy(
            drop_copy_host(profile, drop_copy_url), ca_pem=ca_pem, config=fix_config
        )
    transport.order_wire = wire


def fix_hosts(profile: Profile, sim: Any) -> tuple[str, str | None, str | None]:
    """Order entry's URL, drop copy's (None: none named beside a fix_url) and the
    certificate to trust (None: the system's) for a profile with order_transport = "fix"
    (`sim`: the embedded simulator, or None); ConfigError when the profile names none."""
    if sim is not None:  # the simulator serves order entry and drop copy on a port each
        return sim.urls["fix_url"], sim.urls["fix_dc_url"], sim.urls["fix_ca_pem"]
    if profile.fix_url is not None:
        ca_pem = None if profile.fix_ca_file is None else read_ca(profile.name, profile.fix_ca_file)
        return profile.fix_url, profile.fix_drop_copy_url, ca_pem
    if profile.base_url is None and profile.env in FIX_HOSTS:
        return FIX_HOSTS[profile.env], DROP_COPY_HOSTS[profile.env], None
    raise ConfigError(
        f'profile {profile.name}: order_transport = "fix" has no FIX host for base_url '
        f"{profile.base_url}",
        hint='add fix_url = "tcp+tls://HOST:PORT" (and fix_ca_file for a simulator\'s '
        'certificate), remove base_url, or use order_transport = "ws" with it',
    )


def drop_copy_host(profile: Profile, url: str | None) -> str:
    """Drop copy's URL from `fix_hosts`, or the one line saying it has none."""
    if url is None:
        raise ConfigError(
            f"profile {profile.name}: fix_drop_copy has no drop-copy host beside fix_url",
            hint='add fix_drop_copy_url = "tcp+tls://HOST:PORT" (a `tradeguard sim` '
            "prints its fix_dc_url), or delete fix_drop_copy",
        )
    return url


def attach(session: Session, assets: Assets, tolerance: Tolerance) -> None:
    """The FIX wire's hooks into the session: its ExecutionReports recorded as the user
    stream's executionReports are (a fill both bring is booked once: the ledger drops the
    repeat), reconciliation before a new session sends, and the order counts each
    LimitResponse reports taken by the rate ledger."""
    from tradeguard.errors import TradeguardError
    from tradeguard.events import OrderFilled, StreamGapLost
    from tradeguard.session.reconciler import reconcile_now
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.binance.fix import FixOrderWire
    from tradeguard.venues.binance.fix_drop_copy import DROP_COPY_STREAM
    from tradeguard.venues.binance.fix_messages import stream_event
    from tradeguard.venues.binance.fix_session import FixLimit, order_count_headers
    from tradeguard.venues.binance.fix_wire import FixMessage
    from tradeguard.venues.binance.userevents import UserEvents

    transport = session.transport
    assert isinstance(transport, BinanceTransport)
    wire = transport.order_wire
    assert isinstance(wire, FixOrderWire)

    async def resume() -> None:
        await reconcile_now(session, assets, tolerance)

    decoder = UserEvents(assets, session.profile)

    def on_report(message: FixMessage) -> None:
        event = stream_event(message)
        if event is None:
            return
        try:
            events = decoder.events(event, session.clock.wall_ms())
        except (TradeguardError, ValueError):
            return  # a symbol this session does not trade: the user stream has it
        for each in events:
            session.recorder.record(each)

    def on_limits(limits: list[FixLimit]) -> None:
        # the account's order counts, as REST's headers bring them (others trade on it too)
        transport.ledger.observe_headers(order_count_headers(limits), transport.server_now_ms())

    wire.before_resume = resume
    wire.on_report = on_report
    wire.on_limits = on_limits
    drop_copy = wire.drop_copy
    if drop_copy is None or transport.credentials is None:
        return
    checks: set[asyncio.Task[list[str]]] = set()

    def on_copy(message: FixMessage) -> None:
        """A fill on drop copy that order entry had not booked: booked from here (journaled),
        and the session reconciles (journaled too) to learn what else it missed."""
        event = stream_event(message)
        if event is None:
            return
        try:
            events = decoder.events(event, session.clock.wall_ms())
        except (TradeguardError, ValueError):
            return
        fills = [each for each in events if isinstance(each, OrderFilled)]
        caught = [each for each in fills if session.recorder.record(each)]
        if caught:
            drop_copy.caught += len(caught)
            check = asyncio.create_task(reconcile_now(session, assets, tolerance))
            checks.add(check)
            check.add_done_callback(checks.discard)

    def on_refused(reason: str) -> None:
        """Drop copy stopped for good: the stream lost, with why (the journal, `status`, and
        the alert path's stream-lost alert, which names it)."""
        now = session.clock.wall_ms()
        lost = StreamGapLost(
            at_ms=now, profile=session.profile, stream=DROP_COPY_STREAM, since_ms=now,
            reason=reason,
        )  # fmt: skip
        session.recorder.record(lost)

    drop_copy.on_report = on_copy
    drop_copy.on_refused = on_refused
    drop_copy.now_ms = transport.server_now_ms
    drop_copy.start(transport.credentials)
