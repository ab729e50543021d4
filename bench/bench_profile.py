"""The profile a benchmark's guarded session runs on: the target simulator's key from the
environment (as a user's would be), a journal and state in a fresh temporary folder, and limits
no benchmark reaches, so what is timed is the guard's work, never a refusal."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any


def bench_profile(target: dict[str, Any], prefix: str, venue: str = "binance") -> Any:
    """A `Profile` named "bench" for `target` (a simulator `servers.py` started), with OKX's
    passphrase on OKX."""
    from tradeguard.keys.credentials import CredentialsSpec
    from tradeguard.profile.profiles import Limits, Profile

    os.environ["TG_BENCH_KEY"] = target["api_key"]
    os.environ["TG_BENCH_SECRET"] = target["secret"]
    os.environ["TG_BENCH_PASSPHRASE"] = target.get("passphrase") or ""
    passphrase = "TG_BENCH_PASSPHRASE" if venue == "okx" else None
    home = Path(tempfile.mkdtemp(prefix=f"tg-bench-{prefix}-"))
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    return Profile(
        name="bench", venue=venue, env="testnet", base_url=target["base_url"],
        journal=f"sqlite://{home / 'bench.db'}",
        credentials=CredentialsSpec("bench", "env", "TG_BENCH_KEY", secret="TG_BENCH_SECRET",
                                    passphrase=passphrase),
        limits=Limits(max_orders_per_minute=10**6, max_order_notional=Decimal(10**6),
                      max_position_notional=Decimal(10**9), daily_loss=Decimal(10**9),
                      drawdown_from_peak=Decimal(10**9)),
    )  # fmt: skip
