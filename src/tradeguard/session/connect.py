"""`tradeguard.connect(profile)`: a profile in, a ready `Session` out, or a clear refusal.

What connecting does, in order (each step can refuse, and says how to fix it):

1. the profile (tradeguard.toml, or the built-in default: the embedded simulator);
2. the exchange: for env = "sim" without a base_url, a simulator started in this process with
   its own trade-only key; otherwise the profile's credentials (environment, keyring, file);
3. the clock offset (refusing a skew beyond the bound), exchangeInfo (symbol rules and rate
   limits, one request);
4. the key audit (withdraw or transfer rights refuse; live needs an IP whitelist; ...);
5. the rung: above testnet only once promoted (the journal holds the grant);
6. the journal's hash chain checked from the last verified record to the head (an altered
   journal is refused, never traded on or added to), then folded into the live ledger (a
   restart picks up exactly where the journal ends), reconciliation with the exchange (adopt
   what it holds; no fill made up), the user stream.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard import stages
from tradeguard.errors import ConfigError, GuardError, TransportError
from tradeguard.events import (
    ClockSynced,
    EventBase,
    KeyAudited,
    OrderFilled,
    ProfileLoaded,
    StageSet,
)
from tradeguard.intents import ClientIds
from tradeguard.journal.replay import Ledger
from tradeguard.keys.credentials import ApiCredentials, Secret, key_prefix
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.profile import lock as profile_lock
from tradeguard.profile.profiles import Profile
from tradeguard.risk import LossWatch, RiskLimits
from tradeguard.session.guard import Guard, Session
from tradeguard.session.reconcile import Tolerance, last_trade_ids, reconcile
from tradeguard.session.reconciler import reconcile_every, reconcile_now
from tradeguard.session.recorder import Recorder
from tradeguard.session.resolve import ResolvePolicy
from tradeguard.venues.binance.client import TransportConfig
from tradeguard.venues.protocol import Venue

if TYPE_CHECKING:
    from tradeguard.symbol_rules import SymbolRules
    from tradeguard.venues.binance.stream import StreamConfig

Hook = Callable[[], Awaitable[None]]


@dataclass
class ConnectOptions:
    config: Path | None = None
    clock: Clock = SYSTEM
    sim_seed: int = 7
    sim_key: str | None = None  # the simulator's key: "trade-only" ("trade-only-ed25519" on FIX)
    stream: bool = True
    stream_ready_timeout_s: float = 30.0
    tolerance: Tolerance = field(default_factory=Tolerance)
    rotation_poll_s: float = 5.0  # how often a rotated key is looked for
    journal: str | None = None  # override the profile's journal (tests, `run --journal`)
    # Tuning for tests and tools; None keeps each module's defaults.
    transport: TransportConfig | None = None  # recvWindow, timeouts, retries
    stream_config: StreamConfig | None = None  # the user stream's watchdog and backoff
    resolve: ResolvePolicy | None = None  # how an UNKNOWN order is queried
    host_state_dir: Path | None = None  # Binance's shared rate-limit state (None: the default)
    market: Any = None  # market.keeper.MarketConfig: the market stream and books (None: defaults)


async def connect(profile: str | Profile | None = None, **options: Any) -> Session:
    """Connect with a profile name (from tradeguard.toml) or a loaded `Profile`."""
    from tradeguard.profile import profiles

    opts = ConnectOptions(**options)
    loaded = profile if isinstance(profile, Profile) else profiles.load(profile, config=opts.config)
    closers: list[Hook] = []
    try:
        return await _connect(loaded, opts, closers)
    except BaseException:
        for close in reversed(closers):
            await close()
        raise


async def _connect(profile: Profile, opts: ConnectOptions, closers: list[Hook]) -> Session:
    from tradeguard.journal import open_journal

    venue_refused = venue_refusal(profile.name, profile.venue)
    if venue_refused is not None:
        raise venue_refused
    _check_stale_window(profile, opts.market)
    base_url, creds, stream_url, sim = await open_exchange(profile, opts, closers)
    clock = opts.clock
    transport = open_venue(profile, base_url, creds, opts, sim)
    closers.append(transport.close)
    if profile.order_transport == "ws":
        _orders_over_ws_api(transport, stream_url, opts)
    elif profile.order_transport == "fix":
        from tradeguard.session.connect_fix import orders_over_fix

        orders_over_fix(profile, transport, creds, sim)
    try:
        estimate = await transport.sync_clock()
        wanted = [s.binance for s in profile.symbols]
        rules = await transport.symbol_rules(wanted, profile.name)
    except TransportError as exc:
        raise _unavailable(base_url, exc, profile.venue) from exc

    audit_event = await _audit(profile, transport, clock)

    from tradeguard.journal.redact import Redactor

    # The journal masks this key's secret wherever it might appear, and shows the API key only
    # as its prefix (the session never puts either in an event; this is the second line).
    redactor = Redactor(
        api_keys=[creds.api_key] if creds else [], secrets=creds.secrets() if creds else []
    )
    journal = open_journal(
        opts.journal or profile.journal,
        profile=profile.name,
        clock=clock,
        redactor=redactor,
        durability=profile.journal_durability,
    )
    closers.append(_closer(journal.close))
    # one runner per profile (profile_lock); released once the journal is closed
    closers.insert(-1, _closer(profile_lock.take(journal).release))
    # an altered chain is refused before it is folded or added to (JournalAltered)
    verified = journal.verify_since_checkpoint()
    quote = rules[wanted[0]].quote_asset
    limits = _risk_limits(profile)
    loss = LossWatch.from_limits(quote, limits)
    ledger = Ledger()
    record = fold_journal(journal.events(), ledger, profile.env, profile.name, loss)
    refused = rung_refusal(profile.name, profile.env, record)
    if refused is not None:
        raise refused
    journal.mark_verified(verified)  # the next start checks only what comes after
    recorder = Recorder(ledger, journal, profile.name)
    now = clock.wall_ms()
    caps = profile.caps
    for event in (
        ProfileLoaded(
            at_ms=now,
            profile=profile.name,
            venue=profile.venue,
            env=profile.env,
            mode=profile.mode,
            symbols=tuple(wanted),
            api_key=key_prefix(creds.api_key) if creds else None,
            source=str(profile.source) if profile.source else None,
            fresh_exchange=sim is not None,
        ),
        ClockSynced(
            at_ms=now,
            profile=profile.name,
            offset_ms=round(estimate.skew_ms),
            rtt_ms=estimate.rtt_ms,
        ),
        audit_event,
        StageSet(
            at_ms=now,
            profile=profile.name,
            rung=profile.env,
            max_order_notional=caps.max_order_notional,
            max_daily_notional=caps.daily_notional,
        ),
    ):
        recorder.record(event)
    session = Session(
        profile=profile.name,
        transport=transport,
        recorder=recorder,
        rules=rules,
        guard=Guard(limits=limits, caps=caps, rung=profile.env, read_only=profile.read_only),
        loss=loss,
        ids=ClientIds(now, secrets.token_hex(2)),
        clock=clock,
        resolve_policy=opts.resolve,
        cancel_on_exit=profile.cancel_on_exit,
    )
    session.sim = sim
    session.market_config = opts.market or _market_config(profile)
    _attach_watchers(session, profile)
    session.on_close.extend(reversed(closers))
    closers.clear()
    # from here the session holds the profile's lock, its journal and its connections: a
    # refusal releases them (Session.abandon), or the bot could not connect again in this
    # process ("already trading in process ... (this one)")
    try:
        await _start(session, profile, opts, rules, creds, stream_url)
    except BaseException as exc:
        await session.abandon(f"connect refused: {type(exc).__name__}: {exc}"[:300])
        raise
    return session


async def _start(
    session: Session,
    profile: Profile,
    opts: ConnectOptions,
    rules: dict[str, SymbolRules],
    creds: ApiCredentials | None,
    stream_url: str,
) -> None:
    """The session's first reconciliation, its periodic duties and its user stream."""
    assets = {s: (r.base_asset, r.quote_asset) for s, r in rules.items()}
    await reconcile_now(session, assets, opts.tolerance)
    if profile.order_transport == "fix":
        from tradeguard.session.connect_fix import attach

        attach(session, assets, opts.tolerance)
    if profile.reconcile_every_s > 0:
        session._spawn(reconcile_every(session, assets, opts.tolerance, profile.reconcile_every_s))
    # one timer for the periodic duties: the kill-switch watch, the alerts' tick and, every
    # rotation_poll_s, the look for a rotated key
    from tradeguard.keys.rotation import rotation_look

    rotation = rotation_look(session, profile, opts.rotation_poll_s)
    duties = [session.alerts.tick] if rotation is None else [session.alerts.tick, rotation]
    session._spawn(session.heartbeat(*duties))
    session._spawn(session.commit_due())
    session._spawn(session.transport.keep_rules_fresh(rules, profile.name))
    if opts.stream and creds is not None:
        await _start_stream(session, stream_url, creds, assets, opts)
    else:
        session.ready.set()


# What connect refuses before it trades, as functions `tradeguard doctor` calls too: doctor must
# fail wherever connect would refuse, in the same words.


def venue_refusal(profile: str, venue: str) -> ConfigError | None:
    """Why `connect` cannot trade on this venue (None: it can): Bybit, OKX and Kraken trade
    through ccxt, the optional extra."""
    if venue == "binance":
        return None
    import importlib.util

    if importlib.util.find_spec("ccxt") is None:
        return ConfigError(
            f"profile {profile}: venue {venue!r} trades through ccxt, which is not installed",
            hint='pip install "tradeguard[ccxt]"',
        )
    return None


def open_venue(
    profile: Profile, base_url: str, creds: ApiCredentials | None, opts: ConnectOptions, sim: Any
) -> Venue:
    """The venue the session talks to: Binance natively, the others through ccxt."""
    if profile.venue == "binance":
        from tradeguard.venues.binance.client import BinanceTransport

        host_state = None
        if opts.host_state_dir is not None:
            from urllib.parse import urlsplit

            from tradeguard.net.hoststate import HostState

            host_state = HostState(urlsplit(base_url).netloc or "local", opts.host_state_dir)
        return BinanceTransport(
            base_url, creds, config=opts.transport, clock=opts.clock, host_state=host_state
        )
    from tradeguard.venues import ccxt

    own_host = sim is None and profile.base_url is None  # ccxt knows the venue's hosts
    return ccxt.open_venue(
        profile.venue,
        None if own_host else base_url,
        creds,
        clock=opts.clock,
        sandbox=profile.env == "testnet",
        urls=None if sim is None else dict(sim.urls),
    )


def _orders_over_ws_api(transport: Venue, ws_api_url: str, opts: ConnectOptions) -> None:
    """order_transport = "ws": the transport's order requests go over the WebSocket API."""
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.binance.wsapi import WsApiConfig, WsOrderWire

    assert isinstance(transport, BinanceTransport)  # the profile allows "ws" on Binance only
    config = transport.config
    transport.order_wire = WsOrderWire(
        ws_api_url,
        config=WsApiConfig(
            connect_timeout_s=config.connect_timeout_s,
            reply_timeout_s=config.timeout_s,
            backoff_base_s=config.backoff_base_s,
            backoff_cap_s=config.backoff_cap_s,
        ),
        clock=opts.clock,
    )


def rung_refusal(profile: str, env: str, record: stages.RungRecord) -> GuardError | None:
    """Why the journal's record does not let this profile run on its rung (None: it does)."""
    rung = next((r for r in stages.RUNGS if r == env), None)
    if rung is not None and stages.permitted(rung, record):
        return None
    return GuardError(
        f"profile {profile} is on the {env} rung, which this journal has not granted",
        hint="earn it on the rung below and run `tradeguard promote`",
    )


def exchange_urls(env: str, base_url: str | None, venue: str = "binance") -> tuple[str, str] | None:
    """The REST root and WebSocket API URL `connect` uses for this env and base_url; None for
    the embedded simulator (env = "sim" without a base_url). Bybit, OKX and Kraken use their
    own hosts (ccxt's; testnet or demo trading on the testnet rung) and no WebSocket API URL."""
    if base_url is None and env != "sim" and venue != "binance":
        from tradeguard.keys.audit_ccxt import venue_url

        return venue_url(venue, env == "testnet") or f"{venue}'s own host", ""
    if base_url is None:
        return None if env == "sim" else _BINANCE[env]
    base = base_url.rstrip("/")
    return base, base.replace("http", "ws", 1) + "/ws-api/v3"


_STATUS_PAGES = {
    "binance": "GET /sapi/v1/system/status",
    "bybit": "its announcements",
    "okx": "GET /api/v5/system/status",
    "kraken": "GET /0/public/SystemStatus",
}


def _unavailable(base_url: str, exc: TransportError, venue: str = "binance") -> GuardError:
    """The exchange did not answer the first, harmless requests (time, exchangeInfo): say
    so plainly; nothing was traded. A 5xx here is most often maintenance."""
    if exc.http_status is not None and exc.http_status >= 500:
        what = f"answers HTTP {exc.http_status} ({exc.message})"
        hint = (
            f"the exchange is probably in maintenance or overloaded ({venue}: "
            f"{_STATUS_PAGES.get(venue, 'its status page')}); nothing was sent but read-only "
            "requests; connect again once it is back"
        )
    else:
        what = f"could not be reached ({exc.message})"
        hint = "nothing was traded; check the network and the profile's base_url"
    return GuardError(f"connect refused: the exchange at {base_url} {what}", hint=hint)


def _attach_watchers(session: Session, profile: Profile) -> None:
    """The transport's replies and limits into the journal; alerts on what deserves one."""
    from tradeguard.alerts.policy import AlertPolicy
    from tradeguard.session import wire as session_wire
    from tradeguard.session.alerts import AlertHub

    record = session.recorder.record
    session_wire.attach(session.transport, record, session.clock, session.profile)
    sender = None
    if profile.alerts.webhook or profile.alerts.command:
        from tradeguard.alerts.send import AlertSender

        sender = AlertSender(profile.alerts.webhook, profile.alerts.command)
    hub = AlertHub(
        record, session.clock, sender=sender,
        policy=AlertPolicy(min_interval_s=profile.alerts.min_interval_s),
    )  # fmt: skip
    session.recorder.watchers.append(hub.watch)
    session.alerts = hub  # its tick runs on the session's heartbeat (see connect)
    session.on_close.insert(0, hub.close)


async def open_exchange(
    profile: Profile, opts: ConnectOptions, closers: list[Hook]
) -> tuple[str, ApiCredentials | None, str, Any]:
    """The REST root, the key, the WebSocket API URL, and the embedded simulator if any."""
    urls = exchange_urls(profile.env, profile.base_url, profile.venue)
    if urls is None:
        from tradeguard.sim import server
        from tradeguard.sim.config import SimConfig

        config = SimConfig.default(seed=opts.sim_seed, venue=profile.venue)
        running = await server.start(config, wall=opts.clock)
        closers.append(running.close)
        fix = profile.order_transport == "fix"
        key_name = opts.sim_key or ("trade-only-ed25519" if fix else "trade-only")
        creds = sim_key_credentials(running.key_listing, key_name)
        if creds is None:
            running.key(key_name)  # raises, naming the keys there are
        stream_url = running.urls.get("ws_api_url") or running.urls.get("private_ws_url", "")
        return running.base_url, creds, stream_url, running
    base, ws = urls
    from tradeguard.keys.credentials import load_credentials

    creds = load_credentials(profile.require_credentials(), os.environ)
    return base, creds, ws, None


def sim_key_credentials(listing: Sequence[dict[str, object]], name: str) -> ApiCredentials | None:
    """The simulator's built-in key `name` as credentials, from its start line's key listing
    (with its passphrase where the dialect gives keys one: OKX); None if it has no such key."""
    for entry in listing:
        if entry.get("name") == name:
            passphrase = entry.get("passphrase")
            return ApiCredentials(
                str(entry["api_key"]),
                Secret(str(entry["secret"])),
                kind=entry["kind"],  # type: ignore[arg-type]
                passphrase=Secret(passphrase) if isinstance(passphrase, str) else None,
            )
    return None


_BINANCE = {
    "testnet": ("https://testnet.binance.vision", "wss://ws-api.testnet.binance.vision/ws-api/v3"),
    "live-small": ("https://api.binance.com", "wss://ws-api.binance.com:443/ws-api/v3"),
    "live": ("https://api.binance.com", "wss://ws-api.binance.com:443/ws-api/v3"),
}


async def _audit(profile: Profile, transport: Any, clock: Clock) -> KeyAudited:
    from tradeguard.doctor import checks as doctor

    creds = transport.credentials
    facts = await doctor.connect_audit(profile, transport)  # raises KeyAuditFailed
    report = facts.report
    return KeyAudited(
        at_ms=clock.wall_ms(),
        profile=profile.name,
        api_key=key_prefix(creds.api_key),
        passed=True,
        permissions=tuple(report.permissions()) if report else (),
        findings=tuple(f"{f.level}: {f.message}" for f in facts.findings if str(f.level) != "pass"),
        ip_restricted=report.ip_restricted if report else None,
    )


def fold_journal(
    events: Iterable[EventBase],
    ledger: Ledger,
    env: stages.Rung,
    profile: str,
    loss: LossWatch | None = None,
) -> stages.RungRecord:
    """A journal read as a start reads it: every event folded into `ledger` (and `loss`) as it
    streams past to the record of the `env` rung, in one pass, so a long journal is never held
    in memory whole. `tradeguard doctor` reads it the same way."""
    history = _folded(events, ledger, loss)
    record = stages.record_from_events(history, env, profile=profile)
    for _ in history:  # the record reads every event; this makes sure the fold saw them all
        pass
    return record


def _folded(
    events: Iterable[EventBase], ledger: Ledger, loss: LossWatch | None = None
) -> Iterator[EventBase]:
    """The journal's events, each folded into the ledger and the loss watch as it streams by."""
    apply = ledger.apply
    for event in events:
        changed = apply(event)
        # a fill the ledger already booked (a journal written before repeats were dropped)
        # must not move the loss watch a second time
        if loss is not None and (changed or type(event) is not OrderFilled):
            loss.observe(event)
        yield event


def _risk_limits(profile: Profile) -> RiskLimits:
    limits = profile.limits
    return RiskLimits(
        max_order_notional=limits.max_order_notional,
        max_position=dict(limits.max_position),
        max_open_orders=limits.max_open_orders,
        max_orders_per_minute=limits.max_orders_per_minute,
        price_band_pct=limits.price_band_pct,
        daily_loss=limits.daily_loss,
        drawdown_from_peak=limits.drawdown_from_peak,
    )


async def _start_stream(
    session: Session,
    url: str,
    creds: ApiCredentials,
    assets: dict[str, tuple[str, str]],
    opts: ConnectOptions,
) -> None:
    first = True

    async def on_gap(since_ms: int) -> Sequence[EventBase]:
        nonlocal first
        if first:  # connect() reconciled a moment ago
            first = False
            return []
        events = await reconcile(session.transport, session.ledger, assets, profile=session.profile)
        return events

    stream: Any
    if session.transport.name == "binance":
        from tradeguard.venues.binance.client import BinanceTransport
        from tradeguard.venues.binance.stream import UserStream

        assert isinstance(session.transport, BinanceTransport)
        stream = UserStream(
            url,
            creds,
            assets,
            profile=session.profile,
            transport=session.transport,
            on_gap=on_gap,
            on_event=session.recorder.record,
            config=opts.stream_config,
            clock=session.clock,
            last_trade_ids=last_trade_ids(session.ledger),
        )
    else:
        from tradeguard.venues.ccxt import CcxtVenue

        assert isinstance(session.transport, CcxtVenue)
        stream = session.transport.user_stream(
            assets,
            profile=session.profile,
            on_gap=on_gap,
            on_event=session.recorder.record,
            last_trade_ids=last_trade_ids(session.ledger),
            config=opts.stream_config,
        )
    stream.start()
    session.ready = stream.ready
    session.stream = stream
    session.on_close.insert(0, stream.close)
    try:
        # not wait_for: on 3.11 it swallows a cancel landing as the stream comes ready
        async with asyncio.timeout(opts.stream_ready_timeout_s):
            await stream.ready.wait()
    except TimeoutError:
        await stream.close()
        raise GuardError(
            f"the user stream did not come up in {opts.stream_ready_timeout_s:.0f} s",
            hint="without it fills are not seen; check the exchange's status and the network",
        ) from None


def _closer(close: Callable[[], None]) -> Hook:
    async def run() -> None:
        close()

    return run


def _check_stale_window(profile: Profile, market: Any) -> None:
    """Refuse a market stale window the venue's stream cannot keep (profile/stale_window.py):
    the file's is checked as it loads, but a Profile built in code or `market=` is not."""
    from tradeguard.profile.stale_window import too_short

    if market is None:
        setting, after = "market_stale_after_s", profile.market_stale_after_s
    else:
        setting, after = "MarketStreamConfig.stale_after_s", market.stream.stale_after_s
    short = too_short(profile.venue, after)
    if short is not None:
        why, floor = short
        raise ConfigError(
            f"{setting} {after:g} s {why}", hint=f"give {setting} = {floor:g} or more"
        )


def _market_config(profile: Profile) -> Any:
    """The market keeper's settings the profile gives (its stale timeout); the rest default."""
    from tradeguard.market.keeper import MarketConfig
    from tradeguard.market.stream import MarketStreamConfig

    return MarketConfig(stream=MarketStreamConfig(stale_after_s=profile.market_stale_after_s))
