"""Live stream events held while a gap is being filled, then delivered after the back-fill.

After a reconnect, a user stream first asks the venue what it missed (the back-fill) and only
then lets live events through, so that the journal sees the gap's events before anything that
happened after them. Both user streams (Binance's native one and the ccxt one) hold the same
way; each says when holding starts and supplies `_emit`.
"""

from __future__ import annotations

from tradeguard.events import EventBase


class HoldsDuringGapFill:
    """Mixed into a user stream: `_live` holds while `_holding` is a list, `_release` delivers
    what waited (and what arrives meanwhile) and stops holding."""

    _holding: list[EventBase] | None = None  # None: live events pass straight through

    def _emit(self, event: EventBase) -> None:
        raise NotImplementedError

    def _live(self, events: list[EventBase]) -> None:
        if self._holding is not None:
            self._holding.extend(events)
            return
        for event in events:
            self._emit(event)

    def _release(self) -> None:
        """Deliver what waited during the gap fill, then let live events through."""
        while self._holding:
            held, self._holding = self._holding, []
            for event in held:
                self._emit(event)
        self._holding = None
