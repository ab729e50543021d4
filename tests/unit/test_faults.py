"""The fault plan: matching, counting down, precedence, streams, JSON and validation."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.sim.faults import KINDS, FaultPlan, RequestFaults, StreamFaults, parse_fault
from tradeguard.sim.faults_kinds import Latency

ORDER = "/api/v3/order"


def test_empty_plan_does_nothing() -> None:
    plan = FaultPlan()
    assert plan.for_request("POST", ORDER) == RequestFaults()
    assert plan.for_stream("/ws-api/v3", 0) == StreamFaults()
    assert plan.shape_events("/ws-api/v3", [1, 2, 3]) == [1, 2, 3]
    assert not plan.maintenance_active() and plan.clock_offset_ms == 0
    assert plan.to_json() == []


def test_latency_adds_up_and_counts_down() -> None:
    plan = FaultPlan([{"kind": "latency", "ms": 30}, {"kind": "latency", "ms": 20, "count": 1}])
    assert plan.for_request("GET", "/api/v3/time").latency_ms == 50
    assert plan.for_request("GET", "/api/v3/time").latency_ms == 30
    assert plan.for_request("GET", "/api/v3/time").latency_ms == 30


def test_matcher_by_method_and_path_prefix() -> None:
    plan = FaultPlan(
        [{"kind": "drop_after_execute", "method": "post", "path_prefix": "/api/v3/order"}]
    )
    assert not plan.for_request("GET", ORDER).drop_after_execute
    assert not plan.for_request("POST", "/api/v3/account").drop_after_execute
    assert plan.for_request("POST", "/api/v3/order/test").drop_after_execute
    assert plan.for_request("post", ORDER).drop_after_execute


def test_control_paths_never_match() -> None:
    plan = FaultPlan([{"kind": "drop_before_execute"}, {"kind": "maintenance"}])
    assert plan.for_request("GET", "/sim/v1/faults") == RequestFaults()


def test_counted_fault_affects_exactly_n_requests_then_goes() -> None:
    plan = FaultPlan([{"kind": "drop_after_execute", "count": 2}])
    hits = [plan.for_request("POST", ORDER).drop_after_execute for _ in range(4)]
    assert hits == [True, True, False, False]
    assert plan.to_json() == []


def test_one_outcome_per_request_earliest_added_first() -> None:
    plan = FaultPlan(
        [
            {"kind": "hold_after_execute", "seconds": 2.5, "count": 1},
            {"kind": "error", "http_status": 502, "count": 1},
            {"kind": "drop_before_execute", "count": 1},
        ]
    )
    first = plan.for_request("POST", ORDER)
    assert first.error is not None and first.error.http_status == 502
    assert not first.drop_before_execute and first.hold_after_execute_s == 0
    second = plan.for_request("POST", ORDER)
    assert second.drop_before_execute and second.error is None
    third = plan.for_request("POST", ORDER)
    assert third.hold_after_execute_s == 2.5 and not third.drop_before_execute
    assert plan.for_request("POST", ORDER) == RequestFaults()


def test_applied_ids_are_reported() -> None:
    plan = FaultPlan()
    a = plan.add({"kind": "latency", "ms": 1})
    b = plan.add({"kind": "drop_after_execute"})
    assert plan.for_request("POST", ORDER).applied == (a, b)


def test_error_bodies() -> None:
    plan = FaultPlan()
    cases: list[tuple[dict[str, Any], tuple[int, int | None, str | None, str | None]]] = [
        ({"http_status": 502}, (502, None, None, "502 Bad Gateway")),
        ({"http_status": 504}, (504, None, None, "504 Gateway Time-out")),
        (
            {"http_status": 503},
            (503, -1000, "Unknown error, please check your request or try again later.", None),
        ),
        (
            {"http_status": 408},
            (
                408,
                -1007,
                "Timeout waiting for response from backend server. Send status unknown; "
                "execution status unknown.",
                None,
            ),
        ),
        (
            {"http_status": 400, "code": -1022},
            (400, -1022, "Signature for this request is not valid.", None),
        ),
        (
            {"http_status": 400, "code": -1013, "msg": "Filter failure: LOT_SIZE"},
            (400, -1013, "Filter failure: LOT_SIZE", None),
        ),
        ({"http_status": 500, "html_body": "<p>oops</p>"}, (500, None, None, "<p>oops</p>")),
    ]
    for spec, (status, code, msg, html) in cases:
        plan.clear()
        plan.add({"kind": "error", **spec})
        reply = plan.for_request("GET", "/api/v3/account").error
        assert reply is not None
        assert (reply.http_status, reply.code, reply.msg) == (status, code, msg)
        if html is None:
            assert reply.html_body is None
        else:
            assert reply.html_body is not None and html in reply.html_body


def test_error_retry_after_header() -> None:
    plan = FaultPlan([{"kind": "error", "http_status": 429, "retry_after_s": 7}])
    reply = plan.for_request("GET", "/api/v3/time").error
    assert reply is not None and reply.headers == {"Retry-After": "7"} and reply.code == -1003


def test_maintenance() -> None:
    plan = FaultPlan()
    fid = plan.add({"kind": "maintenance"})
    plan.add({"kind": "drop_after_execute", "count": 1, "path_prefix": ORDER})
    assert plan.maintenance_active()
    assert plan.system_status_json() == {"status": 1, "msg": "system_maintenance"}
    r = plan.for_request("POST", ORDER)
    assert r.maintenance and r.error is not None
    assert (r.error.http_status, r.error.msg) == (503, "Service Unavailable.")
    assert not r.drop_after_execute  # nothing executes, so the drop is kept for later
    assert not plan.for_request("GET", "/sapi/v1/system/status").maintenance
    plan.remove(fid)
    assert plan.system_status_json() == {"status": 0, "msg": "normal"}
    assert plan.for_request("POST", ORDER).drop_after_execute


def test_clock_offset_latest_wins() -> None:
    plan = FaultPlan()
    a = plan.add({"kind": "clock_offset", "ms": -1500})
    b = plan.add({"kind": "clock_offset", "ms": 2500})
    assert plan.clock_offset_ms == 2500
    plan.remove(b)
    assert plan.clock_offset_ms == -1500
    plan.remove(a)
    assert plan.clock_offset_ms == 0


# ── streams ─────────────────────────────────────────────────────────────────────────────────


def test_stream_drop_and_terminate_count_connections() -> None:
    plan = FaultPlan(
        [
            {"kind": "stream_terminate", "count": 1, "path_prefix": "/ws-api"},
            {"kind": "stream_drop", "count": 1, "path_prefix": "/ws-api"},
        ]
    )
    assert plan.for_stream("/ws/btcusdt@trade", 0) == StreamFaults()
    assert plan.for_stream("/ws-api/v3", 0) == StreamFaults(drop=True)
    assert plan.for_stream("/ws-api/v3", 0) == StreamFaults(terminate=True)
    assert plan.for_stream("/ws-api/v3", 0) == StreamFaults()


def test_timed_silence_starts_when_first_seen_and_ends() -> None:
    plan = FaultPlan([{"kind": "stream_silence", "seconds": 2}])
    assert plan.for_stream("/ws-api/v3", 10_000).silenced
    assert plan.for_stream("/ws-api/v3", 11_999).silenced
    assert not plan.for_stream("/ws-api/v3", 12_000).silenced
    assert plan.to_json() == []


def test_silence_until_removed() -> None:
    plan = FaultPlan()
    fid = plan.add({"kind": "stream_silence"})
    assert plan.for_stream("/stream", 10**12).silenced
    plan.remove(fid)
    assert not plan.for_stream("/stream", 10**12).silenced


def test_duplicate_and_reorder_next_events() -> None:
    plan = FaultPlan([{"kind": "reorder_next", "count": 3}, {"kind": "duplicate_next", "count": 2}])
    assert plan.shape_events("/ws-api/v3", ["a", "b"]) == ["b", "b", "a", "a"]
    # One event left to reorder (alone it stays put); duplicates are used up.
    assert plan.shape_events("/ws-api/v3", ["c", "d"]) == ["c", "d"]
    assert plan.shape_events("/ws-api/v3", ["e", "f"]) == ["e", "f"]
    assert plan.to_json() == []


# ── JSON and validation ─────────────────────────────────────────────────────────────────────


def test_json_round_trip_keeps_ids_and_remaining_counts() -> None:
    plan = FaultPlan(
        [
            {"kind": "latency", "ms": 5, "method": "GET"},
            {"kind": "drop_after_execute", "count": 3, "path_prefix": ORDER},
            {"kind": "hold_after_execute", "seconds": 1.5},
            {"kind": "stream_silence", "seconds": 4, "path_prefix": "/ws"},
        ]
    )
    plan.for_request("POST", ORDER)
    data = plan.to_json()
    assert data[1] == {"kind": "drop_after_execute", "id": 2, "path_prefix": ORDER, "count": 2}
    again = FaultPlan.from_json(data)
    assert again.to_json() == data
    assert FaultPlan.from_json(json.dumps(data)).to_json() == data
    assert again.add({"kind": "maintenance"}) == 5


def test_from_json_names_the_bad_entry() -> None:
    with pytest.raises(ValueError, match=r"faults\[1\]: unknown fault kind 'explode'"):
        FaultPlan.from_json([{"kind": "latency", "ms": 1}, {"kind": "explode"}])
    with pytest.raises(ValueError, match="list of fault objects"):
        FaultPlan.from_json({"kind": "latency"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not parse"):
        FaultPlan.from_json("[{")
    assert FaultPlan.from_json(None).to_json() == []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"ms": 5}, "unknown fault kind None"),
        ({"kind": "latency"}, "missing required field `ms`"),
        ({"kind": "latency", "ms": "5"}, "Expected `int`"),
        ({"kind": "latency", "ms": -1}, "between 0 and 600000"),
        ({"kind": "latency", "ms": 1, "colour": "red"}, "unknown field `colour`"),
        ({"kind": "latency", "ms": 1, "count": 0}, "count must be 1 or more"),
        ({"kind": "latency", "ms": 1, "method": "PO ST"}, "HTTP method"),
        ({"kind": "latency", "ms": 1, "path_prefix": "api"}, "start with '/'"),
        ({"kind": "error", "http_status": 200}, "4xx or 5xx"),
        ({"kind": "error", "http_status": 404}, "no default body"),
        ({"kind": "error", "http_status": 400, "code": -1013}, "no fixed text"),
        ({"kind": "error", "http_status": 400, "code": -7777}, "no fixed text"),
        ({"kind": "error", "http_status": 400, "msg": "x"}, "needs its Binance code"),
        ({"kind": "error", "http_status": 502, "code": -1, "html_body": "x"}, "not both"),
        ({"kind": "error", "http_status": 429, "retry_after_s": -1}, "retry_after_s"),
        ({"kind": "hold_after_execute", "seconds": 0}, "above 0"),
        ({"kind": "maintenance", "count": 1}, "until removed"),
        ({"kind": "maintenance", "path_prefix": "/api"}, "applies everywhere"),
        ({"kind": "clock_offset", "ms": 10**12}, "within 30 days"),
        ({"kind": "stream_drop", "method": "GET"}, "not a method"),
        ({"kind": "stream_silence", "count": 2}, "use seconds"),
        ({"kind": "duplicate_next"}, "needs count"),
        ({"kind": "reorder_next", "count": 1}, "2 or more"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_fault(spec)


def test_parse_fault_accepts_a_struct_and_copies_it() -> None:
    original = Latency(ms=3)
    copy = parse_fault(original)
    assert copy == original and copy is not original
    with pytest.raises(ValueError, match="JSON object"):
        parse_fault(["latency"])  # type: ignore[arg-type]


def test_every_kind_is_documented() -> None:
    import tradeguard.sim.faults as module

    assert module.__doc__ is not None
    for kind in KINDS:
        assert kind in module.__doc__


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["drop_before_execute", "drop_after_execute", "latency"]),
            st.integers(1, 4),
        ),
        max_size=6,
    ),
    st.integers(0, 20),
)
def test_a_counted_fault_is_applied_exactly_count_times(
    specs: list[tuple[str, int]], requests: int
) -> None:
    plan = FaultPlan()
    for kind, count in specs:
        plan.add({"kind": kind, "count": count} | ({"ms": 1} if kind == "latency" else {}))
    applied: dict[int, int] = {}
    for _ in range(requests):
        for fid in plan.for_request("POST", ORDER).applied:
            applied[fid] = applied.get(fid, 0) + 1
    for fid, (_kind, count) in enumerate(specs, start=1):
        assert applied.get(fid, 0) <= count
    # Deterministic: the same plan and requests give the same result.
    again = FaultPlan()
    for kind, count in specs:
        again.add({"kind": kind, "count": count} | ({"ms": 1} if kind == "latency" else {}))
    for _ in range(requests):
        again.for_request("POST", ORDER)
    assert again.to_json() == plan.to_json()


# ── the per-event, per-channel view the stream server uses ──────────────────────────────────


def test_next_stream_fault_by_channel() -> None:
    plan = FaultPlan(
        [
            {"kind": "duplicate_next", "count": 2, "channel": "user"},
            {"kind": "stream_drop", "count": 1, "channel": "market"},
        ]
    )
    assert plan.next_stream_fault("market") == "drop"
    assert plan.next_stream_fault("market") == ""
    assert [plan.next_stream_fault("user") for _ in range(3)] == ["duplicate", "duplicate", ""]


def test_next_stream_fault_reorder_is_handed_over_whole() -> None:
    plan = FaultPlan([{"kind": "reorder_next", "count": 3}])
    assert plan.next_stream_fault("user") == "reorder:3"
    assert plan.next_stream_fault("user") == ""


def test_next_stream_fault_precedence_and_silence() -> None:
    plan = FaultPlan()
    silence = plan.add({"kind": "stream_silence", "seconds": 1})
    plan.add({"kind": "stream_terminate", "count": 1})
    assert plan.next_stream_fault("user", 0) == "terminate"
    assert plan.next_stream_fault("user", 0) == "silence"
    assert plan.next_stream_fault("user", 999) == "silence"
    assert plan.next_stream_fault("user", 1000) == ""
    assert all(f.id != silence for f in plan.faults())


def test_path_faults_do_not_apply_to_channel_queries_and_vice_versa() -> None:
    plan = FaultPlan(
        [
            {"kind": "stream_drop", "path_prefix": "/ws-api"},
            {"kind": "stream_terminate", "channel": "user"},
        ]
    )
    assert plan.next_stream_fault("user") == "terminate"
    assert plan.for_stream("/ws-api/v3", 0) == StreamFaults(drop=True)
    assert plan.for_stream("/stream", 0) == StreamFaults()
    assert plan.for_stream("/stream", 0, channel="user") == StreamFaults(terminate=True)


def test_bad_channel() -> None:
    with pytest.raises(ValueError, match="channel must be one of user, market"):
        parse_fault({"kind": "stream_drop", "channel": "private"})
