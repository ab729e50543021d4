"""A stand-in for the dashboard's view and journal tail (dashboard.view / dashboard.tail), with
exactly the contract's names, so that the server and the page are tested before (and apart
from) the real view. The tail reads a real journal; the view keeps only what the page needs
to show fills and the kill switch."""

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
        self.events = 0

    def apply(self, seq: int, event: EventBase) -> dict[str, Any] | None:
        self.seq = seq
        self.events += 1
        if isinstance(event, OrderFilled):
            fill = {
                "seq": seq,
                "at_ms": event.at_ms,
                "symbol": event.symbol,
                "side": event.side.value,
                "qty": str(event.qty),
                "price": str(event.price),
                "trade_id": event.trade_id,
                "client_order_id": event.client_order_id,
            }
            self.fills = [*self.fills, fill][-200:]
            return {"seq": seq, "kind": "fill", "fill": fill}
        if isinstance(event, KillSwitchSet):
            self.kill = {
                "latched": True,
                "reason": event.reason,
                "by": event.by,
                "at_ms": event.at_ms,
            }
            return {"seq": seq, "kind": "kill_switch", "kill_switch": self.kill}
        if isinstance(event, KillSwitchReset):
            self.kill = {"latched": False}
            return {"seq": seq, "kind": "kill_switch", "kill_switch": self.kill}
        return None

    def snapshot(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "status": {"rung": self.env, "venue": self.venue, "events": self.events},
            "kill_switch": self.kill,
            "positions": [],
            "balances": [],
            "open_orders": [],
            "fills": self.fills,
            "pnl_curve": [[f["at_ms"], i] for i, f in enumerate(self.fills)],
            "limits": [{"name": "request weight 1m", "used": 37, "limit": 6000}],
            "errors": [],
            "alerts": [],
            "ladder": {"rung": self.env},
            "chain": {"head_seq": self.seq},
        }


class FakeTail:
    def __init__(self, store: JournalStore) -> None:
        self.store = store

    @classmethod
    def open(cls, location: str | Path) -> FakeTail:
        return cls(open_journal(location, create=False))

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

    def close(self) -> None:
        self.store.close()


def fake_metrics(view: FakeView, *, now_ms: int) -> str:
    latched = 1 if view.kill.get("latched") else 0
    return (
        "# HELP tradeguard_kill_switch_engaged 1 when the kill switch is latched.\n"
        "# TYPE tradeguard_kill_switch_engaged gauge\n"
        f"tradeguard_kill_switch_engaged {latched}\n"
    )
