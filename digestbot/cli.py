"""The ``digestbot`` command: the one place where settings, database, source and bot
are wired together."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from digestbot.config import Settings, load_settings
from digestbot.digest.source import DigestSource, FolderSource
from digestbot.errors import ConfigError, DigestbotError
from digestbot.export import format_json, format_jsonl
from digestbot.ingest import IngestResult, ingest_day, ingest_file
from digestbot.resources import Resources, open_resources
from digestbot.store.archive import export_papers

T = TypeVar("T")

app = typer.Typer(
    help="digestbot: the Korean Hugging Face Daily Papers digest, in Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class ExportFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2025-05-09"
        ) from None


DateOption = Annotated[str | None, typer.Option(help="a day, YYYY-MM-DD", metavar="YYYY-MM-DD")]


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    configure_logging(settings)
    return settings


def with_resources(
    work: Callable[[Resources], Awaitable[T]], *, settings: Settings | None = None
) -> T:
    settings = settings or settings_or_exit()

    async def main() -> T:
        async with open_resources(settings) as res:
            return await work(res)

    try:
        return asyncio.run(main())
    except DigestbotError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""

    async def work(res: Resources) -> None:
        return None  # open_resources migrates

    with_resources(work)
    out.print("database is up to date")


# --------------------------------------------------------------------------- ingest


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _report(results: list[IngestResult]) -> None:
    stored = [r for r in results if r.status == "stored"]
    missing = [r for r in results if r.status == "missing"]
    failed = [r for r in results if r.status == "failed"]
    papers = sum(r.papers for r in stored)
    out.print(
        f"stored {len(stored)} day(s), {papers} paper(s); "
        f"{len(missing)} day(s) without a digest; {len(failed)} failed",
        highlight=False,
    )
    for r in failed:
        err.print(f"[red]failed[/] {r.day if r.day != dt.date.min else ''} {r.message}")
    if failed:
        raise typer.Exit(1)


@app.command()
def ingest(
    date: DateOption = None,
    from_: Annotated[str | None, typer.Option("--from", help="first day of a range")] = None,
    to: Annotated[str | None, typer.Option(help="last day of a range (default: today)")] = None,
    file: Annotated[Path | None, typer.Option(help="one digest file")] = None,
    dir_: Annotated[
        Path | None, typer.Option("--dir", help="an archive folder in the upstream layout")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Fetch and store digests: one day, a range, a file or a whole folder.

    Days without a digest are counted, not fatal; a bad day does not stop a range, it is
    reported at the end and the exit status is 1.
    """
    chosen = sum(x is not None for x in (date, from_, file, dir_))
    if chosen != 1:
        raise typer.BadParameter("give exactly one of --date, --from/--to, --file, --dir")
    day = parse_date(date)
    start = parse_date(from_)
    end = parse_date(to) or dt.date.today()
    if start is not None and start > end:
        raise typer.BadParameter(f"--from {start} is after --to {end}")
    if to is not None and start is None:
        raise typer.BadParameter("--to needs --from")

    async def work(res: Resources) -> list[IngestResult]:
        if file is not None:
            return [await ingest_file(res.sessions, file)]
        if day is not None:
            return [await ingest_day(res.sessions, res.source, day)]
        if dir_ is not None:
            if not dir_.is_dir():
                raise ConfigError("--dir", f"no such folder: {dir_}")
            folder = FolderSource(dir_)
            return await _ingest_many(res, folder, folder.days(), quiet)
        assert start is not None
        return await _ingest_many(res, res.source, _days(start, end), quiet)

    _report(with_resources(work))


async def _ingest_many(
    res: Resources, source: DigestSource, days: list[dt.date], quiet: bool
) -> list[IngestResult]:
    results: list[IngestResult] = []
    with Progress(
        TextColumn("[bold]ingest[/] {task.fields[day]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task("ingest", total=len(days), day="")
        for day in days:
            progress.update(task, day=day.isoformat())
            results.append(await ingest_day(res.sessions, source, day))
            progress.advance(task)
    return results


# --------------------------------------------------------------------------- export


@app.command()
def export(
    date: DateOption = None,
    from_: Annotated[str | None, typer.Option("--from", help="first day")] = None,
    to: Annotated[str | None, typer.Option(help="last day")] = None,
    format_: Annotated[ExportFormat, typer.Option("--format", help="json or jsonl")] = (
        ExportFormat.json
    ),
) -> None:
    """Print what is stored (a backup and a way to inspect the archive)."""
    day = parse_date(date)
    if day is not None and (from_ or to):
        raise typer.BadParameter("give --date or --from/--to, not both")
    start = day or parse_date(from_)
    end = day or parse_date(to)

    async def work(res: Resources) -> None:
        async with res.sessions() as session:
            papers = await export_papers(session, start, end)
        if format_ is ExportFormat.json:
            sys.stdout.write(format_json(papers) + "\n")
        else:
            for line in format_jsonl(papers):
                sys.stdout.write(line + "\n")

    with_resources(work)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
