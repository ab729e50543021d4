"""A journal tradeguard cannot create or write (its folder read-only, a file where its folder
should be) is one line saying so and what to do, exit 2, on every command that opens it: never
a traceback, and never "journal corrupt ... restore it from a backup, or start a new one" for a
healthy journal in a folder that cannot be written (that advice loses a good journal)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main
from tradeguard.journal import open_journal

COMMANDS = [["run", "bot.py", "--no-live"], ["kill"], ["journal", "verify"]]


def _invoke(tmp_path: Path, journal: Path, command: list[str]) -> tuple[int, list[str]]:
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        f'[profiles.default]\nvenue = "binance"\nenv = "sim"\njournal = "sqlite://{journal}"\n'
    )
    (tmp_path / "bot.py").write_text("async def main(tg):\n    pass\n")
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        env.delenv("TRADEGUARD_PROFILE", raising=False)
        env.setenv("TRADEGUARD_CONFIG", str(config))
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        result = CliRunner().invoke(main, command)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("tradeguard: ")]
    return result.exit_code, errors


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_journal_whose_folder_cannot_be_made_is_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "taken").write_text("a file where the journal's folder should be\n")
    journal = tmp_path / "taken" / "bot.db"
    code, errors = _invoke(tmp_path, journal, command)
    if command[0] == "journal":  # reading only: no journal there yet
        assert code == 2 and len(errors) == 1 and "no journal at" in errors[0]
        return
    assert code == 2, errors
    (line,) = errors
    assert f"cannot create the journal at {journal}" in line
    assert "point journal = in the profile at a folder you can write" in line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_healthy_journal_sqlite_cannot_open_for_writing_is_not_called_corrupt(
    tmp_path: Path, command: list[str]
) -> None:
    journal = tmp_path / "bot.db"
    with open_journal(journal, profile="default"):
        pass
    for side in ("-wal", "-shm"):  # what a folder nobody may write to does to SQLite
        (tmp_path / f"bot.db{side}").unlink(missing_ok=True)
    (tmp_path / "bot.db-wal").mkdir()
    code, errors = _invoke(tmp_path, journal, command)
    assert code == 2, errors
    (line,) = errors
    assert "corrupt" not in line and "backup" not in line
    assert f"cannot open the journal {journal} for writing" in line
    assert "its folder must be writable" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_a_journal_in_a_read_only_folder_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with open_journal(folder / "bot.db", profile="default"):
        pass
    for side in ("-wal", "-shm"):
        (folder / f"bot.db{side}").unlink(missing_ok=True)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, errors = _invoke(tmp_path, folder / "bot.db", ["kill"])
    finally:
        folder.chmod(stat.S_IRWXU)
    assert code == 2 and len(errors) == 1 and "corrupt" not in errors[0], errors


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_journal_path_that_is_a_folder_is_one_line(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "journals"
    folder.mkdir()
    code, errors = _invoke(tmp_path, folder, command)
    assert code == 2, errors
    (line,) = errors
    assert f"the journal {folder} is a folder, not a file" in line
    assert "corrupt" not in line


def test_doctor_names_a_journal_path_that_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "journals"
    folder.mkdir()
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        f'[profiles.default]\nvenue = "binance"\nenv = "sim"\njournal = "sqlite://{folder}"\n'
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        result = CliRunner().invoke(main, ["doctor", "--json", "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert f"the journal {folder} is a folder, not a file" in result.stdout


def test_journal_given_a_folder_with_journal_option_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["journal", "verify", "--journal", str(tmp_path)])
    assert "Traceback" not in result.output
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"the journal {tmp_path} is a folder, not a file" in result.stderr
