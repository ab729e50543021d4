"""The application messages of one FIX order-entry session on the simulator: NewOrderSingle
<D>, OrderCancelRequest <F>, OrderCancelRequestAndNewOrderSingle <XCN> and NewOrderList <E>
run on their REST twins' handlers (the same checks, filters, engine, order-rate limits and
faults), and LimitQuery <XLQ> is answered with LimitResponse <XLR>.

The acks are not built here: Binance answers with the ExecutionReports (and an order list's
ListStatus) of the account, which are the engine's user events, rendered by the session as
they are delivered. What is built here is each refusal: an ExecutionReport 150=8 (D, and the
new half of XCN), an OrderCancelReject <9> (F, and the cancel half of XCN), a ListStatus
431=7 (E), each with ErrorCode (25016) and Text (58); a Reject <3> for a message missing a
required tag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tradeguard.sim import fix_lists, fix_orders
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_params import Params
from tradeguard.sim.rest_pipeline import Call
from tradeguard.sim.rest_replace import ReplaceFailed
from tradeguard.venues.binance.fix_wire import FixMessage, timestamp_us

if TYPE_CHECKING:
    from tradeguard.sim.fix_session import FixSession

MESSAGE_LIMIT: Final = 10_000  # per connection, client to server
MESSAGE_WINDOW_S: Final = 10.0


class OrderEntry:
    """One session's order messages, on the simulator's engine."""

    def __init__(self, session: FixSession) -> None:
        self.session = session
        self.sim = session.sim

    def _now(self) -> str:
        return timestamp_us(self.sim.clock.now_ms() * 1000)

    def limits(self, msg: FixMessage) -> None:
        """LimitQuery <XLQ>: this connection's message limit and the account's order limits,
        each with its count, as LimitResponse <XLR>."""
        session = self.session
        request_id = msg.get(6136)
        if not request_id:
            self.malformed(msg, fix_orders.Malformed(6136, -1102, "Missing ReqID (6136)."))
            return
        assert session.key is not None
        usage = self.sim.ledger.order_usage_json(session.key.account, self.sim.clock.now_ms())
        body: list[tuple[int, object]] = [(6136, request_id), (25003, 1 + len(usage))]
        body += [(25004, 2), (25005, session.messages_in_window()), (25006, MESSAGE_LIMIT)]
        body += [(25007, int(MESSAGE_WINDOW_S)), (25008, "s")]
        for limit in usage:
            unit = "d" if limit["interval"] == "DAY" else "s"
            body += [(25004, 1), (25005, limit["count"]), (25006, limit["limit"])]
            body += [(25007, limit["intervalNum"]), (25008, unit)]
        session.send("XLR", body)

    def new_order(self, msg: FixMessage) -> None:
        try:
            params = fix_orders.new_order_params(msg)
        except fix_orders.Malformed as bad:
            self.malformed(msg, bad)
            return
        try:
            self._order_call("POST", params, orders=1)
        except Reject as rej:
            self.session.send("8", fix_orders.order_rejected(msg, rej.code, rej.msg, self._now()))

    def cancel(self, msg: FixMessage) -> None:
        try:
            params = fix_orders.cancel_params(msg)
        except fix_orders.Malformed as bad:
            self.malformed(msg, bad)
            return
        try:
            self._order_call("DELETE", params, orders=0)
        except Reject as rej:
            self.session.send("9", fix_orders.cancel_rejected(msg, rej.code, rej.msg))

    def replace(self, msg: FixMessage) -> None:
        """Cancel-replace: the cancel's report (or OrderCancelReject <9>) first, then the new
        order's (or its ExecutionReport 150=8); a refusal before either half ran is one
        ExecutionReport 150=8 for the new order."""
        try:
            params = fix_orders.replace_params(msg)
        except fix_orders.Malformed as bad:
            self.malformed(msg, bad)
            return
        now = self._now()
        send = self.session.send
        try:
            self._order_call("REPLACE", params, orders=1)
        except ReplaceFailed as failed:
            cancel, new = failed.data["cancelResponse"], failed.data["newOrderResponse"]
            if failed.data["cancelResult"] == "FAILURE":
                body = fix_orders.cancel_rejected(
                    msg, cancel["code"], cancel["msg"], params.get("cancelNewClientOrderId")
                )
                send("9", [(tag, v) for tag, v in body if tag != 37 or v is not None])
            if failed.data["newOrderResult"] == "FAILURE":
                send("8", fix_orders.order_rejected(msg, new["code"], new["msg"], now))
        except Reject as rej:
            send("8", fix_orders.order_rejected(msg, rej.code, rej.msg, now))

    def new_order_list(self, msg: FixMessage) -> None:
        """NewOrderList (an OCO, OTO or OTOCO): the legs' ExecutionReports and the ListStatus
        come as the engine's events; a refusal is a ListStatus 431=7."""
        try:
            route, params = fix_lists.list_params(msg)
        except fix_orders.Malformed as bad:
            self.malformed(msg, bad)
            return
        try:
            self._order_call(route, params, orders=3 if route == "OTOCO" else 2)
        except Reject as rej:
            self.session.send("N", fix_lists.list_rejected(msg, rej.code, rej.msg, self._now()))

    def malformed(self, msg: FixMessage, bad: fix_orders.Malformed) -> None:
        body: list[tuple[int, object]] = [
            (45, msg.seq),
            (371, bad.tag),
            (372, msg.msg_type),
            (373, 1),
            (25016, bad.code),
            (58, bad.text),
        ]
        self.session.send("3", body)

    def _order_call(self, route: str, params: dict[str, str], orders: int) -> None:
        """Run the REST twin's handler under the REST order path's faults and order limits; the
        reports go out as the engine's events are delivered. Rejects raise."""
        sim, session = self.sim, self.session
        key = session.key
        assert key is not None
        endpoint = session.acceptor.endpoints[route]
        plan = (
            sim.faults.for_request(endpoint.method, endpoint.path) if sim.faults.faults() else None
        )
        if plan is not None and plan.error is not None:
            fault = plan.error
            raise Reject(fault.code or -1000, fault.msg or "An unknown error occurred.")
        if plan is not None and plan.drop_before_execute:
            session.abort()
            return
        if plan is not None and plan.drop_after_execute:
            session.abort()  # the engine acts; its reports go nowhere
        now = sim.clock.now_ms()
        if orders:
            sim.ledger.admit_order(key.account, session.ip, now)
        with session.one_write():  # the order's reports in one TLS record
            try:
                endpoint.handler(Call(Params(params), now, session.ip, key))
            finally:
                sim.pump()  # the reports go out as the engine's events are delivered
        for _ in range(orders):
            sim.ledger.count_order(key.account, now)
