"""A journal whose hash chain is broken is never traded on nor added to (issue 12, item 5).

`connect` (and so `tradeguard run`) checks the chain from the last verified record to the head
before it folds the journal: a record edited, removed or moved since is refused with the record
it was found at, and the journal is left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tradeguard.errors import JournalAltered
from tradeguard.journal import default_path, open_journal
from tradeguard.session.connect import connect


async def _trade_once() -> Path:
    """A session that places and fills one order, closed: its journal's path."""
    tg = await connect(None)
    try:
        order = await tg.market_buy("BTC/USDT", qty="0.001")
        await tg.wait_for(order.client_order_id, timeout_s=10)
    finally:
        await tg.close()
    return default_path("default")


def _rows(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT seq, kind FROM journal ORDER BY seq"))


def _edit(path: Path, seq: int) -> None:
    """What a hand edit does: one byte of a record's body changed, its hash left."""
    with sqlite3.connect(path) as db:
        (body,) = db.execute("SELECT body FROM journal WHERE seq = ?", (seq,)).fetchone()
        changed = bytearray(body)
        changed[-2] ^= 0x01
        db.execute("UPDATE journal SET body = ? WHERE seq = ?", (bytes(changed), seq))


async def test_an_edited_record_refuses_the_start_and_nothing_is_appended() -> None:
    path = await _trade_once()
    rows = _rows(path)
    [filled] = [seq for seq, kind in rows if kind == "OrderFilled"][:1]
    _edit(path, filled)
    with pytest.raises(JournalAltered) as altered:
        await connect(None)
    assert altered.value.position == filled
    assert f"altered at record {filled}" in str(altered.value)
    assert _rows(path) == rows  # not folded into a session, not appended to


async def test_a_removed_record_refuses_the_start() -> None:
    path = await _trade_once()
    rows = _rows(path)
    gone = rows[len(rows) // 2][0]
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM journal WHERE seq = ?", (gone,))
    with pytest.raises(JournalAltered, match=f"record {gone}"):
        await connect(None)


async def test_records_removed_below_the_verified_checkpoint_are_found() -> None:
    """The second start verifies and marks its head; cutting the tail below that mark is a
    change the chain alone could not show, the checkpoint does."""
    await _trade_once()
    path = await _trade_once()  # verified everything the first run wrote
    with open_journal(path) as journal:
        mark = journal._checkpoint()[0]
    assert mark > 0
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM journal WHERE seq >= ?", (mark - 1,))
    with pytest.raises(JournalAltered, match="removed"):
        await connect(None)


async def test_a_clean_journal_starts_again_and_the_check_moves_on() -> None:
    await _trade_once()
    path = await _trade_once()
    with open_journal(path) as journal:
        first_mark = journal._checkpoint()[0]
        head = journal.head()[0]
    tg = await connect(None)
    await tg.close()
    with open_journal(path) as journal:
        assert first_mark < journal._checkpoint()[0] <= head < journal.head()[0]


def test_tradeguard_run_on_an_altered_journal_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip
    bot = tmp_path / "bot.py"
    bot.write_text(
        "async def main(tg):\n"
        "    order = await tg.market_buy('BTC/USDT', qty='0.001')\n"
        "    await tg.wait_for(order.client_order_id)\n"
    )
    command = [sys.executable, "-m", "tradeguard.cli.app", "run", str(bot), "--no-live"]
    first = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120, check=False)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    journal = tmp_path / "data" / "tradeguard" / "default.db"
    [filled] = [seq for seq, kind in _rows(journal) if kind == "OrderFilled"][:1]
    _edit(journal, filled)
    second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    [line] = second.stderr.strip().splitlines()
    assert line.startswith("tradeguard: the journal ") and f"altered at record {filled}" in line
