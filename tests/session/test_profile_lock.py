"""One runner per profile and journal: a second `connect` (or `tradeguard run`) on a profile a
live session holds is refused, naming the process that holds it, so two bots can never each
enforce their own order rate on one profile. Closing releases it, and so does the operating
system when the holder dies in any way (SIGKILL). Reading the journal, `tradeguard kill`,
`tradeguard account` and `tradeguard doctor` never take it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main as cli
from tradeguard.errors import GuardError
from tradeguard.profile.profiles import Profile
from tradeguard.session import kill_switch
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session


async def test_a_second_session_on_the_profile_is_refused_until_the_first_closes(
    tg: Session,
) -> None:
    with pytest.raises(GuardError) as refused:
        await connect(None)
    message = str(refused.value)
    assert "profile default" in message and f"process {os.getpid()}" in message
    assert refused.value.hint is not None and "one runner per profile" in refused.value.hint
    await tg.close()
    again = await connect(None)  # released on close
    await again.close()


async def test_another_profile_runs_beside_it(tg: Session) -> None:
    other = await connect(Profile(name="other"))
    await other.close()


async def test_reading_killing_the_account_and_doctor_take_no_lock(tg: Session) -> None:
    said = await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="by hand")
    assert "latched" in said
    tail = await asyncio.to_thread(CliRunner().invoke, cli, ["journal", "tail"])
    assert tail.exit_code == 0, tail.output
    account = await asyncio.to_thread(CliRunner().invoke, cli, ["account"])
    assert account.exit_code == 0, account.output
    doctor = await asyncio.to_thread(CliRunner().invoke, cli, ["doctor", "--json"])
    assert "already trading" not in doctor.output, doctor.output


HOLDER = """
import asyncio, sys
from tradeguard.session.connect import connect

async def main():
    tg = await connect(None)
    print("HOLDING", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_sigkilled_holder_releases_the_profile(tmp_path: Path) -> None:
    (tmp_path / "holder.py").write_text(HOLDER)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, str(tmp_path / "holder.py"), cwd=tmp_path, env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 60)
        assert line == b"HOLDING\n"
        with pytest.raises(GuardError) as refused:
            await connect(None)
        assert f"process {holder.pid}" in str(refused.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    tg = await connect(None)  # the operating system released the dead holder's lock
    await tg.close()
