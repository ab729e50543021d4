"""How a command ends on bad input or a refusal: one line on stderr, `tradeguard: ...`, and an
exit code, never a traceback. Every command ends that way through `fail`, so the prefix and the
stream are the same everywhere; click's own usage errors (an unknown option, a missing
argument, a bad choice) are turned into such a line by `OneLineUsageErrors`, the root group.

Only click and tradeguard.errors are imported here (every cli module imports them at start).
"""

from __future__ import annotations

import sys
from typing import IO, Any, NoReturn

import click

from tradeguard.errors import ConfigError, TradeguardError

BAD_INPUT = 2  # click's own code for a usage error

# a group called with nothing prints its help (click 8.2+ raises it as a usage error): kept
_HELP_SHOWN: tuple[type[click.UsageError], ...] = tuple(
    kind
    for kind in (getattr(click.exceptions, "NoArgsIsHelpError", None),)
    if isinstance(kind, type) and issubclass(kind, click.UsageError)
)


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    click.echo(f"tradeguard: {message}", err=True)
    sys.exit(code)


def refused(exc: TradeguardError) -> NoReturn:
    """A refusal's line: exit 2 for a mistake in the command line or the profile (as click's
    usage errors and `doctor`), 1 for what failed once the profile was read (an exchange, a
    journal that cannot be reached)."""
    fail(str(exc), BAD_INPUT if isinstance(exc, ConfigError) else 1)


class _UsageLine(click.ClickException):
    """A usage error said in one line; click shows it and exits with `exit_code`."""

    exit_code = BAD_INPUT

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"tradeguard: {self.message}", err=True)


def usage_line(error: click.UsageError) -> str:
    """`run: missing argument 'BOT'; see `tradeguard run --help``: the command, click's message
    in the project's style (lower case, no full stop), and where the right usage is."""
    names = []
    ctx = error.ctx
    while ctx is not None and ctx.parent is not None:  # the root's name is the program's
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    path = " ".join(reversed(names))
    what = " ".join(error.format_message().split())
    what = what.replace(". (Did you mean", " (did you mean")
    if ". Did you mean " in what:  # click's one suggestion: "... '--histry'. Did you mean ...?"
        what = what.replace(". Did you mean ", " (did you mean ") + ")"
    what = what.removesuffix(".")
    if what[:2].istitle():
        what = what[0].lower() + what[1:]
    command = f"tradeguard {path}".rstrip()
    return f"{path + ': ' if path else ''}{what}; see `{command} --help`"


class OneLineUsageErrors(click.Group):
    """The root group: a usage error of any command under it (parsed here, or in a
    subcommand's context made while invoking) ends as one `tradeguard: ...` line, exit 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise _one_line(error) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _one_line(error) from None


def _one_line(error: click.UsageError) -> click.ClickException:
    return error if isinstance(error, _HELP_SHOWN) else _UsageLine(usage_line(error))
