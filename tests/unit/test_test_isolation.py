"""The suite never writes the user's own journal, state or config (tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

from tradeguard.journal import default_path


def test_the_run_points_the_users_directories_at_a_scratch_folder() -> None:
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        assert Path(os.environ[name]).parent.name.startswith("tradeguard-tests-"), name


def test_a_default_journal_made_without_an_isolation_fixture_is_not_the_users() -> None:
    real = Path.home() / ".local" / "share" / "tradeguard" / "default.db"
    assert default_path("default") != real
