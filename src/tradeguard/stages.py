"""The environment ladder: sim → testnet → live-small → live; caps per rung; promotion rules.

The same bot code runs on every rung. `sim` and `testnet` move no real money; `live-small` does,
under hard caps on order and daily notional; `live` trades under the profile's own limits. A
rung above testnet is reached only by promotion (`tradeguard promote`), which reads the record
the journal holds for the current rung:

    record = record_from_events(store.events(), "testnet")
    verdict = evaluate_promotion("testnet", record, now_ms, PromotionRules())

Which rung an event was recorded on comes from the journal itself: a session writes
`ProfileLoaded(env=...)` and `StageSet(rung=...)` when it starts, and every later event belongs
to that rung. A promotion appends `StageSet(rung=<next>)` too: a StageSet above the env of the
session in force is a grant (the permission to run there), not a change of rung, since a session
never runs above its profile's env. tradeguard.toml stays the source of truth for the rung.

Pure: no I/O, no clock; time arrives as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, get_args

import msgspec

from tradeguard import events as ev
from tradeguard.errors import ConfigError
from tradeguard.model import OrderStatus

Rung = Literal["sim", "testnet", "live-small", "live"]
RUNGS: tuple[Rung, ...] = get_args(Rung)
FREE_RUNGS: frozenset[Rung] = frozenset({"sim", "testnet"})  # no real money: no promotion needed
DAY_MS = 86_400_000


def rank(rung: str) -> int:
    """The rung's place on the ladder (sim is 0); a ConfigError for an unknown name."""
    try:
        return RUNGS.index(rung)
    except ValueError:
        raise ConfigError(
            f"unknown environment {rung!r}", hint=f"use one of {', '.join(RUNGS)}"
        ) from None


def next_rung(rung: Rung, *, testnet: bool = True) -> Rung | None:
    """The rung above `rung`; on a venue with no testnet (`testnet` False: Kraken) sim's is
    live-small, judged on the record on sim."""
    index = rank(rung) + 1
    if not testnet and RUNGS[index : index + 1] == ("testnet",):
        index += 1
    return RUNGS[index] if index < len(RUNGS) else None


# ── caps per rung ────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Caps:
    """The most one order and one UTC day of orders may be worth on a rung, in quote currency."""

    max_order_notional: Decimal
    daily_notional: Decimal


# sim and testnet move no real money, but a runaway loop should still hit a wall: finite caps.
PAPER_CAPS = Caps(Decimal("1000000"), Decimal("10000000"))
LIVE_SMALL_CAPS = Caps(Decimal("20"), Decimal("200"))
# A profile may lower live-small's caps, and raise them only up to this ceiling. live-small is
# where a bot first spends real money and the loss must stay one the user can shrug off; if a
# profile could lift its caps freely, live-small would be live without the record on live-small
# and without the typed acknowledgement that entering live needs.
LIVE_SMALL_CEILING = Caps(Decimal("100"), Decimal("1000"))
LIVE_DAILY_ORDERS = 100  # live's default daily cap: this many orders at the profile's max


def default_caps(rung: Rung, max_order_notional: Decimal) -> Caps:
    """A rung's caps when the profile says nothing; live follows the profile's limits."""
    if rung == "live-small":
        return LIVE_SMALL_CAPS
    if rung == "live":
        return Caps(max_order_notional, max_order_notional * LIVE_DAILY_ORDERS)
    return PAPER_CAPS


def caps_problem(rung: Rung, caps: Caps) -> tuple[str, str] | None:
    """Why these caps cannot be a rung's, and the fix (None when they can)."""
    if caps.max_order_notional <= 0 or caps.daily_notional <= 0:
        return "caps must be above 0", "give amounts above 0"
    if rung == "live-small" and (
        caps.max_order_notional > LIVE_SMALL_CEILING.max_order_notional
        or caps.daily_notional > LIVE_SMALL_CEILING.daily_notional
    ):
        return (
            f"live-small is capped at {LIVE_SMALL_CEILING.max_order_notional} per order and "
            f"{LIVE_SMALL_CEILING.daily_notional} per day; a profile may lower these, never "
            "raise them past that",
            "lower them, or trade more by promoting to live",
        )
    if caps.daily_notional < caps.max_order_notional:
        return (
            "daily_notional is below max_order_notional, so no full-size order could be sent",
            "raise daily_notional or lower max_order_notional",
        )
    return None


# ── the record on a rung ─────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class RungRecord:
    """What the journal shows on one rung, as the promotion rules read it."""

    rung: Rung
    clean_fills: int = 0  # fills of orders with no duplicate and no unresolved outcome
    days: tuple[str, ...] = ()  # distinct UTC dates of clean fills, sorted
    first_ms: int | None = None  # first clean fill
    last_ms: int | None = None  # last clean fill
    unresolved: tuple[str, ...] = ()  # client order ids whose outcome is still UNKNOWN
    duplicates: tuple[str, ...] = ()  # client order ids intended twice or placed twice
    kill_switch_latched: bool = False  # set on this rung and not reset since
    restarted_ms: int | None = None  # a kill switch was reset then: the record counts from there
    granted: frozenset[Rung] = field(default_factory=frozenset)  # rungs a StageSet named
    unattributed: int = 0  # events before any ProfileLoaded/StageSet: on no known rung


class _Tally(msgspec.Struct, gc=False):
    """The running record of one rung while events stream past."""

    intents: dict[str, int] = {}
    order_ids: dict[str, set[int]] = {}
    coid_of: dict[tuple[str, int], str] = {}
    last_status: dict[str, OrderStatus] = {}
    fills: dict[tuple[str, int], tuple[str | None, int, int]] = {}  # (coid, oid, at)

    def order(self, coid: str, symbol: str, order_id: int | None) -> None:
        if order_id is not None:
            self.order_ids.setdefault(coid, set()).add(order_id)
            self.coid_of[(symbol, order_id)] = coid


def _restart(tally: _Tally) -> _Tally:
    """After a kill-switch reset the record starts again; orders still unresolved carry over."""
    fresh = _Tally()
    fresh.last_status = {c: s for c, s in tally.last_status.items() if s is OrderStatus.UNKNOWN}
    return fresh


def record_from_events(
    events: Iterable[ev.EventBase], rung: Rung, *, profile: str | None = None
) -> RungRecord:
    """The record on `rung` from a journal's events, in order (only `profile`'s, if given)."""
    recorder = RungRecorder(rung, profile)
    for event in events:
        recorder.feed(event)
    return recorder.record()


class RungRecorder(msgspec.Struct, gc=False):
    """The record on `rung` built event by event: `record_from_events` in steps, for a reader
    that follows a journal as it grows (the dashboard), which keeps it in its checkpoint."""

    rung: Rung
    profile: str | None = None
    current: Rung | None = None
    session_env: Rung | None = None
    granted: set[Rung] = set()
    tally: _Tally = msgspec.field(default_factory=_Tally)
    latched: bool = False
    restarted: int | None = None
    unattributed: int = 0

    def feed(self, event: ev.EventBase) -> None:
        if self.profile is not None and event.profile != self.profile:
            return
        if isinstance(event, ev.ProfileLoaded):
            self.session_env = self.current = event.env if event.env in RUNGS else None
            return
        if isinstance(event, ev.StageSet):
            if event.rung in RUNGS:
                self.granted.add(event.rung)
                if self.session_env is None or rank(event.rung) <= rank(self.session_env):
                    self.current = event.rung
            return
        if self.current is None:
            self.unattributed += 1
            return
        if self.current != self.rung:
            return
        tally = self.tally
        if isinstance(event, ev.KillSwitchSet):
            self.latched = True
        elif isinstance(event, ev.KillSwitchReset):
            if self.latched:
                self.latched = False
                self.restarted = event.at_ms
                self.tally = _restart(tally)
        elif isinstance(event, ev.OrderIntended):
            coid = event.intent.client_order_id
            if tally.last_status.get(coid) is OrderStatus.REJECTED and coid not in tally.order_ids:
                tally.intents.pop(coid, None)  # never placed: its id was free again, as on Binance
            tally.intents[coid] = tally.intents.get(coid, 0) + 1
        elif isinstance(event, ev.OrderUpdated):
            tally.order(event.client_order_id, event.symbol, event.order_id)
            tally.last_status[event.client_order_id] = event.status
        elif isinstance(event, ev.OrderAdopted):
            report = event.report
            tally.order(report.client_order_id, report.symbol, report.order_id)
            tally.last_status[report.client_order_id] = report.status
        elif isinstance(event, ev.OrderFilled):
            _fill(tally, event)

    def record(self) -> RungRecord:
        return _summarise(
            self.rung, self.tally, self.latched, self.restarted, frozenset(self.granted),
            self.unattributed,
        )  # fmt: skip


def _fill(tally: _Tally, event: ev.OrderFilled) -> None:
    coid = event.client_order_id
    if coid is None:  # back-filled over REST: found by the exchange's order id
        coid = tally.coid_of.get((event.symbol, event.order_id))
    else:
        tally.order(coid, event.symbol, event.order_id)
        if tally.last_status.get(coid) is OrderStatus.UNKNOWN:
            tally.last_status[coid] = OrderStatus.PARTIALLY_FILLED  # it reached the book
    tally.fills.setdefault((event.symbol, event.trade_id), (coid, event.order_id, event.at_ms))


def _summarise(
    rung: Rung,
    tally: _Tally,
    latched: bool,
    restarted: int | None,
    granted: frozenset[Rung],
    unattributed: int,
) -> RungRecord:
    duplicates = {c for c, n in tally.intents.items() if n > 1}
    duplicates |= {c for c, ids in tally.order_ids.items() if len(ids) > 1}
    unresolved = {c for c, s in tally.last_status.items() if s is OrderStatus.UNKNOWN}
    bad = duplicates | unresolved
    clean = [at for coid, _, at in tally.fills.values() if coid is None or coid not in bad]
    days = sorted({_day(at) for at in clean})
    return RungRecord(
        rung=rung,
        clean_fills=len(clean),
        days=tuple(days),
        first_ms=min(clean, default=None),
        last_ms=max(clean, default=None),
        unresolved=tuple(sorted(unresolved)),
        duplicates=tuple(sorted(duplicates)),
        kill_switch_latched=latched,
        restarted_ms=restarted,
        granted=granted,
        unattributed=unattributed,
    )


def _day(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).date().isoformat()


def permitted(rung: Rung, record_or_granted: RungRecord | Iterable[Rung]) -> bool:
    """May a session run on `rung`? sim and testnet always; above them only once granted."""
    granted = (
        record_or_granted.granted
        if isinstance(record_or_granted, RungRecord)
        else frozenset(record_or_granted)
    )
    return rung in FREE_RUNGS or rung in granted


# ── promotion ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class PromotionRules:
    min_clean_fills: int = 50
    min_days: int = 3  # distinct UTC days with a clean fill
    max_record_age_days: int | None = 30  # the last clean fill must be this recent


@dataclass(frozen=True, slots=True)
class RuleCheck:
    rule: str
    passed: bool
    figure: str  # what the record shows
    needed: str  # what the rule asks


@dataclass(frozen=True, slots=True)
class PromotionVerdict:
    allowed: bool
    current: Rung
    target: Rung | None
    checks: tuple[RuleCheck, ...]
    reasons: tuple[str, ...]  # why not, one line each (empty when allowed)
    needs_acknowledgement: bool = False  # entering live: the typed sentence is still needed


def evaluate_promotion(
    current_rung: Rung,
    record: RungRecord,
    now_ms: int,
    rules: PromotionRules | None = None,
    *,
    testnet: bool = True,
) -> PromotionVerdict:
    """May a profile on `current_rung` move one rung up, given its record there? (`testnet`
    False: the venue has none, and sim's next rung is live-small.)"""
    rules = rules if rules is not None else PromotionRules()
    target = next_rung(current_rung, testnet=testnet)
    if target is None:
        reason = "live is the top of the ladder: there is nothing to promote to"
        return PromotionVerdict(False, current_rung, None, (), (reason,))
    if target in FREE_RUNGS:
        check = RuleCheck("testnet moves no real money", True, "no record needed", "-")
        return PromotionVerdict(True, current_rung, target, (check,), ())
    checks = _checks(record, now_ms, rules)
    if current_rung not in FREE_RUNGS:
        granted = RuleCheck(
            f"{current_rung} was granted by a promotion",
            current_rung in record.granted,
            "yes" if current_rung in record.granted else "never",
            f"a promotion from {RUNGS[rank(current_rung) - 1]}",
        )
        checks = (granted, *checks)
    reasons = tuple(f"{c.rule}: {c.figure} (needs {c.needed})" for c in checks if not c.passed)
    return PromotionVerdict(
        allowed=not reasons,
        current=current_rung,
        target=target,
        checks=checks,
        reasons=reasons,
        needs_acknowledgement=target == "live",
    )


def _checks(record: RungRecord, now_ms: int, rules: PromotionRules) -> tuple[RuleCheck, ...]:
    on = f"on {record.rung}"
    since = "" if record.restarted_ms is None else " since the kill-switch reset"
    days = [d for d in record.days if d <= _day(now_ms)]
    checks = [
        RuleCheck(
            f"clean fills {on}{since}",
            record.clean_fills >= rules.min_clean_fills,
            str(record.clean_fills),
            f">= {rules.min_clean_fills}",
        ),
        RuleCheck(
            "distinct days with a clean fill",
            len(days) >= rules.min_days,
            f"{len(days)}" + (f" ({days[0]} .. {days[-1]})" if days else ""),
            f">= {rules.min_days}",
        ),
    ]
    if rules.max_record_age_days is not None:
        age = None if record.last_ms is None else max(0, now_ms - record.last_ms) // DAY_MS
        checks.append(
            RuleCheck(
                "days since the last clean fill",
                age is not None and age <= rules.max_record_age_days,
                "no fill" if age is None else str(age),
                f"<= {rules.max_record_age_days}",
            )
        )
    checks += [
        RuleCheck(
            "orders with an unresolved unknown outcome",
            not record.unresolved,
            _ids(record.unresolved),
            "0 (resolve them: the session does on reconnect)",
        ),
        RuleCheck(
            "duplicate orders",
            not record.duplicates,
            _ids(record.duplicates),
            "0",
        ),
        RuleCheck(
            f"kill switch {on}",
            not record.kill_switch_latched,
            _kill_switch_figure(record),
            "not latched",
        ),
    ]
    return tuple(checks)


def _kill_switch_figure(record: RungRecord) -> str:
    if record.kill_switch_latched:
        return "latched (reset it with `tradeguard kill --reset`; the record restarts then)"
    if record.restarted_ms is not None:
        return f"reset at {_day(record.restarted_ms)}: the record counts from then"
    return "never set"


def _ids(ids: tuple[str, ...], shown: int = 3) -> str:
    if not ids:
        return "0"
    more = f", +{len(ids) - shown} more" if len(ids) > shown else ""
    return f"{len(ids)} ({', '.join(ids[:shown])}{more})"


# ── entering live: a sentence typed by a person ──────────────────────────────────────────────


def acknowledgement_sentence(profile: str) -> str:
    return f"I accept the risk of live trading with {profile}"


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Proof that a person typed the sentence for this profile. Made only by `acknowledge`;
    `tradeguard promote` reads the sentence from an interactive terminal, never a flag."""

    profile: str
    typed: str


def acknowledge(typed: str, profile: str) -> Acknowledgement:
    """Check a typed sentence (spaces and case aside); a ConfigError if it is not the one."""
    expected = acknowledgement_sentence(profile)
    if " ".join(typed.split()).casefold() != " ".join(expected.split()).casefold():
        raise ConfigError(
            "the acknowledgement does not match, so live stays closed",
            hint=f'type exactly "{expected}"',
        )
    return Acknowledgement(profile, typed)


def promotion_target(
    verdict: PromotionVerdict, profile: str, acknowledgement: Acknowledgement | None
) -> Rung:
    """The rung a promotion grants, or a ConfigError saying what is missing."""
    if not verdict.allowed or verdict.target is None:
        raise ConfigError(
            "promotion refused: " + "; ".join(verdict.reasons),
            hint="keep trading on the current rung until every rule passes",
        )
    if verdict.needs_acknowledgement and (
        acknowledgement is None or acknowledgement.profile != profile
    ):
        raise ConfigError(
            "entering live needs the typed acknowledgement",
            hint=f'run `tradeguard promote --profile {profile}` in a terminal and type "'
            f'{acknowledgement_sentence(profile)}"',
        )
    return verdict.target
