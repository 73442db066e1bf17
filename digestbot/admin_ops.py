"""The admins' operations, without Telegram: the numbers of /stats, reposts, argument
parsing. The bot's admin commands (``digestbot.bot.admin``) and the CLI (``digestbot
repost``, ``digestbot stats``) both call these; none of them commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.bot.args import BadCommandArgument, parse_date, reject_date_in_digits, shown
from digestbot.bot.i18n import t
from digestbot.bot.render import esc
from digestbot.config import Settings
from digestbot.delivery.enqueue import enqueue_repost, subscription_targets
from digestbot.store.archive import day_papers, last_ingest_run, newest_day
from digestbot.store.models import Chat, Delivery, Subscription

ALL: Final = "all"
REPOST_EXAMPLE = "/repost 2025-05-09 all"


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True, slots=True)
class RepostRequest:
    """``/repost [date] [chat id | @channel | all]``: ``day`` None = the newest stored day,
    ``target`` None = the chat the command was sent in."""

    day: dt.date | None = None
    target: int | str | None = None


def parse_target(value: str) -> int | str:
    """A chat id (``-100123``), a ``@username`` or ``all``."""
    word = value.strip()
    if word.lower() == ALL:
        return ALL
    if word.lstrip("-").isdigit() and len(word) < 20:
        return int(word)
    if word.startswith("@") and len(word) > 1 and word[1:].replace("_", "").isalnum():
        return word
    raise BadCommandArgument("arg.bad_chat", REPOST_EXAMPLE, value=shown(word))


def parse_repost(args: Sequence[str]) -> RepostRequest:
    """A date is ``YYYY-MM-DD``. Eight digits that make a date (``20250509``) are refused
    with a hint rather than read as a chat id, unless the date was already given (then
    they can only be the chat)."""
    day: dt.date | None = None
    target: int | str | None = None
    for arg in args:
        if arg[:1].isdigit() and "-" in arg[1:] and day is None:
            day = parse_date(arg, REPOST_EXAMPLE, "arg.bad_day")
        elif target is None:
            if day is None:
                reject_date_in_digits(arg, "/repost 2025-05-09")
            target = parse_target(arg)
        else:
            raise BadCommandArgument("arg.too_many", REPOST_EXAMPLE, value=shown(arg))
    return RepostRequest(day, target)


def parse_ingest(args: Sequence[str], today: dt.date) -> dt.date:
    if not args:
        return today
    if len(args) > 1:
        raise BadCommandArgument("arg.too_many", "/ingest 2025-05-09", value=shown(args[1]))
    return parse_date(args[0], "/ingest 2025-05-09", "arg.bad_day")


def local_today(settings: Settings, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(settings.timezone)).date()


# --------------------------------------------------------------------------- reposts


async def repost_day(session: AsyncSession, day: dt.date | None) -> tuple[dt.date | None, int]:
    """The day a repost sends (the newest stored one when None) and its paper count."""
    chosen = day or await newest_day(session)
    if chosen is None:
        return None, 0
    return chosen, (await day_papers(session, chosen, limit=1)).total


async def count_subscriptions(session: AsyncSession) -> int:
    return len(await subscription_targets(session))


async def queue_repost(
    session: AsyncSession,
    settings: Settings,
    day: dt.date,
    request_id: str,
    *,
    chat_id: int | None = None,
    thread_id: int = 0,
) -> int:
    """Queue ``day`` for every active subscription (``chat_id`` None) or for one chat
    (its subscriptions; a chat without one gets the default cut in its language)."""
    language = settings.language
    if chat_id is not None:
        chat = await session.get(Chat, chat_id)
        if chat is not None:
            language = chat.language
    return await enqueue_repost(
        session,
        day,
        request_id,
        chat_id=chat_id,
        thread_id=thread_id,
        top_n=settings.top_n,
        language=language,
    )


# --------------------------------------------------------------------------- stats


@dataclass(frozen=True, slots=True)
class IngestSummary:
    day: dt.date
    status: str
    papers: int
    message: str
    finished_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Stats:
    subscriptions_active: int  # active subscriptions of reachable chats
    subscriptions_inactive: int  # stopped, or their chat blocked the bot
    chats: int
    chats_deactivated: int
    newest_day: dt.date | None
    last_ingest: IngestSummary | None
    today: dt.date  # in settings.timezone
    sent: int  # deliveries created today, by state
    pending: int  # pending or being sent
    failed: int


async def _counts(session: AsyncSession, stmt: Select[tuple[Any, int]]) -> dict[Any, int]:
    return {key: count for key, count in (await session.execute(stmt)).tuples()}


async def collect_stats(session: AsyncSession, settings: Settings, now: dt.datetime) -> Stats:
    zone = ZoneInfo(settings.timezone)
    today = now.astimezone(zone).date()
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    reachable = Subscription.active.is_(True) & Chat.active.is_(True)
    subs = await _counts(
        session,
        select(reachable, func.count())
        .select_from(Subscription)
        .join(Chat, Chat.id == Subscription.chat_id)
        .group_by(reachable),
    )
    chats = await _counts(session, select(Chat.active, func.count()).group_by(Chat.active))
    states = await _counts(
        session,
        select(Delivery.state, func.count())
        .where(Delivery.created_at >= midnight)
        .group_by(Delivery.state),
    )
    run = await last_ingest_run(session)
    return Stats(
        subscriptions_active=subs.get(True, 0),
        subscriptions_inactive=subs.get(False, 0),
        chats=sum(chats.values()),
        chats_deactivated=chats.get(False, 0),
        newest_day=await newest_day(session),
        last_ingest=IngestSummary(run.day, run.status, run.papers, run.message, run.finished_at)
        if run
        else None,
        today=today,
        sent=states.get("sent", 0),
        pending=states.get("pending", 0) + states.get("sending", 0),
        failed=states.get("failed", 0),
    )


def render_stats(stats: Stats, lang: str, zone: ZoneInfo) -> str:
    """/stats as Telegram HTML (``render.html_to_text`` makes the CLI's plain text)."""
    none = t(lang, "admin.stats.none")
    run = stats.last_ingest
    if run is None:
        ingest = none
    else:
        finished = run.finished_at
        if finished.tzinfo is None:  # SQLite hands back naive UTC
            finished = finished.replace(tzinfo=dt.UTC)
        ingest = t(
            lang,
            "admin.stats.ingest",
            day=run.day.isoformat(),
            status=t(lang, f"admin.status.{run.status}"),
            papers=run.papers,
            at=finished.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
        if run.message and run.status != "stored":
            ingest += f"\n    {esc(run.message[:300])}"
    return t(
        lang,
        "admin.stats",
        active=stats.subscriptions_active,
        inactive=stats.subscriptions_inactive,
        chats=stats.chats,
        deactivated=stats.chats_deactivated,
        newest=stats.newest_day.isoformat() if stats.newest_day else none,
        ingest=ingest,
        today=stats.today.isoformat(),
        sent=stats.sent,
        pending=stats.pending,
        failed=stats.failed,
    )
