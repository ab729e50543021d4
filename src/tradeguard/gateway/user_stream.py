"""The bot's user-data stream, made from the session's journal, on both of Binance's doors.

- the WebSocket API (`/ws-api/v3`, served by ws_api.py): `userDataStream.subscribe.signature`
  signed with a local key (what ccxt.pro and python-binance use for spot), events framed as
  `{"subscriptionId": N, "event": {...}}`, and `userDataStream.unsubscribe`;
- the listen key: `POST/PUT/DELETE /api/v3/userDataStream` (API key only, as Binance), then
  `/ws/<listenKey>` with the events as they are.

Every recorded event goes through `user_events.UserEvents` once, and what it makes goes to
every subscriber, so two bots see the same executions. A subscriber that falls 10,000 events
behind is disconnected, as Binance drops a slow consumer (its client reconnects and re-reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tradeguard.events import EventBase, OrderFilled, OrderUpdated
from tradeguard.gateway.intents_kept import IntentsKept
from tradeguard.gateway.list_events import ListEvents, ListView
from tradeguard.gateway.local_keys import LocalKeys
from tradeguard.gateway.shapes import NO_LIST
from tradeguard.gateway.user_events import UserEvents
from tradeguard.gateway.wire_errors import binance
from tradeguard.net.task_stop import stop_task
from tradeguard.orders import Order

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.session.guard import Session

Json = Any
QUEUE_MAX: Final = 10_000
_JSON: Final = msgspec.json.Encoder()
LISTEN_KEY_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class Subscriber:
    """One socket's queue of events to send (`wrap` frames each, for the WebSocket API)."""

    def __init__(self, wrap: Callable[[Json], Json] = lambda e: e) -> None:
        self.queue: asyncio.Queue[Json | None] = asyncio.Queue(maxsize=QUEUE_MAX)
        self.wrap = wrap
        self.overflowed = False

    def put(self, event: Json) -> None:
        try:
            self.queue.put_nowait(self.wrap(event))
        except asyncio.QueueFull:
            self.overflowed = True
            self._stop()

    def end(self, last: Json) -> None:
        """Send `last`, then close the socket (what is queued before it is sent first)."""
        self.put(last)
        if not self.overflowed:
            self._stop()

    def _stop(self) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(None)  # the writer stops: the socket closes


class UserStreams:
    """The journal's events as user-stream events, to every subscriber."""

    def __init__(self, tg: Session, keys: LocalKeys, intents: IntentsKept) -> None:
        self.tg = tg
        self.keys = keys
        self._intents = intents
        self._events = UserEvents()
        self._lists = ListEvents()
        # an order list by its client id, as the gateway shows it (set by its order lists)
        self.list_view: Callable[[str], ListView | None] = lambda list_coid: None
        self._subscribers: set[Subscriber] = set()
        self.listen_keys: dict[str, str] = {}  # listenKey -> the local key's name
        self._key_sockets: dict[str, set[Subscriber]] = {}  # listenKey -> its sockets
        tg.on_recorded(self.watch)

    def _now(self) -> int:
        return self.tg.server_now_ms()

    # ── from the journal ──────────────────────────────────────────────────────────────────
    def watch(self, event: EventBase) -> None:
        """The recorder's watcher: called once per event recorded, after the fold (nothing to
        make while nobody listens: an order first seen by a later subscriber on a fill is
        announced then)."""
        if not self._subscribers:
            return
        order = self._order_of(event)
        intent = self._intents.get(order.client_order_id) if order is not None else None
        in_list = intent.list_client_order_id if intent is not None else None
        view = self.list_view(in_list) if in_list is not None else None
        now = self._now()
        made = self._events.of(event, order, intent, now, view.number if view else NO_LIST)
        if view is not None and made:  # a leg's report: the list's own news, if any, after it
            made += self._lists.after(view, now, event.exchange_ms or event.at_ms)
        for payload in made:
            for subscriber in list(self._subscribers):
                subscriber.put(payload)

    def _order_of(self, event: EventBase) -> Order | None:
        if isinstance(event, OrderUpdated):
            return self.tg.order(event.client_order_id)
        if isinstance(event, OrderFilled):
            if event.client_order_id is not None:
                return self.tg.order(event.client_order_id)
            return self.tg.order_by_exchange_id(event.symbol, event.order_id)
        return None

    @property
    def remembered(self) -> int:
        """Orders whose stream state is kept (live ones, and ended ones with fills to book)."""
        return self._events.remembered

    @property
    def subscribers(self) -> int:
        """Sockets (or WebSocket API subscriptions) listening now."""
        return len(self._subscribers)

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    # ── listen keys (REST) ────────────────────────────────────────────────────────────────
    def listen_key(self, method: str, api_key: str | None, params: Mapping[str, str]) -> Json:
        """POST (a key, the same one again for the same local key, as Binance), PUT (keep
        alive), DELETE (close) /api/v3/userDataStream; the API key header only, no signature."""
        local = self.keys.key_of(api_key)
        if method == "POST":
            for existing, name in self.listen_keys.items():
                if name == local.name:
                    return {"listenKey": existing}
            made = "".join(secrets.choice(LISTEN_KEY_CHARS) for _ in range(60))
            self.listen_keys[made] = local.name
            return {"listenKey": made}
        given = params.get("listenKey", "")
        if not given:
            raise binance(-1102, "listenKey")
        if self.listen_keys.get(given) != local.name:
            raise binance(-1125)
        if method == "DELETE":
            del self.listen_keys[given]
            # its sockets end now, not at the bot's next frame (a bot that only listens sends
            # none): Binance's listenKeyExpired, then the close
            expired = {"e": "listenKeyExpired", "E": self._now(), "listenKey": given}
            for socket in self._key_sockets.pop(given, set()):
                socket.end(expired)
        return {}

    # ── sockets ───────────────────────────────────────────────────────────────────────────
    async def listen_key_socket(
        self, request: web.Request, listen_key: str
    ) -> web.WebSocketResponse:
        """`/ws/<listenKey>`: the events as Binance's user stream sends them."""
        from aiohttp import web

        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        subscriber = Subscriber()
        self.add(subscriber)
        self._key_sockets.setdefault(listen_key, set()).add(subscriber)
        writer = asyncio.create_task(pump(ws, subscriber))
        try:
            async for _ in ws:  # nothing to answer; reading keeps pings and the close flowing
                pass
        finally:
            self.remove(subscriber)
            self._key_sockets.get(listen_key, set()).discard(subscriber)
            try:
                await stop_task(writer)
            finally:  # cancelled while the writer ends, the socket still closes
                await ws.close()
        return ws

    # ── the WebSocket API's subscriptions (ws_api.py routes the requests) ────────────────
    def subscribe(self, subs: dict[int, Subscriber], out: Subscriber) -> Json:
        """userDataStream.subscribe(.signature), once the socket's caller checked the key: the
        events of this socket's subscription `sid`, framed `{"subscriptionId": sid, "event":
        ...}` in `out`, the socket's one queue (so they keep their order with the replies)."""
        sid = max(subs, default=-1) + 1
        sub = Subscriber(lambda e: {"subscriptionId": sid, "event": e})
        sub.queue = out.queue
        subs[sid] = sub
        self.add(sub)
        return {"subscriptionId": sid}

    def unsubscribe(self, params: Mapping[str, object], subs: dict[int, Subscriber]) -> Json:
        """userDataStream.unsubscribe: the one named, or every subscription of the socket."""
        wanted = params.get("subscriptionId")
        for sid in [s for s in subs if wanted is None or s == wanted]:
            self.remove(subs.pop(sid))
        return {}


async def pump(ws: web.WebSocketResponse, subscriber: Subscriber) -> None:
    """Send the subscriber's events in order until it overflows (then close, as Binance)."""
    while True:
        payload = await subscriber.queue.get()
        if payload is None:
            await ws.close()
            return
        await ws.send_str(_JSON.encode(payload).decode())
