"""``digestbot run``, ``deliver``, ``repost`` and ``stats``: running the bot and its
delivery workers, and the admins' tools from the terminal."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import TelegramError

from digestbot.bot.app import run_bot
from digestbot.cli.answers import today_text
from digestbot.cli.app import (
    DateOption,
    QuietOption,
    app,
    config_error_exit,
    out,
    parse_date,
    progress_bar,
    settings_or_exit,
    with_resources,
)
from digestbot.clock import utcnow
from digestbot.config import Settings
from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import DeliveryEngine, EngineStats
from digestbot.delivery.enqueue import new_request_id
from digestbot.errors import BadArgument, ConfigError
from digestbot.packaged import sample_digests
from digestbot.present import args
from digestbot.present.plain import html_to_text
from digestbot.present.stats import render_stats
from digestbot.services import admin as admin_ops
from digestbot.services.health import ProcessState
from digestbot.services.ingest import ensure_samples
from digestbot.services.monitor import serving
from digestbot.services.resources import Resources

log = logging.getLogger(__name__)

GETTING_STARTED = (
    "No bot token is set, so the bot is not started. To run it in Telegram, open "
    "@BotFather in Telegram, send /newbot, and put the token it gives you in the "
    "environment: DIGESTBOT_TOKEN=123456:ABC... digestbot run. "
    "Meanwhile, here is what the bot would answer to /today:"
)


@app.command()
def run() -> None:
    """Run the bot, the delivery engine and the scheduled jobs (long polling; a webhook
    when DIGESTBOT_WEBHOOK_URL is set). Without DIGESTBOT_TOKEN: explain how to get one and
    show the newest stored digest here (storing the bundled samples if the archive is empty)."""
    settings = settings_or_exit()
    if settings.token is None:
        out.print(GETTING_STARTED, highlight=False)

        async def preview(res: Resources) -> str:
            stored = await ensure_samples(res.sessions, sample_digests())
            note = f"(The archive was empty: stored {stored} bundled sample digests.)\n\n"
            return (note if stored else "") + await today_text(res, settings.language)

        out.print("\n" + with_resources(preview, settings=settings), highlight=False)
        return
    try:
        run_bot(settings)
    except ConfigError as exc:
        raise config_error_exit(exc) from None


async def run_delivery(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    until_idle: bool,
    instance: str | None = None,
) -> EngineStats:
    """``digestbot deliver``: send the outbox with a bot of its own, until idle or until
    SIGINT/SIGTERM (claims still held then go back to the outbox). A token the server
    rejects raises ``ConfigError`` (DIGESTBOT_TOKEN), without the token in it."""
    bot = make_bot(settings)
    async with bot:
        engine = DeliveryEngine(bot, sessions, settings, instance=instance)
        # /healthz and /metrics when DIGESTBOT_METRICS_PORT is set
        async with serving(settings, sessions, lambda: ProcessState("deliver", engine.stats)):
            if until_idle:
                return await engine.run_until_idle()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            try:
                await engine.run(stop)
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            return engine.stats


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
    quiet: QuietOption = False,
) -> None:
    """Re-send a day's digest (default: the newest) to one chat or to every subscriber,
    then send the outbox until it is idle, as /repost does."""
    if (chat is None) == (not all_):
        raise typer.BadParameter("give --chat ID or --all (one of them)")
    try:
        target = args.parse_target(chat) if chat is not None else args.ALL
    except BadArgument as exc:
        raise typer.BadParameter(f"--chat {chat!r}: use a chat id (-100123…) or @channel") from exc
    day = parse_date(date)
    settings = settings_or_exit()
    try:
        settings.require_token()
    except ConfigError as exc:
        raise config_error_exit(exc) from None
    sent, failed, queued = with_resources(
        lambda res: _repost(res, day, target, yes, quiet), settings=settings
    )
    out.print(f"queued {queued}; sent {sent}; failed {failed}", highlight=False)
    if failed:
        raise typer.Exit(1)


async def _repost(
    res: Resources, day: dt.date | None, target: int | str, yes: bool, quiet: bool
) -> tuple[int, int, int]:
    async with make_bot(res.settings) as bot:
        chat_id: int | None = None
        if isinstance(target, int):
            chat_id = target
        elif target != args.ALL:
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
        with progress_bar(f"[bold]repost[/] {chosen}", quiet=quiet) as progress:
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

    async def work(res: Resources) -> str:
        async with res.sessions() as session:
            found = await admin_ops.collect_stats(session, res.settings, utcnow())
        zone = ZoneInfo(res.settings.timezone)
        return html_to_text(render_stats(found, res.settings.language, zone))

    out.print(with_resources(work), highlight=False)
