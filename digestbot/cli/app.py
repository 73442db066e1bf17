"""The ``digestbot`` command's Typer app and what every subcommand shares: settings read
once with one-line errors, resources opened for the command, dates, the progress bar.
The subcommands live beside it, by concern (``archive``, ``answers``, ``ops``)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import DBAPIError

from digestbot.config import Settings, load_settings
from digestbot.errors import ConfigError, DigestbotError
from digestbot.logs import configure_logging
from digestbot.services.resources import Resources, open_resources

T = TypeVar("T")

app = typer.Typer(
    help="digestbot: the Korean Hugging Face Daily Papers digest, in Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DateOption = Annotated[str | None, typer.Option(help="a day, YYYY-MM-DD", metavar="YYYY-MM-DD")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2025-05-09"
        ) from None


def config_error_exit(exc: ConfigError) -> typer.Exit:
    """Print a configuration error as one line; the exit to raise (status 2)."""
    err.print(f"[red]configuration error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(2)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise config_error_exit(exc) from None
    configure_logging(settings)
    return settings


def with_resources(
    work: Callable[[Resources], Awaitable[T]], *, settings: Settings | None = None
) -> T:
    """Open the resources (migrating the database first), run ``work``, close them; our
    own errors and database errors become one line and exit status 2."""
    settings = settings or settings_or_exit()

    async def main() -> T:
        async with open_resources(settings) as res:
            return await work(res)

    try:
        return asyncio.run(main())
    except DigestbotError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    except (DBAPIError, OSError) as exc:
        # the database is down or refused us: one line, not a traceback
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err.print(f"[red]database error:[/] {escape(reason)}", highlight=False)
        raise typer.Exit(2) from None


def progress_bar(label: str, *, quiet: bool) -> Progress:
    """The one progress bar of long commands (on stderr; ``label`` may use the task's
    ``{task.fields[…]}``)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )


def main() -> None:
    app()
