"""Binance's -2015 has three causes; doctor tells them apart against the simulator, which
answers -2015 for an unknown key, a wrong IP and a missing permission alike."""

from __future__ import annotations

import dataclasses

from tradeguard.doctor.checks import Check, DoctorOptions, run_checks
from tradeguard.keys.audit import Level
from tradeguard.keys.credentials import CredentialsSpec

from .conftest import FakeProfile, Starter, listed

ELSEWHERE = [{"name": "mobile", "allowed_ips": ["10.9.9.9"]}]
HERE = [{"name": "mobile", "allowed_ips": ["127.0.0.1"]}]  # same seed+name: same key and secret


def live_with(
    profile: FakeProfile, options: DoctorOptions, running: object, key: dict[str, str]
) -> tuple[FakeProfile, DoctorOptions]:
    spec = CredentialsSpec(profile="default", source="env", api_key="K", secret="S")
    return (
        dataclasses.replace(profile, env="live", credentials=spec),
        dataclasses.replace(
            options,
            env={"K": key["api_key"], "S": key["secret"]},
            base_url=running.base_url,  # type: ignore[attr-defined]
        ),
    )


async def access(profile: FakeProfile, options: DoctorOptions) -> Check:
    checks = {c.name: c for c in await run_checks(profile, options)}
    return checks["key.access"]


async def test_missing_trade_permission(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim()
    p, o = live_with(profile, options, running, listed(running, "read-only"))
    check = await access(p, o)
    assert check == Check(
        "key.access",
        Level.FAIL,
        "the key and this IP are accepted, but the key lacks the spot trading permission "
        "(-2015 on POST /api/v3/order/test)",
        'enable "Spot & Margin Trading" on the key, or set mode = "read-only"',
    )


async def test_missing_read_permission(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim([{"name": "blind", "permissions": ["SPOT"]}])
    p, o = live_with(profile, options, running, listed(running, "blind"))
    check = await access(p, o)
    assert check.detail == (
        "the key and this IP are accepted for trading, but the key lacks the reading "
        "permission (-2015 on GET /api/v3/account)"
    )


async def test_wrong_ip_first_seen_names_both(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim(ELSEWHERE)
    p, o = live_with(profile, options, running, listed(running, "mobile"))
    check = await access(p, o)
    assert check.level is Level.FAIL
    assert check.detail == (
        "Binance refuses this key (-2015) on every call: either the API key is wrong or "
        "deleted, or this host's IP is not on the key's whitelist (Binance does not say which)"
    )


async def test_wrong_ip_after_it_worked_here(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    here = await start_sim(HERE)
    p, o = live_with(profile, options, here, listed(here, "mobile"))
    assert (await access(p, o)).level is Level.PASS
    elsewhere = await start_sim(ELSEWHERE)  # the same key, whitelisted elsewhere now
    p, o = live_with(profile, options, elsewhere, listed(elsewhere, "mobile"))
    check = await access(p, o)
    assert check.detail.startswith(
        "Binance refuses this key from this host's IP (-2015): the key is IP-restricted and "
        "worked from this host before"
    )
    assert check.fix == (
        "add this host's public IP to the key's whitelist in Binance's API Management"
    )


async def test_bad_key(profile: FakeProfile, options: DoctorOptions, start_sim: Starter) -> None:
    running = await start_sim()
    p, o = live_with(profile, options, running, {"api_key": "A" * 64, "secret": "B" * 64})
    assert (await access(p, o)).detail.startswith("Binance refuses this key (-2015) on every call")
    malformed = {"api_key": "not-a-key!", "secret": "B" * 64}
    p, o = live_with(profile, options, running, malformed)
    assert (await access(p, o)).detail == "Binance says the API key is malformed (-2014)"


async def test_deleted_unrestricted_key_is_a_bad_key(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim()
    key = listed(running, "no-ip-restriction")
    p, o = live_with(profile, options, running, key)
    assert (await access(p, o)).level is Level.PASS
    running.sim.keystore.revoke("no-ip-restriction")  # deleted at the exchange
    check = await access(p, o)
    assert check.detail.startswith("Binance no longer knows this API key (-2015)")


async def test_wrong_secret(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim()
    key = {**listed(running, "trade-only"), "secret": "x" * 64}
    p, o = live_with(profile, options, running, key)
    check = await access(p, o)
    assert check.detail.startswith(
        "Binance knows the API key and accepts this IP, but the signature is wrong (-1022)"
    )
