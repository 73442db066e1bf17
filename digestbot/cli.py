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
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import DBAPIError

from digestbot.config import Settings, load_settings
from digestbot.digest.source import DigestSource, FolderSource
from digestbot.errors import BadArgument, ConfigError, DigestbotError
from digestbot.export import format_json, format_jsonl
from digestbot.ingest import IngestResult, ingest_day, ingest_file
from digestbot.logs import configure_logging
from digestbot.resources import Resources, open_resources
from digestbot.store.archive import export_papers

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
    except (DBAPIError, OSError) as exc:
        # the database is down or refused us: one line, not a traceback
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err.print(f"[red]database error:[/] {reason}", highlight=False)
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
            return [await ingest_day(res.sessions, res.source, day)]
        if dir_ is not None:
            if not dir_.is_dir():
                raise ConfigError("--dir", f"no such folder: {dir_}")
            folder = FolderSource(dir_)
            return await _ingest_many(res, folder, folder.days(), quiet)
        assert start is not None
        return await _ingest_many(res, res.source, _days(start, end), quiet)

    _report(with_resources(work, settings=settings))


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


# --------------------------------------------------------------------------- bot


LangOption = Annotated[
    str | None, typer.Option("--lang", help="ko or en (default: the configured language)")
]
PageOption = Annotated[int, typer.Option("--page", min=1, help="page number")]


def _answer(work: Callable[[Resources, str], Awaitable[str]], lang: str | None) -> None:
    """Print what the bot would answer, as plain text; a bad argument is one line."""
    from digestbot.bot.args import BadCommandArgument
    from digestbot.bot.terminal import argument_error_text

    settings = settings_or_exit()
    chosen = lang or settings.language
    if chosen not in ("ko", "en"):
        raise typer.BadParameter("use ko or en", param_hint="--lang")

    async def guarded(res: Resources) -> tuple[str, bool]:
        try:
            return await work(res, chosen), True
        except BadCommandArgument as exc:
            return argument_error_text(exc, chosen), False

    text, ok = with_resources(guarded, settings=settings)
    (out if ok else err).print(text, highlight=False)
    if not ok:
        raise typer.Exit(2)


@app.command()
def today(lang: LangOption = None) -> None:
    """Print the newest stored digest's top papers, as /today would."""
    from digestbot.bot.terminal import today_text

    _answer(today_text, lang)


@app.command()
def top(
    words: Annotated[
        list[str] | None, typer.Argument(help="[N] [YYYY-MM-DD | week | month]")
    ] = None,
    page: PageOption = 1,
    lang: LangOption = None,
) -> None:
    """Print the top-voted papers of a day or period, as /top would."""
    from digestbot.bot.terminal import top_text

    _answer(lambda res, chosen: top_text(res, words or [], chosen, page - 1), lang)


@app.command()
def search(
    words: Annotated[list[str], typer.Argument(help="words to search for")],
    page: PageOption = 1,
    lang: LangOption = None,
) -> None:
    """Print full-text search results, as /search would."""
    from digestbot.bot.terminal import search_text

    _answer(lambda res, chosen: search_text(res, words, chosen, page - 1), lang)


@app.command()
def paper(
    ref: Annotated[str, typer.Argument(help="an arXiv id, or a rank in the newest digest")],
    lang: LangOption = None,
) -> None:
    """Print one paper in full, as /paper would."""
    from digestbot.bot.terminal import paper_text

    _answer(lambda res, chosen: paper_text(res, [ref], chosen), lang)


@app.command()
def run() -> None:
    """Run the bot, the delivery engine and the scheduled jobs (long polling; a webhook
    when DIGESTBOT_WEBHOOK_URL is set). Without DIGESTBOT_TOKEN: explain how to get one and
    show the newest stored digest here (storing the bundled samples if the archive is empty)."""
    from digestbot.bot.app import run_bot
    from digestbot.bot.terminal import GETTING_STARTED, ensure_samples, today_text

    settings = settings_or_exit()
    if settings.token is None:
        out.print(GETTING_STARTED, highlight=False)

        async def preview(res: Resources) -> str:
            stored = await ensure_samples(res)
            note = f"(The archive was empty: stored {stored} bundled sample digests.)\n\n"
            return (note if stored else "") + await today_text(res, settings.language)

        out.print("\n" + with_resources(preview, settings=settings), highlight=False)
        return
    try:
        run_bot(settings)
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


@app.command()
def deliver(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="send what is pending, then exit")
    ] = False,
    instance: Annotated[
        str | None,
        typer.Option(help="name in the outbox (default host-pid); the same name resumes at once"),
    ] = None,
) -> None:
    """Send what the outbox holds (pushes, reposts, broadcasts) at Telegram's limits;
    without --until-idle, keep polling until interrupted."""
    from digestbot.delivery.engine import run_delivery

    stats = with_resources(
        lambda res: run_delivery(
            res.settings, res.sessions, until_idle=until_idle, instance=instance
        )
    )
    out.print(
        f"sent {stats.deliveries_sent} deliveries ({stats.messages_sent} messages); "
        f"{stats.failed} failed; {stats.rescheduled} rescheduled; {stats.flood_waits} flood waits; "
        f"{stats.uncertain} uncertain",
        highlight=False,
    )


@app.command()
def repost(
    date: DateOption = None,
    chat: Annotated[
        str | None, typer.Option(help="one chat: an id (-100123…) or a @channel")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="every active subscription")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask before --all")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Re-send a day's digest (default: the newest) to one chat or to every subscriber,
    then send the outbox until it is idle, as /repost does."""
    from digestbot import admin_ops

    if (chat is None) == (not all_):
        raise typer.BadParameter("give --chat ID or --all (one of them)")
    try:
        target = admin_ops.parse_target(chat) if chat is not None else admin_ops.ALL
    except BadArgument as exc:
        raise typer.BadParameter(f"--chat {chat!r}: use a chat id (-100123…) or @channel") from exc
    day = parse_date(date)
    settings = settings_or_exit()
    try:
        settings.require_token()
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    sent, failed, queued = with_resources(
        lambda res: _repost(res, day, target, yes, quiet), settings=settings
    )
    out.print(f"queued {queued}; sent {sent}; failed {failed}", highlight=False)
    if failed:
        raise typer.Exit(1)


async def _repost(
    res: Resources, day: dt.date | None, target: int | str, yes: bool, quiet: bool
) -> tuple[int, int, int]:
    from telegram.error import TelegramError

    from digestbot import admin_ops
    from digestbot.delivery.engine import DeliveryEngine, make_bot
    from digestbot.delivery.enqueue import new_request_id

    log = logging.getLogger("digestbot.cli")
    async with make_bot(res.settings) as bot:
        chat_id: int | None = None
        if isinstance(target, int):
            chat_id = target
        elif target != admin_ops.ALL:
            try:
                chat_id = (await bot.get_chat(target)).id
            except TelegramError as exc:
                raise ConfigError("--chat", f"cannot find {target}: {exc}") from None
        async with res.sessions() as session:
            chosen, papers = await admin_ops.repost_day(session, day)
            subscriptions = await admin_ops.count_subscriptions(session)
        if chosen is None or not papers:
            raise ConfigError("--date", f"no digest stored for {chosen or day or 'any day'}")
        if chat_id is None and not yes:
            question = f"Re-send the digest of {chosen} to all {subscriptions} subscriptions?"
            if not await asyncio.to_thread(typer.confirm, question):
                raise typer.Abort()
        request_id = new_request_id()
        async with res.sessions.begin() as session:
            queued = await admin_ops.queue_repost(
                session, res.settings, chosen, request_id, chat_id=chat_id
            )
        log.info(
            "cli: repost %s to %s: %d queued (%s)", chosen, chat_id or "all", queued, request_id
        )
        engine = DeliveryEngine(bot, res.sessions, res.settings)
        with Progress(
            TextColumn(f"[bold]repost[/] {chosen}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=quiet,
        ) as progress:
            task = progress.add_task("repost", total=queued)
            running = asyncio.create_task(engine.run_until_idle())
            while not running.done():
                await asyncio.wait({running}, timeout=0.2)
                done = engine.stats.deliveries_sent + engine.stats.failed
                progress.update(task, completed=min(done, queued))
            stats = running.result()
    return stats.deliveries_sent, stats.failed, queued


@app.command()
def stats() -> None:
    """Print subscribers, the last ingest and today's deliveries, as /stats does."""
    from zoneinfo import ZoneInfo

    from digestbot import admin_ops
    from digestbot.bot.render import html_to_text

    async def work(res: Resources) -> str:
        async with res.sessions() as session:
            found = await admin_ops.collect_stats(session, res.settings, dt.datetime.now(dt.UTC))
        zone = ZoneInfo(res.settings.timezone)
        return html_to_text(admin_ops.render_stats(found, res.settings.language, zone))

    out.print(with_resources(work), highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
