"""The simulator's FIX acceptor as Binance's order-entry session: Logon with an Ed25519 key
over TLS, sequence numbers, heartbeats, orders on the engine, rejects with Binance's codes."""

from __future__ import annotations

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import fix_wire

from .fix_client import RawFix, limit_buy


async def test_logon_with_an_ed25519_key_over_tls(fix: RawFix) -> None:
    await fix.logon()
    answer = await fix.expect("A")
    assert (answer.get(98), answer.get(108), answer.get(56)) == ("0", "30", "T1")
    assert answer.get(25037) is not None and answer.seq == 1


async def test_an_hmac_key_cannot_log_on(fix: RawFix) -> None:
    await fix.logon("trade-only")
    reject = await fix.expect("3")
    assert reject.get(25016) == "-2015"
    await fix.expect("5")
    assert await fix.closed()


async def test_a_wrong_signature_is_refused(fix: RawFix, running_sim: RunningSim) -> None:
    key = running_sim.key("trade-only-ed25519")
    logon = fix_wire.logon("T1", 1, fix.now(), key.api_key, lambda _: "A" * 86 + "==")
    fix.send_raw(logon)
    assert (await fix.expect("3")).get(25016) == "-1022"


async def test_something_before_logon_is_refused(fix: RawFix) -> None:
    fix.send("0", [])
    assert (await fix.expect("3")).get(25016) == "-1180"


async def test_a_test_request_is_answered(logged_on: RawFix) -> None:
    logged_on.send("1", [(112, "ping-1")])
    assert (await logged_on.expect("0")).get(112) == "ping-1"


async def test_a_sequence_gap_ends_the_session(logged_on: RawFix) -> None:
    logged_on.send("0", [], seq=5)  # 2 expected
    reject = await logged_on.expect("3")
    assert (reject.get(25016), reject.get(58)) == (
        "-1179",
        "MsgSeqNum too high or low, Expected: '2'",
    )
    await logged_on.expect("5")
    assert await logged_on.closed()


async def test_a_garbled_message_is_refused_and_the_connection_closed(logged_on: RawFix) -> None:
    data = fix_wire.encode("0", "T1", "SPOT", 2, logged_on.now())
    logged_on.send_raw(data[:-4] + b"999\x01")
    assert (await logged_on.expect("3")).get(25016) == "-1177"
    await logged_on.expect("5")
    assert await logged_on.closed()


async def test_the_same_comp_id_twice_is_refused(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    second = await RawFix.open(running_sim)
    try:
        await second.logon(sender="T1")
        assert (await second.expect("3")).get(25016) == "-1033"
    finally:
        await second.close()


async def test_a_limit_order_is_acknowledged_and_cancelled(logged_on: RawFix) -> None:
    logged_on.send("D", limit_buy("fix-a"))
    ack = await logged_on.expect("8")
    assert (ack.get(11), ack.get(150), ack.get(39), ack.get(55)) == ("fix-a", "0", "0", "BTCUSDT")
    assert ack.get(38) == "0.00000000" or ack.get(38) == "0.00100000"
    order_id = ack.get(37)
    logged_on.send("F", [(11, "fix-a-x"), (41, "fix-a"), (55, "BTCUSDT")])
    canceled = await logged_on.expect("8")
    assert (canceled.get(150), canceled.get(39), canceled.get(37)) == ("4", "4", order_id)


async def test_an_order_the_engine_refuses_is_an_execution_report_rejected(
    logged_on: RawFix,
) -> None:
    logged_on.send("D", limit_buy("fix-tick", price="50000.001"))
    rejected = await logged_on.expect("8")
    assert (rejected.get(150), rejected.get(39)) == ("8", "8")
    assert rejected.get(25016) == "-1013" and rejected.get(58)


async def test_cancelling_an_unknown_order_is_a_cancel_reject(logged_on: RawFix) -> None:
    logged_on.send("F", [(11, "x1"), (41, "nobody"), (55, "BTCUSDT")])
    refused = await logged_on.expect("9")
    assert (refused.get(25016), refused.get(434)) == ("-2011", "1")


async def test_a_missing_tag_is_a_session_reject(logged_on: RawFix) -> None:
    logged_on.send("D", [(11, "no-side"), (38, "0.001"), (40, 1), (55, "BTCUSDT")])
    reject = await logged_on.expect("3")
    assert (reject.get(371), reject.get(373), reject.get(25016)) == ("54", "1", "-1102")


async def test_a_market_order_fills_with_trade_reports(logged_on: RawFix) -> None:
    logged_on.send("D", [(11, "fix-m"), (38, "0.001"), (40, 1), (54, 1), (55, "BTCUSDT")])
    reports = [await logged_on.expect("8") for _ in range(2)]
    assert [r.get(150) for r in reports] == ["0", "F"]
    trade = reports[1]
    assert trade.get(39) == "2" and trade.get(32) == "0.00100000"
    assert trade.get(1003) is not None and trade.get(17) != reports[0].get(17)
    assert trade.get(136) == "1" and trade.get(138) is not None


def replace(
    new_id: str, orig: str, mode: int = 1, price: str = "49000"
) -> list[tuple[int, object]]:
    return [*limit_buy(new_id, price=price), (25033, mode), (41, orig), (25034, f"{new_id}-x")]


async def test_cancel_replace_reports_the_cancel_then_the_new_order(logged_on: RawFix) -> None:
    logged_on.send("D", limit_buy("fix-old"))
    await logged_on.expect("8")
    logged_on.send("XCN", replace("fix-new", "fix-old"))
    canceled = await logged_on.expect("8")
    assert (canceled.get(150), canceled.get(11), canceled.get(41)) == ("4", "fix-new-x", "fix-old")
    placed = await logged_on.expect("8")
    assert (placed.get(150), placed.get(11), placed.get(44)) == ("0", "fix-new", "49000.00000000")


async def test_cancel_replace_of_an_unknown_order_stops_at_the_cancel(logged_on: RawFix) -> None:
    logged_on.send("XCN", replace("fix-new", "nobody"))
    refused = await logged_on.expect("9")
    assert (refused.get(11), refused.get(25016)) == ("fix-new-x", "-2011")
    logged_on.send("1", [(112, "after")])  # nothing else came before the answer to this
    assert (await logged_on.expect("0")).get(112) == "after"


async def test_a_key_without_fix_api_trade_cannot_log_on() -> None:
    """Binance: order entry takes a key with FIX_API; the built-in Ed25519 key has it, a
    configured key has it only when its permissions name it."""
    from tradeguard.sim import server
    from tradeguard.sim.config import SimConfig

    keys = [
        {"name": "no-fix", "kind": "ED25519", "permissions": ["SPOT", "READ"]},
        {"name": "fix", "kind": "ED25519", "permissions": ["SPOT", "READ", "FIX_API"]},
    ]
    running = await server.start(SimConfig.default(seed=2, keys=keys))
    try:
        assert running.key("trade-only-ed25519").enable_fix_api_trade
        refused = await RawFix.open(running)
        await refused.logon("no-fix")
        reject = await refused.expect("3")
        assert reject.get(25016) == "-2015"
        await refused.close()
        allowed = await RawFix.open(running)
        await allowed.logon("fix", sender="T2")
        await allowed.expect("A")
        await allowed.close()
    finally:
        await running.close()
