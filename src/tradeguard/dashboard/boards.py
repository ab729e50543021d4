"""A profile made into a dashboard board: its journal tail, the view started at the journal's
head (without reading the whole journal), and its kill switch latched the way
`tradeguard kill` latches it (session.kill_switch: a KillSwitchSet journaled by "user")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeguard.dashboard.server import Board, MetricsText
from tradeguard.dashboard.sse import Feed, Tail, View
from tradeguard.profile.profiles import Profile


@dataclass(frozen=True)
class Parts:
    """What a board is made of: the view's class, how to open a tail, the metrics writer."""

    view: Callable[..., View]
    open_tail: Callable[..., Any]  # (location, *, profile) -> Tail with start_view(view) -> seq
    metrics: MetricsText


def real_parts() -> Parts:
    from tradeguard.dashboard import metrics, tail, view

    return Parts(
        view=view.DashboardView, open_tail=tail.JournalTail.open, metrics=metrics.prometheus_text
    )


def latch_for(profile_name: str, config: Path | None) -> Callable[[str], str]:
    """The kill switch's latch of this profile, through `tradeguard kill`'s own code."""

    def latch(reason: str) -> str:
        from tradeguard.session import kill_switch

        return kill_switch.main(profile_name, config, reset=False, reason=reason)

    return latch


def board(
    profile: Profile,
    parts: Parts,
    *,
    latch: Callable[[str], str],
    poll_s: float | None = None,
) -> Board:
    tail: Tail = parts.open_tail(profile.journal, profile=profile.name)
    try:
        view = parts.view(
            profile=profile.name, venue=profile.venue, env=profile.env, limits=profile.limits
        )
        start = tail.start_view(view)  # type: ignore[attr-defined]
    except BaseException:
        tail.close()
        raise
    feed = Feed(view, tail, start) if poll_s is None else Feed(view, tail, start, poll_s=poll_s)
    return Board(profile=profile.name, venue=profile.venue, env=profile.env, feed=feed, latch=latch)
