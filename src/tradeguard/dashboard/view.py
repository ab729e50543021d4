"""What the dashboard shows, folded from the journal record by record. Pure: no I/O, no clock.

    view = DashboardView(profile="default", venue="binance", env="sim", limits=profile.limits)
    payload = view.apply(seq, event)      # the SSE message for that record, or None
    page = view.snapshot()                # the whole page as JSON-able data

The state the guard held comes from the one fold shared by live and replay (`journal.replay`'s
Ledger): orders, balances, limits, kill switch, rung, clock, streams. What only the page needs is
kept beside it here: PnL by average cost (`dashboard.pnl`), the last fills, the PnL curve, the
last errors and alerts, the last request weight and order count, the counters `/metrics`
exposes, and the record on each rung a promotion reads (`stages.RungRecorder`, the fold
`tradeguard promote` runs), so the ladder says what promotion needs without reading the
journal again. Records arrive by sequence number; one already folded (a seq not above the last) is
ignored, so a tail that delivers a record twice changes nothing.

Money is Decimal inside and a string in the JSON (plain digits, no exponent). Every figure of
PnL says its basis (`dashboard.pnl.BASIS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from tradeguard import events as ev
from tradeguard.dashboard.pnl import BASIS
from tradeguard.dashboard.rows import (
    Limits,
    curve_point,
    fill_row,
    limit_use,
    money,
    order_row,
    position_row,
    promotion_row,
)
from tradeguard.dashboard.tally import Tally, ViewImage
from tradeguard.errors import StateError
from tradeguard.journal import ledger_image
from tradeguard.journal.replay import Ledger
from tradeguard.model import OrderStatus
from tradeguard.net.ratelimit import BINANCE_SPOT_DEFAULTS, LimitKind, RateRule
from tradeguard.stages import RUNGS, PromotionRules, PromotionVerdict, evaluate_promotion

_ORDER_KINDS = (ev.OrderIntended, ev.OrderUpdated, ev.OrderAdopted)
_STATUS_KINDS = (
    ev.ProfileLoaded, ev.StageSet, ev.ClockSynced, ev.StreamConnected, ev.StreamGapFilled,
    ev.StreamGapLost, ev.ShutDown,
)  # fmt: skip
_INTERVALS = {"SECOND": "s", "MINUTE": "m", "HOUR": "h", "DAY": "d"}


class DashboardView:
    """The page's state; `apply` folds one record, `snapshot` shows it all."""

    def __init__(
        self,
        *,
        profile: str,
        venue: str,
        env: str,
        limits: Limits | None,
        stage: PromotionRules | None = None,
        rate_rules: Sequence[RateRule] | None = None,
    ) -> None:
        """`env`: the profile's rung (tradeguard.toml's, the source of truth, as `tradeguard
        promote` reads it); `stage`: the promotion rules (None: the defaults `promote` uses)."""
        self.profile, self.venue, self.env = profile, venue, env
        self.limits = limits
        self.rules = stage if stage is not None else PromotionRules()
        self._verdict: tuple[tuple[int, int], PromotionVerdict | None] | None = None
        if rate_rules is None and venue == "binance":
            rate_rules = BINANCE_SPOT_DEFAULTS
        self.rate_rules = tuple(rate_rules or ())
        self.ledger = Ledger()
        self.tally = Tally()
        self.tally.follow_rungs(profile)
        self.chain: dict[str, Any] = {"head_seq": 0, "head_hash": None, "verified": None}

    @property
    def seq(self) -> int:
        """The last record folded."""
        return self.tally.seq

    # ── folding ──────────────────────────────────────────────────────────────────────────────

    def apply(self, seq: int, event: ev.EventBase) -> dict[str, Any] | None:
        """Fold one journal record; the SSE payload for it ({"seq", "kind", "at_ms", and the
        panels it changed, named as in `snapshot`, or "fill" / "alert" / "pnl_point" for an
        item added to a list}), or None for a record already folded or a kind the page does
        not show."""
        if not self._fold(seq, event):
            return None
        return self._payload(seq, event)

    def apply_all(self, records: Iterable[tuple[int, ev.EventBase]]) -> int:
        """`apply` each record without building payloads (catching up); the last seq."""
        for seq, event in records:
            self._fold(seq, event)
        return self.seq

    def _fold(self, seq: int, event: ev.EventBase) -> bool:
        tally = self.tally
        if seq <= tally.seq:
            return False
        tally.seq = seq
        tally.count("journal_events", type(event).__name__)
        held = self._held_status(event)
        try:
            changed = self.ledger.apply(event)
        except StateError as exc:  # the live path never journals one; an edited journal might
            tally.alert(seq, event.at_ms, "error", "a record does not fit", exc.message)
            return True
        tally.observe(seq, event, changed, held, self._fee_price, self._symbol_of)
        return True

    def _held_status(self, event: ev.EventBase) -> OrderStatus | None:
        """The status the ledger held for the order an update is about, before it."""
        if isinstance(event, ev.OrderUpdated):
            order = self.ledger.orders.get(event.client_order_id)
            return None if order is None else order.status
        return None

    def _fee_price(self, asset: str, quote: str) -> Decimal | None:
        return self.tally.marks.get(f"{asset}/{quote}")

    def _symbol_of(self, client_order_id: str) -> str:
        order = self.ledger.orders.get(client_order_id)
        return "" if order is None else order.symbol

    def promotion(self, now_ms: int) -> PromotionVerdict | None:
        """What `tradeguard promote` would say at `now_ms`, from the rung's record as folded
        here (the same `stages.RungRecorder` promote's record_from_events runs); None when the
        profile's env is not a rung."""
        if self.env not in RUNGS:
            return None
        key = (self.seq, now_ms // 60_000)
        if self._verdict is None or self._verdict[0] != key:
            record = self.tally.rung_record(self.env)
            verdict = evaluate_promotion(self.env, record, now_ms, self.rules)
            self._verdict = (key, verdict)
        return self._verdict[1]

    def note_chain(
        self, head_seq: int, head_hash: bytes, verified: tuple[int, bytes] | None
    ) -> None:
        """The journal's head and the last record `journal verify` or a start checked."""
        self.chain = {
            "head_seq": head_seq,
            "head_hash": head_hash.hex()[:16] if head_seq else None,
            "verified": None
            if verified is None or verified[0] == 0
            else {"seq": verified[0], "hash": verified[1].hex()[:16]},
            "verified_is_head": verified is not None and verified[0] == head_seq,
        }

    # ── checkpoints ──────────────────────────────────────────────────────────────────────────

    def image(self) -> bytes:
        """Everything folded so far, as bytes (the configuration given to __init__ is not
        part of it: a checkpoint serves whichever view is started from it)."""
        return _ENCODER.encode(ViewImage(ledger_image.capture(self.ledger), self.tally))

    def restore(self, image: bytes) -> None:
        """Take over what `image` folded (this view must be fresh)."""
        if self.seq:
            raise StateError("a view restores a checkpoint only before it folds anything")
        decoded = _DECODER.decode(image)
        self.ledger = ledger_image.restore(decoded.ledger)
        self.tally = decoded.tally

    # ── the page ─────────────────────────────────────────────────────────────────────────────

    def snapshot(self, now_ms: int | None = None) -> dict[str, Any]:
        """The page; `now_ms` (the wall time, read by the caller) dates the promotion verdict
        (the record's age); without it, the last record's time."""
        now = now_ms if now_ms is not None else (self.ledger.as_of_ms or 0)
        return {
            "seq": self.seq,
            "as_of_ms": self.ledger.as_of_ms,
            "status": self._status(),
            "kill_switch": self._kill_switch(),
            "positions": self._positions(),
            "balances": self._balances(),
            "open_orders": [order_row(o) for o in self.ledger.open_orders()],
            "fills": [fill_row(seq, f) for seq, f in self.tally.fills],
            "pnl_curve": self._pnl_curve(),
            "limits": self._limits(now),
            "alerts": [dict(a) for a in self.tally.alerts],
            "ladder": self._ladder(now),
            "chain": dict(self.chain, seq_folded=self.seq),
        }

    def _payload(self, seq: int, event: ev.EventBase) -> dict[str, Any] | None:
        out: dict[str, Any] = {"seq": seq, "kind": type(event).__name__, "at_ms": event.at_ms}
        tally = self.tally
        if isinstance(event, ev.OrderFilled):
            out["fill"] = fill_row(*tally.fills[-1]) if tally.fills else None
            out["positions"] = self._positions()
            out["balances"] = self._balances()
            out["open_orders"] = [order_row(o) for o in self.ledger.open_orders()]
            out["pnl_point"] = curve_point(tally.curve[-1]) if tally.curve else None
            out["pnl_curve"] = self._pnl_curve(points=False)
        elif isinstance(event, _ORDER_KINDS):
            out["open_orders"] = [order_row(o) for o in self.ledger.open_orders()]
            out["limits"] = self._limits(event.at_ms)
        elif isinstance(event, ev.BalanceChanged):
            out["balances"] = self._balances()
        elif isinstance(event, ev.KillSwitchSet | ev.KillSwitchReset):
            out["kill_switch"] = self._kill_switch()
        elif isinstance(event, ev.RateLimitChanged | ev.ReplyReceived | ev.RiskDenied):
            out["limits"] = self._limits(event.at_ms)
        elif isinstance(event, _STATUS_KINDS):
            out["status"] = self._status()
            out["ladder"] = self._ladder(event.at_ms)
        if tally.alerts and tally.alerts[-1]["seq"] == seq:
            out["alert"] = dict(tally.alerts[-1])
        if len(out) == 3:  # nothing the page shows changed
            return None
        return out

    def _status(self) -> dict[str, Any]:
        ledger, tally = self.ledger, self.tally
        clock = ledger.clock
        streams = []
        for s in ledger.streams.values():
            streams.append(
                {
                    "stream": s.stream,
                    "up": s.connected and s.gap_since_ms is None,
                    "connected": s.connected,
                    "since_ms": s.since_ms,
                    "gap_since_ms": s.gap_since_ms,
                    "last_message_ms": tally.last_message_ms.get(s.stream),
                    "gaps": tally.counters.get("stream_gaps", {}).get(s.stream, 0),
                }
            )
        return {
            "profile": self.profile,
            "venue": tally.venue or self.venue,
            "env": tally.env or self.env,
            "mode": tally.mode,
            "rung": ledger.stage.rung if ledger.stage is not None else (tally.env or self.env),
            "streams": streams,
            "clock": None
            if clock is None
            else {"offset_ms": clock.offset_ms, "rtt_ms": clock.rtt_ms, "at_ms": clock.at_ms},
            "started_ms": tally.started_ms,
            "shut_down": tally.shut_down,
        }

    def _kill_switch(self) -> dict[str, Any]:
        kill = self.ledger.kill_switch
        return {
            "latched": kill.latched,
            "since_ms": kill.since_ms,
            "by": kill.by,
            "reason": kill.reason,
            "engagements": sum(self.tally.counters.get("kill_switch_engagements", {}).values()),
        }

    def _positions(self) -> list[dict[str, Any]]:
        limits = self.limits
        out = []
        for book in self.tally.books.values():
            entry = position_row(book)
            if limits is not None:
                entry["limit"] = limit_use(book, limits)
            out.append(entry)
        return out

    def _balances(self) -> dict[str, Any]:
        state = self.ledger
        assets = []
        for asset in state._assets():  # the assets the Ledger can say a balance of
            balance = state.balance(asset)
            if balance is None:
                continue
            assets.append(
                {
                    "asset": asset,
                    "free": money(balance.free),
                    "locked": money(balance.locked),
                    "total": money(balance.total),
                    "reported": state.has_report(asset),
                }
            )
        limits = self.limits
        return {
            "assets": assets,
            "limits": None
            if limits is None
            else {
                "max_order_notional": money(limits.max_order_notional),
                "max_position_notional": money(limits.max_position_notional),
                "max_open_orders": limits.max_open_orders,
                "open_orders": len(self.ledger.open_orders()),
                "max_orders_per_minute": limits.max_orders_per_minute,
                "daily_loss": money(limits.daily_loss),
                "drawdown_from_peak": money(limits.drawdown_from_peak),
            },
        }

    def _pnl_curve(self, *, points: bool = True) -> dict[str, Any]:
        tally = self.tally
        quote = tally.curve_quote
        books = [b for b in tally.books.values() if b.quote == quote]
        realized = tally.curve_realized  # cumulative: a fresh exchange does not reset it
        unrealized = sum((u for b in books if (u := b.unrealized) is not None), Decimal(0))
        out: dict[str, Any] = {
            "quote": quote,
            "realized": money(realized),
            "unrealized": money(unrealized),
            "total": money(realized + unrealized),
            "end_ms": self.ledger.as_of_ms,
            "fees_included": not any(b.fees_unvalued for b in books),
            "basis": "cumulative realized PnL at each fill, in the quote asset; " + BASIS,
            "other_quotes": sorted({b.quote for b in tally.books.values()} - {quote}),
        }
        if points:
            out["points"] = [curve_point(p) for p in tally.curve]
        return out

    def rate_limits(self) -> list[dict[str, Any]]:
        """The exchange's rate limits, each with what the exchange last reported used (None
        where the journal holds no figure: the exchange reports request weight per minute and
        orders per 10 s)."""
        tally = self.tally
        rules = []
        for rule in self.rate_rules:
            interval = f"{rule.interval_num}{_INTERVALS.get(rule.interval, rule.interval)}"
            used: int | None = None
            at: int | None = None
            if rule.kind is LimitKind.REQUEST_WEIGHT and rule.interval == "MINUTE":
                used, at = tally.weight, tally.weight_ms
            elif rule.kind is LimitKind.ORDERS and (rule.interval, rule.interval_num) == (
                "SECOND",
                10,
            ):
                used, at = tally.order_count, tally.order_count_ms
            rules.append(
                {"kind": rule.kind.value, "interval": interval, "limit": rule.limit,
                 "used": used, "at_ms": at, "interval_ms": rule.interval_ms}
            )  # fmt: skip
        return rules

    def _limits(self, now_ms: int) -> dict[str, Any]:
        ledger, tally = self.ledger, self.tally
        return {
            "rate_limits": self.rate_limits(),
            "request_weight": tally.weight,
            "request_weight_ms": tally.weight_ms,
            "order_count_10s": tally.order_count,
            "peak_weight": ledger.peak_weight,
            "peak_order_count": ledger.peak_order_count,
            "held": [
                {
                    "limit": s.limit,
                    "until_ms": s.until_ms,
                    "reason": s.reason,
                    "since_ms": s.since_ms,
                    "in_force": s.until_ms > now_ms,  # at the snapshot's now (or the record's)
                }
                for s in ledger.limits.values()
            ],
            "rate_limit_hits": dict(tally.counters.get("rate_limit_hits", {})),
            "risk_denials": ledger.risk_denials,
        }

    def _ladder(self, now_ms: int) -> dict[str, Any]:
        stage = self.ledger.stage
        verdict = self.promotion(now_ms)
        return {
            "rung": stage.rung if stage is not None else (self.tally.env or self.env),
            "env": self.env,
            "as_of_ms": now_ms,
            "caps": None
            if stage is None
            else {
                "max_order_notional": money(stage.max_order_notional),
                "max_daily_notional": money(stage.max_daily_notional),
            },
            "promotion": None if verdict is None else promotion_row(verdict),
        }


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(ViewImage)
