"""The admins' operations, without Telegram: reposts and the numbers of /stats. The
bot's admin commands (``digestbot.bot.admin``) and the CLI (``digestbot repost``,
``digestbot stats``) both call these; none of them commits."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.clock import local_today
from digestbot.config import Settings
from digestbot.delivery.budget import stars
from digestbot.delivery.enqueue import enqueue_repost, subscription_targets
from digestbot.delivery.paid import paid_sent_on, utc_day
from digestbot.digest.merge import ARCHIVE, HUGGING_FACE
from digestbot.present.stats import IngestSummary, SourceLine, Stats
from digestbot.store.archive import day_papers, day_warnings, last_ingest_run, newest_day
from digestbot.store.models import Chat, Delivery, DeliveryState, Subscription
from digestbot.store.sources import mark_alerted, source_statuses
from digestbot.store.summaries import pending_summaries, usage_since

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
    language: str = settings.language
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


async def _counts(session: AsyncSession, stmt: Select[tuple[Any, int]]) -> dict[Any, int]:
    return {key: count for key, count in (await session.execute(stmt)).tuples()}


async def collect_stats(session: AsyncSession, settings: Settings, now: dt.datetime) -> Stats:
    zone = ZoneInfo(settings.timezone)
    today = local_today(zone, now)
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
    newest = await newest_day(session)
    paid_today = await paid_sent_on(session, utc_day(now))
    paid = None
    if settings.paid_broadcast or paid_today:
        paid = (paid_today, stars(paid_today), settings.paid_broadcast_daily_cap)
    llm = None
    if settings.llm_base_url:
        usage = await usage_since(session, midnight)
        llm = (usage.requests, usage.summaries, usage.prompt_tokens, usage.completion_tokens)
    return Stats(
        subscriptions_active=subs.get(True, 0),
        subscriptions_inactive=subs.get(False, 0),
        chats=sum(chats.values()),
        chats_deactivated=chats.get(False, 0),
        newest_day=newest,
        last_ingest=IngestSummary(run.day, run.status, run.papers, run.message, run.finished_at)
        if run
        else None,
        today=today,
        sent=states.get(DeliveryState.SENT, 0),
        pending=states.get(DeliveryState.PENDING, 0) + states.get(DeliveryState.SENDING, 0),
        failed=states.get(DeliveryState.FAILED, 0),
        newest_day_warnings=len(await day_warnings(session, newest)) if newest else 0,
        sources=tuple(
            SourceLine(r.name, r.last_success_at, r.newest_day, r.last_error, r.last_error_at)
            for r in await source_statuses(session)
        ),
        llm=llm,
        summaries_pending=await pending_summaries(session, newest) if newest else 0,
        paid=paid,
    )


def weekdays_between(older: dt.date, newer: dt.date) -> int:
    """Monday-to-Friday days after ``older`` up to and including ``newer``."""
    return sum(
        1
        for i in range(1, (newer - older).days + 1)
        if (older + dt.timedelta(days=i)).weekday() < 5
    )


def archive_silent(
    archive_newest: dt.date | None, hf_newest: dt.date | None, *, weekdays: int = 2
) -> bool:
    """The archive has published nothing for ``weekdays`` weekdays while Hugging Face had
    papers since: the admins should hear of it (once per archive day)."""
    if archive_newest is None or hf_newest is None:
        return False
    return weekdays_between(archive_newest, hf_newest) >= weekdays


async def archive_silence(session: AsyncSession) -> dt.date | None:
    """The archive's newest day when it has published nothing for two weekdays while
    Hugging Face had papers since, and the admins were not told yet (they are told once
    per archive day: the caller tells them, this marks it). None: nothing to tell."""
    statuses = {row.name: row for row in await source_statuses(session)}
    archive, hf = statuses.get(ARCHIVE), statuses.get(HUGGING_FACE)
    if archive is None or hf is None:
        return None
    if not archive_silent(archive.newest_day, hf.newest_day):
        return None
    if archive.alerted_day == archive.newest_day:
        return None
    await mark_alerted(session, ARCHIVE, archive.newest_day)
    return archive.newest_day
