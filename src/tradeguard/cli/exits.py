"""How a command ends on bad input or a refusal: one line on stderr, `tradeguard: ...`, and an
exit code, never a traceback. Every command ends that way through `fail`, so the prefix and the
stream are the same everywhere.

Only click is imported here (it is imported by every cli module at start).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

BAD_INPUT = 2  # click's own code for a usage error


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    click.echo(f"tradeguard: {message}", err=True)
    sys.exit(code)
