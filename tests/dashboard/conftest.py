"""The dashboard's tests: a profile's journal and state in a temporary directory, and boards
made of the stand-in view (fakes.py) until the real one lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.fakes import FakeTail, FakeView, fake_metrics
from tests.journal.conftest import pg
from tradeguard.dashboard.boards import Parts

__all__ = ["pg"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def parts() -> Parts:
    return Parts(view=FakeView, open_tail=FakeTail.open, metrics=fake_metrics)
