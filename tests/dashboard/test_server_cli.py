"""`tradeguard dashboard` and `tradeguard run --web`: the command refuses another address
without a token in one line, starts without aiohttp at --help, serves a profile's page and
prints its URL, and `run --web` serves the bot's page while the bot runs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from tradeguard.cli import runner
from tradeguard.cli.app import main
from tradeguard.dashboard.boards import Parts
from tradeguard.dashboard.serve import WebOptions, serve_forever, start
from tradeguard.errors import ConfigError
from tradeguard.journal import open_journal
from tradeguard.profile.profiles import builtin_default


class Ready:
    """on_ready for a test: the URL, and an event set when it comes."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.event = asyncio.Event()

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        self.event.set()


def _journal_of_default_profile() -> None:
    profile = builtin_default()
    open_journal(profile.journal, profile=profile.name).close()


def test_another_address_without_a_token_is_refused_in_one_line() -> None:
    result = CliRunner().invoke(main, ["dashboard", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("tradeguard: --host 0.0.0.0") and "--token" in line


def test_help_lists_the_dashboard_and_imports_no_aiohttp() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from tradeguard.cli.app import main;"
        "r = CliRunner().invoke(main, ['dashboard', '--help']); print(r.output);"
        "print('aiohttp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--token" in out.stdout and "kill --reset" in out.stdout
    assert out.stdout.strip().endswith("False")
    assert "tradeguard dashboard" in CliRunner().invoke(main, ["--help"]).output


async def test_the_dashboard_prints_its_url_and_serves_the_profile(parts: Parts) -> None:
    _journal_of_default_profile()
    ready = Ready()
    options = WebOptions(port=0, parts=parts, on_ready=ready)
    serving = asyncio.ensure_future(serve_forever([builtin_default()], None, options))
    async with asyncio.timeout(10):
        await ready.event.wait()
    async with aiohttp.ClientSession() as http, http.get(ready.urls[0]) as page:
        assert page.status == 200
        assert "profile <b>default</b>" in await page.text()
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)


async def test_with_a_token_the_printed_url_carries_it(parts: Parts) -> None:
    _journal_of_default_profile()
    options = WebOptions(host="127.0.0.1", port=0, token="s3cret", parts=parts)
    running = await start([builtin_default()], None, options)
    try:
        link = options.url_for_user(running.url)
        assert link.endswith("/?token=s3cret")
        async with aiohttp.ClientSession() as http:
            assert (await http.get(running.url)).status == 401
            assert (await http.get(link)).status == 200
    finally:
        await running.close()


async def test_run_web_serves_the_bots_page_while_it_runs(parts: Parts, tmp_path: Path) -> None:
    bot = tmp_path / "bot.py"
    seen = tmp_path / "seen"
    bot.write_text(
        "import asyncio\nfrom pathlib import Path\n"
        "async def main(tg):\n"
        "    await tg.market_buy('BTC/USDT', qty='0.001')\n"
        f"    while not Path({str(seen)!r}).exists():\n"
        "        await asyncio.sleep(0.02)\n"
    )
    ready = Ready()
    urls = ready.urls
    options = WebOptions(port=0, parts=parts, poll_s=0.02, on_ready=ready)
    ran = asyncio.ensure_future(runner.run(bot, None, None, live=False, web=options))
    async with asyncio.timeout(30):
        await ready.event.wait()
        async with aiohttp.ClientSession() as http:
            while not (await (await http.get(urls[0] + "api/snapshot.json")).json())["fills"]:  # noqa: ASYNC110 (polling as a browser would)
                await asyncio.sleep(0.05)
        seen.touch()
        assert await ran == 0
    async with aiohttp.ClientSession() as http:  # the page ends with the run
        try:
            await http.get(urls[0])
            raise AssertionError("the dashboard outlived the run")
        except aiohttp.ClientConnectionError:
            pass


async def test_a_port_in_use_is_one_line_naming_the_option(parts: Parts) -> None:
    _journal_of_default_profile()
    first = await start([builtin_default()], None, WebOptions(port=0, parts=parts))
    port = int(first.url.rsplit(":", 1)[1].strip("/"))
    try:
        with pytest.raises(ConfigError, match=r"cannot listen on 127\.0\.0\.1:.*--port"):
            await start([builtin_default()], None, WebOptions(port=port, parts=parts))
    finally:
        await first.close()


async def test_run_web_at_a_terminal_keeps_the_page_up_after_the_bot_until_ctrl_c(
    parts: Parts, tmp_path: Path
) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text("async def main(tg):\n    await tg.market_buy('BTC/USDT', qty='0.001')\n")
    ready = Ready()
    options = WebOptions(port=0, parts=parts, poll_s=0.02, on_ready=ready, hold=True)
    ran = asyncio.ensure_future(runner.run(bot, None, None, live=False, web=options))
    async with asyncio.timeout(30), aiohttp.ClientSession() as http:
        await ready.event.wait()
        url = ready.urls[0]
        while not (await (await http.get(url + "api/snapshot.json")).json())["fills"]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the bot has ended by now; its page has not
        assert not ran.done()
        assert (await http.get(url)).status == 200
        os.kill(os.getpid(), signal.SIGINT)  # the runner's handler: Ctrl-C
        assert await ran == 0
