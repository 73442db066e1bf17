"""``digestbot db upgrade`` and ``db prune``, ``ingest`` and ``export``: the archive's
commands."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from digestbot.cli.app import (
    DateOption,
    QuietOption,
    app,
    db_app,
    err,
    out,
    parse_date,
    progress_bar,
    settings_or_exit,
    with_resources,
)
from digestbot.clock import utcnow
from digestbot.delivery.retention import Pruned
from digestbot.digest.sources import FolderSource
from digestbot.errors import ConfigError
from digestbot.present.export import format_json, format_jsonl
from digestbot.schedule.jobs import prune_finished
from digestbot.services.ingest import IngestResult, Sources, ingest_day, ingest_file
from digestbot.services.resources import Resources
from digestbot.store.archive import export_papers
from digestbot.store.models import IngestStatus


class ExportFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""

    async def work(res: Resources) -> None:
        return None  # open_resources migrates

    with_resources(work)
    out.print("database is up to date")


@db_app.command("prune")
def db_prune(
    days: Annotated[
        int | None,
        typer.Option(
            min=1, help="keep this many days (default: DIGESTBOT_DELIVERY_RETENTION_DAYS)"
        ),
    ] = None,
) -> None:
    """Delete sent and failed deliveries (and stored renders nobody uses) older than the
    retention; never those of the catch-up window plus two days."""

    async def work(res: Resources) -> tuple[dt.datetime, Pruned] | None:
        return await prune_finished(res.sessions, res.settings, utcnow(), days=days)

    done = with_resources(work)
    if done is None:
        out.print("retention is off (DIGESTBOT_DELIVERY_RETENTION_DAYS=0): nothing deleted")
        return
    cutoff, pruned = done
    out.print(pruned.summary(cutoff))


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# warnings listed at the end of an ingest; the rest are counted (ingest_runs keeps all)
WARNINGS_SHOWN = 50


def summary_line(results: list[IngestResult]) -> str:
    """The one line an ingest ends with: days, papers, warnings, summaries."""
    stored = [r for r in results if r.status is IngestStatus.STORED]
    missing = sum(r.status is IngestStatus.MISSING for r in results)
    failed = sum(r.status is IngestStatus.FAILED for r in results)
    papers = sum(r.papers for r in stored)
    warnings = sum(len(r.warnings) for r in results)
    line = (
        f"stored {len(stored)} day(s), {papers} paper(s); "
        f"{missing} day(s) without a digest; {failed} failed; {warnings} warning(s)"
    )
    reports = [r.summaries for r in results if r.summaries is not None]
    if reports:
        line += (
            f"; summaries: {sum(x.written for x in reports)} written, "
            f"{sum(x.failed for x in reports)} failed, {sum(x.pending for x in reports)} pending "
            f"({sum(x.prompt_tokens + x.completion_tokens for x in reports):,} tokens)"
        )
    return line


def _report(results: list[IngestResult]) -> None:
    out.print(summary_line(results), highlight=False)
    warnings = [w for r in results for w in r.warnings]
    for warning in warnings[:WARNINGS_SHOWN]:
        err.print(f"[yellow]warning[/] {escape(warning)}", highlight=False)
    if len(warnings) > WARNINGS_SHOWN:
        err.print(f"[yellow]… and {len(warnings) - WARNINGS_SHOWN} more warning(s)[/]")
    for r in results:
        if r.status is IngestStatus.STORED:
            for problem in r.problems:
                err.print(f"[yellow]source failed[/] {r.day} {escape(problem)}", highlight=False)
        if r.status is IngestStatus.FAILED:
            err.print(f"[red]failed[/] {r.day or ''} {escape(r.message)}", highlight=False)
    if any(r.status is IngestStatus.FAILED for r in results):
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
    quiet: QuietOption = False,
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
    settings = settings_or_exit()
    end = parse_date(to) or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    if start is not None and start > end:
        raise typer.BadParameter(f"--from {start} is after --to {end}")
    if to is not None and start is None:
        raise typer.BadParameter("--to needs --from")

    async def work(res: Resources) -> list[IngestResult]:
        if file is not None:
            return [await ingest_file(res.sessions, file)]
        if day is not None:
            return [await ingest_day(res.sessions, res.sources, day)]
        if dir_ is not None:
            if not dir_.is_dir():
                raise ConfigError("--dir", f"no such folder: {dir_}")
            folder = FolderSource(dir_)  # archive-only
            return await _ingest_many(res, Sources(folder), folder.days(), quiet)
        assert start is not None
        return await _ingest_many(res, res.sources, _days(start, end), quiet)

    _report(with_resources(work, settings=settings))


async def _ingest_many(
    res: Resources, sources: Sources, days: list[dt.date], quiet: bool
) -> list[IngestResult]:
    results: list[IngestResult] = []
    with progress_bar("[bold]ingest[/] {task.fields[day]}", quiet=quiet) as progress:
        task = progress.add_task("ingest", total=len(days), day="")
        for day in days:
            progress.update(task, day=day.isoformat())
            results.append(await ingest_day(res.sessions, sources, day))
            progress.advance(task)
    return results


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
