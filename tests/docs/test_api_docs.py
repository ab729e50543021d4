"""What `help()` shows a user: the package says what tradeguard is, the two ways in and where
the docs are; every event type a bot reads from `tg.events()` says what it records and when;
the package ships `py.typed`, so a type checker reads its annotations."""

from __future__ import annotations

import importlib.resources
import pydoc
from pathlib import Path

import tradeguard
from tradeguard import events

ROOT = Path(__file__).resolve().parents[2]


def test_help_tradeguard_says_what_it_is_how_to_start_and_where_the_docs_are() -> None:
    text = pydoc.render_doc(tradeguard, renderer=pydoc.plaintext)
    assert "connect trading code to crypto exchanges safely" in text
    assert "tradeguard run bot.py" in text  # a bot file
    assert "async with tradeguard.connect(" in text  # the library form
    assert "tradeguard.session.guard.Session" in text
    for page in ("architecture.md", "profiles.md", "simulator.md", "faults.md", "examples/"):
        assert page in text
        assert (ROOT / "docs" / page).exists() or (ROOT / page).is_dir()


def test_every_event_type_says_what_it_records_and_when() -> None:
    missing = []
    for event_type in events.EVENT_TYPES:
        doc = event_type.__doc__ or ""
        # msgspec gives a Struct without a docstring none; a docstring inherited from the base
        # says nothing about this event
        if len(doc.split()) < 8 or doc == events.EventBase.__doc__:
            missing.append(event_type.__name__)
    assert missing == [], f"event types without a docstring of their own: {missing}"


def test_the_event_base_documents_the_fields_every_event_has() -> None:
    doc = events.EventBase.__doc__ or ""
    for name in ("at_ms", "profile", "exchange_ms"):
        assert name in doc


def test_py_typed_ships_in_the_package() -> None:
    marker = importlib.resources.files("tradeguard") / "py.typed"
    assert marker.is_file()
