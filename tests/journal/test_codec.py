from __future__ import annotations

import typing

import msgspec
import pytest
from hypothesis import given, settings

from tradeguard import events as ev
from tradeguard.errors import JournalCorrupt
from tradeguard.journal import codec

from .factories import fill, intent
from .strategies import any_event, event_of


def test_the_union_holds_every_event_type_once_tagged_by_its_name() -> None:
    union = set(typing.get_args(ev.Event))
    assert union == set(ev.EVENT_TYPES)
    assert len(ev.EVENT_TYPES) == len({c.__name__ for c in ev.EVENT_TYPES})
    body = codec.encode(intent())
    assert msgspec.msgpack.decode(body[1:])["event"] == "OrderIntended"


@pytest.mark.parametrize("cls", ev.EVENT_TYPES, ids=lambda c: c.__name__)
def test_round_trip_every_event_type(cls: type[ev.EventBase]) -> None:
    @settings(max_examples=40, deadline=None)
    @given(event_of(cls))
    def check(event: ev.EventBase) -> None:
        body = codec.encode(event)
        assert body[0] == codec.VERSION
        assert codec.decode(body, 1) == event
        assert msgspec.json.decode(codec.to_json(event), type=ev.Event) == event

    check()


@settings(max_examples=200, deadline=None)
@given(any_event)
def test_round_trip_any_event(event: ev.EventBase) -> None:
    assert codec.decode(codec.encode(event), 1) == event


def test_money_is_a_string_on_disk_never_a_float() -> None:
    raw = msgspec.msgpack.decode(codec.encode(fill(1, "0.10000000", price="60000.01"))[1:])
    assert raw["qty"] == "0.10000000" and raw["price"] == "60000.01"


def test_an_unknown_version_names_the_record() -> None:
    body = bytes([codec.VERSION + 1]) + codec.encode(intent())[1:]
    with pytest.raises(JournalCorrupt, match="format 2") as caught:
        codec.decode(body, 42)
    assert caught.value.position == 42
    assert "journal verify" in str(caught.value)


@pytest.mark.parametrize("body", [b"", bytes([codec.VERSION]) + b"\xc1garbage", b"\x01"])
def test_garbage_is_journal_corrupt_with_the_position(body: bytes) -> None:
    with pytest.raises(JournalCorrupt) as caught:
        codec.decode(body, 7)
    assert caught.value.position == 7
