"""The dashboard's server over a real journal (the view is the stand-in of fakes.py): the page,
the snapshot, Server-Sent Events keyed by journal seq (resume after Last-Event-ID exactly once),
the kill button's latch through `tradeguard kill`'s code, /metrics, and who may connect."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.journal import pgcluster
from tests.journal.factories import fill
from tradeguard.dashboard import boards, server
from tradeguard.dashboard.auth import check_bind
from tradeguard.dashboard.boards import Parts
from tradeguard.errors import ConfigError
from tradeguard.events import KillSwitchSet
from tradeguard.journal import open_journal
from tradeguard.journal.store import JournalStore
from tradeguard.profile.profiles import Profile, builtin_default

KILL = {"X-Tradeguard-Action": "kill"}


@pytest.fixture
def profile() -> Profile:
    return builtin_default()


@pytest.fixture
def journal(profile: Profile) -> AsyncIterator[JournalStore]:
    store = open_journal(profile.journal, profile=profile.name)
    yield store
    store.close()


def _fills(journal: JournalStore, n: int, first_trade: int = 1) -> list[int]:
    seqs = []
    for i in range(n):
        seq = journal.append(fill(first_trade + i, "0.001"), durable=True)
        assert seq is not None
        seqs.append(seq)
    return seqs


def _app(
    profile: Profile, parts: Parts, *, token: str | None = None, **kw: object
) -> server.web.Application:
    b = boards.board(profile, parts, latch=boards.latch_for(profile.name, None), poll_s=0.02)
    return server.build_app([b], metrics=parts.metrics, token=token, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def client(
    profile: Profile, parts: Parts, journal: JournalStore
) -> AsyncIterator[TestClient[aiohttp.web.Request, aiohttp.web.Application]]:
    async with TestClient(TestServer(_app(profile, parts), host="127.0.0.1")) as c:
        yield c


async def _messages(response: aiohttp.ClientResponse, n: int) -> list[tuple[int, str]]:
    """(id, data) of the next n SSE messages (comments and retry lines skipped)."""
    out: list[tuple[int, str]] = []
    seq, data = None, None
    async with asyncio.timeout(5):
        while len(out) < n:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and data is not None:
                assert seq is not None
                out.append((seq, data))
                seq, data = None, None
    return out


async def test_the_page_carries_the_snapshot_and_loads_only_its_own_files(
    client: TestClient,
) -> None:  # type: ignore[type-arg]
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert 'id="kill-button"' in html and "tradeguard kill --reset" in html
    assert "fees" in html and "included" in html
    assert "http://" not in html and "https://" not in html  # nothing from the internet
    for path in (
        "/static/dashboard.js",
        "/static/dashboard.css",
        "/static/vendor/uplot/uPlot.iife.min.js",
    ):
        assert (await client.get(path)).status == 200, path
    snap = await (await client.get("/api/snapshot.json")).json()
    assert {"seq", "kill_switch", "fills", "positions", "limits", "chain"} <= set(snap)


async def test_values_are_escaped_in_the_page(
    profile: Profile, parts: Parts, journal: JournalStore
) -> None:
    journal.append(
        KillSwitchSet(at_ms=1, profile=profile.name, reason="</script><b>x</b>", by="user"),
        durable=True,
    )
    async with TestClient(TestServer(_app(profile, parts))) as c:
        html = await (await c.get("/")).text()
    assert "<b>x</b>" not in html
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html  # the kill switch's reason, as text
    assert "\\u003c/script\\u003e" in html  # inside the snapshot's JSON


def test_vendored_uplot_is_the_recorded_release() -> None:
    import tradeguard.dashboard

    folder = Path(tradeguard.dashboard.__file__).parent / "static" / "vendor" / "uplot"
    recorded = (folder / "VENDORED").read_text()
    assert "uPlot 1.6.32" in recorded and "sha512-KIMVnG68" in recorded
    for name in ("uPlot.iife.min.js", "uPlot.min.css", "LICENSE"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in recorded, name


async def test_events_are_keyed_by_seq_and_resume_after_last_event_id_exactly_once(
    client: TestClient,
    journal: JournalStore,  # type: ignore[type-arg]
) -> None:
    start = (await (await client.get("/api/snapshot.json")).json())["seq"]
    seqs = _fills(journal, 5)
    first = await client.get(f"/events?after={start}")
    assert first.headers["Content-Type"] == "text/event-stream"
    got = await _messages(first, 3)
    first.close()  # the browser lost the stream after the third
    assert [s for s, _ in got] == seqs[:3]
    more = _fills(journal, 2, first_trade=6)
    again = await client.get(f"/events?after={start}", headers={"Last-Event-ID": str(seqs[2])})
    resumed = await _messages(again, 4)
    again.close()
    assert [s for s, _ in resumed] == seqs[3:] + more  # no gap, no repeat
    assert '"kind":"OrderFilled"' in resumed[0][1]


async def test_a_browser_too_far_behind_gets_the_whole_snapshot(client: TestClient) -> None:  # type: ignore[type-arg]
    stream = await client.get("/events", headers={"Last-Event-ID": "999999"})
    ((seq, data),) = await _messages(stream, 1)
    stream.close()
    assert '"kind":"snapshot"' in data and seq == 0


async def test_keepalive_comments_and_retry_are_sent(
    profile: Profile, parts: Parts, journal: JournalStore
) -> None:
    async with TestClient(TestServer(_app(profile, parts, keepalive_s=0.05))) as c:
        stream = await c.get("/events?after=0")
        lines = [(await stream.content.readline()).decode() for _ in range(4)]
        stream.close()
    assert lines[0].startswith("retry: ")
    assert ": keepalive\n" in lines


async def test_shutdown_ends_open_streams(
    profile: Profile, parts: Parts, journal: JournalStore
) -> None:
    app = _app(profile, parts)
    runner, url = await server.start(app, "127.0.0.1", 0)
    async with aiohttp.ClientSession() as http:
        stream = await http.get(url + "events?after=0")
        await stream.content.readline()
        async with asyncio.timeout(5):  # without on_shutdown ending the stream: hangs here
            await runner.cleanup()
        stream.close()


async def test_the_kill_button_latches_through_tradeguard_kill(
    client: TestClient, journal: JournalStore
) -> None:  # type: ignore[type-arg]
    refused = await client.post("/api/kill", json={"reason": "x"})
    assert refused.status == 403  # a cross-site form cannot set the header
    done = await client.post("/api/kill", json={"reason": "looks wrong"}, headers=KILL)
    assert done.status == 200
    assert "latched" in (await done.json())["message"]
    (latch,) = [e for e in journal.events() if isinstance(e, KillSwitchSet)]
    assert latch.by == "user" and latch.reason == "looks wrong"
    async with asyncio.timeout(5):
        while not (await (await client.get("/api/snapshot.json")).json())["kill_switch"]["latched"]:  # noqa: ASYNC110 (polling the server, as a browser would)
            await asyncio.sleep(0.02)
    again = await client.post("/api/kill", json={}, headers=KILL)
    assert "already latched" in (await again.json())["message"]
    assert (await client.post("/api/kill", data="not json", headers=KILL)).status == 400


async def test_no_reset_route(client: TestClient) -> None:  # type: ignore[type-arg]
    for path in ("/api/reset", "/api/kill/reset"):
        assert (await client.post(path, headers=KILL)).status in (404, 405)


async def test_metrics_use_prometheus_content_type(client: TestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/metrics")
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "tradeguard_kill_switch_engaged 0" in await r.text()


def test_another_address_needs_a_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    with pytest.raises(ConfigError, match="--token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "s3cret")


async def test_with_a_token_every_request_needs_it(
    profile: Profile, parts: Parts, journal: JournalStore
) -> None:
    async with TestClient(TestServer(_app(profile, parts, token="s3cret"))) as c:
        for path in ("/", "/api/snapshot.json", "/metrics", "/events", "/static/dashboard.js"):
            assert (await c.get(path)).status == 401, path
        assert (await c.post("/api/kill", headers=KILL)).status == 401
        bearer = await c.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert bearer.status == 200
        assert (await c.get("/?token=wrong")).status == 401
        first = await c.get("/?token=s3cret")  # the link the command prints
        assert first.status == 200 and "tradeguard_token" in first.cookies
        assert (await c.get("/api/snapshot.json")).status == 200  # the cookie carries it


async def test_a_foreign_host_header_is_refused_on_loopback(client: TestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/", headers={"Host": "evil.example:8080"})
    assert r.status == 403  # DNS rebinding: a page elsewhere cannot read the dashboard


async def test_several_profiles_one_page_each(tmp_path: Path, parts: Parts) -> None:
    made: list[server.Board] = []
    for name in ("alpha", "beta"):
        p = Profile(name=name, journal=f"sqlite://{tmp_path}/{name}.db")
        with open_journal(p.journal, profile=name) as j:
            _fills(j, 1 if name == "alpha" else 2)
        made.append(boards.board(p, parts, latch=lambda reason: "", poll_s=0.02))
    async with TestClient(TestServer(server.build_app(made, metrics=parts.metrics))) as c:
        root = await (await c.get("/")).text()
        assert "/p/alpha/" in root and "/p/beta/" in root
        beta = await (await c.get("/p/beta/api/snapshot.json")).json()
        assert len(beta["fills"]) == 2
        assert (await c.get("/p/alpha/")).status == 200
        assert (await c.get("/p/alpha/metrics")).status == 200


@pytest.fixture(scope="module")
def pg() -> Iterator[pgcluster.Cluster | None]:
    with pgcluster.running() as cluster:
        yield cluster


async def test_two_bots_on_one_postgresql_journal_one_page_each(
    pg: pgcluster.Cluster | None, parts: Parts
) -> None:
    if pg is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    made = []
    for name, n in (("bot-a", 1), ("bot-b", 2)):
        with open_journal(pg.dsn, profile=name) as j:
            _fills(j, n)
        profile = Profile(name=name, journal=pg.dsn)
        made.append(boards.board(profile, parts, latch=lambda reason: "", poll_s=0.02))
    async with TestClient(TestServer(server.build_app(made, metrics=parts.metrics))) as c:
        for name, n in (("bot-a", 1), ("bot-b", 2)):
            snap = await (await c.get(f"/p/{name}/api/snapshot.json")).json()
            assert len(snap["fills"]) == n, name
        with open_journal(pg.dsn, profile="bot-b") as j:
            (seq,) = _fills(j, 1, first_trade=9)
        stream = await c.get("/p/bot-b/events", headers={"Last-Event-ID": str(seq - 1)})
        ((got, _),) = await _messages(stream, 1)
        stream.close()
        assert got == seq


async def test_metrics_are_given_the_journals_head_for_the_lag(
    profile: Profile, parts: Parts, journal: JournalStore
) -> None:
    b = boards.board(profile, parts, latch=lambda reason: "", poll_s=3600)  # never polls
    async with TestClient(TestServer(server.build_app([b], metrics=parts.metrics))) as c:
        _fills(journal, 3)
        text = await (await c.get("/metrics")).text()
        assert "tradeguard_journal_lag_records 3" in text


async def test_the_chain_follows_the_journal(client: TestClient, journal: JournalStore) -> None:  # type: ignore[type-arg]
    (*_, last) = _fills(journal, 2)
    async with asyncio.timeout(5):
        while (snap := await (await client.get("/api/snapshot.json")).json())["seq"] < last:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert snap["chain"]["head_seq"] == last
    assert snap["chain"]["head_hash"] == journal.head()[1].hex()[:16]
