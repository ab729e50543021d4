"""A stand-in for the dashboard's view and journal tail (dashboard.view / dashboard.tail), with
the contract's names and the shapes of the real view's snapshot, so that the server and the
page are tested apart from the real view. The tail reads a real journal; the view keeps only
fills and the kill switch, and shows fixed figures elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradeguard.events import EventBase, KillSwitchReset, KillSwitchSet, OrderFilled
from tradeguard.journal import open_journal
from tradeguard.journal.store import JournalStore


class FakeView:
    def __init__(
        self, *, profile: str, venue: str, env: str, limits: Any = None, stage: Any = None
    ) -> None:
        self.profile, self.venue, self.env = profile, venue, env
        self.seq = 0
        self.fills: list[dict[str, Any]] = []
        self.kill: dict[str, Any] = {"latched": False}
        self.chain: dict[str, Any] = {"head_seq": 0, "head_hash": None, "verified": None}

    def apply(self, seq: int, event: EventBase) -> dict[str, Any] | None:
        self.seq = seq
        kind = type(event).__name__
        if isinstance(event, OrderFilled):
            fill = {
                "seq": seq,
                "at_ms": event.at_ms,
                "symbol": event.symbol,
                "side": event.side.value,
                "qty": str(event.qty),
                "price": str(event.price),
                "fee": str(event.commission),
                "liquidity": "maker" if event.is_maker else "taker",
                "trade_id": event.trade_id,
                "client_order_id": event.client_order_id,
            }
            self.fills = [*self.fills, fill][-200:]
            point = [event.at_ms, str(len(self.fills) - 1)]
            curve = {k: v for k, v in self._curve().items() if k != "points"}
            return {"seq": seq, "kind": kind, "at_ms": event.at_ms, "fill": fill,
                    "pnl_point": point, "pnl_curve": curve}  # fmt: skip
        if isinstance(event, KillSwitchSet | KillSwitchReset):
            latched = isinstance(event, KillSwitchSet)
            self.kill = {
                "latched": latched,
                "since_ms": event.at_ms if latched else None,
                "by": event.by if latched else None,
                "reason": event.reason if isinstance(event, KillSwitchSet) else None,
            }
            return {"seq": seq, "kind": kind, "at_ms": event.at_ms, "kill_switch": self.kill}
        return None

    def _curve(self) -> dict[str, Any]:
        realized = max(len(self.fills) - 1, 0)
        return {
            "quote": "USDT",
            "realized": str(realized),
            "unrealized": "0.5",
            "total": str(realized + 0.5),
            "end_ms": self.fills[-1]["at_ms"] if self.fills else None,
            "fees_included": True,
            "basis": "cumulative realized PnL at each fill, in the quote asset; average cost",
            "points": [[f["at_ms"], str(i)] for i, f in enumerate(self.fills)],
        }

    def note_chain(self, head_seq: int, head_hash: bytes, verified: object) -> None:
        self.chain = {"head_seq": head_seq, "head_hash": head_hash.hex()[:16], "verified": None}

    def snapshot(self, now_ms: int | None = None) -> dict[str, Any]:
        position = {"symbol": "BTCUSDT", "qty": "0.003", "average_entry": "60000.02",
                    "mark": "60010", "realized_pnl": "0", "unrealized_pnl": "0.03",
                    "fees_included": True,
                    "limit": {"max_notional": "500", "used_notional": "180.03"}}  # fmt: skip
        return {
            "seq": self.seq,
            "status": {
                "profile": self.profile,
                "venue": self.venue,
                "env": self.env,
                "rung": self.env,
                "streams": [{"stream": "user", "up": True, "last_message_ms": None}],
                "clock": {"offset_ms": 3, "rtt_ms": 1.5},
            },
            "kill_switch": self.kill,
            "positions": [position] if self.fills else [],
            "balances": {
                "assets": [{"asset": "USDT", "free": "9820", "locked": "0", "total": "9820"}],
                "limits": {"max_open_orders": 10, "open_orders": 0, "max_order_notional": "100"},
            },
            "open_orders": [],
            "fills": self.fills,
            "pnl_curve": self._curve(),
            "limits": {
                "rate_limits": [
                    {"kind": "REQUEST_WEIGHT", "interval": "1m", "limit": 6000, "used": 37},
                    {"kind": "ORDERS", "interval": "10s", "limit": 100, "used": None},
                ],
                "held": [],
                "rate_limit_hits": {},
                "risk_denials": {},
            },
            "alerts": [],
            "ladder": {"rung": self.env, "caps": None, "promotion": None},
            "chain": self.chain,
        }


class FakeTail:
    def __init__(self, store: JournalStore) -> None:
        self.store = store

    @classmethod
    def open(cls, location: str | Path, *, profile: str = "default") -> FakeTail:
        return cls(open_journal(location, profile=profile, create=False))

    def head(self) -> int:
        return self.store.head(commit_first=False)[0]

    def after(self, seq: int, limit: int = 1000) -> list[tuple[int, EventBase]]:
        out: list[tuple[int, EventBase]] = []
        for record in self.store.records(seq + 1, commit_first=False):
            out.append((record.seq, record.event))
            if len(out) >= limit:
                break
        return out

    def start_view(self, view: FakeView) -> int:
        seq = 0
        for seq, event in self.after(0, limit=10**9):
            view.apply(seq, event)
        return seq

    def note_chain(self, view: FakeView) -> None:
        view.note_chain(*self.store.head(commit_first=False), None)

    def close(self) -> None:
        self.store.close()


def fake_metrics(view: FakeView, *, now_ms: int, head_seq: int | None = None) -> str:
    latched = 1 if view.kill.get("latched") else 0
    return (
        "# HELP tradeguard_kill_switch_engaged 1 when the kill switch is latched.\n"
        "# TYPE tradeguard_kill_switch_engaged gauge\n"
        f"tradeguard_kill_switch_engaged {latched}\n"
        "# HELP tradeguard_journal_lag_records Records appended and not yet folded.\n"
        "# TYPE tradeguard_journal_lag_records gauge\n"
        f"tradeguard_journal_lag_records {(head_seq or view.seq) - view.seq}\n"
    )
