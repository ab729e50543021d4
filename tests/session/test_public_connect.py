"""`tradeguard.connect` stays the function a user calls, even once the module that implements
it (`tradeguard/session/connect.py`) is imported: Python binds an imported submodule to its package's
attribute of the same name, which made the second `tradeguard.connect(...)` of a program fail
with "'module' object is not callable"."""

from __future__ import annotations

import importlib

import tradeguard


async def test_connect_is_callable_before_and_after_its_module_is_imported() -> None:
    importlib.import_module("tradeguard.session.connect")
    assert callable(tradeguard.connect)
    async with tradeguard.connect() as tg:
        assert tg.profile == "default"
    async with tradeguard.connect() as again:  # the second one, as a program reconnecting
        assert again.profile == "default"
