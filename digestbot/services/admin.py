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
from digestbot.delivery.enqueue import enqueue_repost, subscription_targets
from digestbot.present.stats import IngestSummary, Stats
from digestbot.store.archive import day_papers, last_ingest_run, newest_day
from digestbot.store.models import Chat, Delivery, DeliveryState, Subscription

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
        sent=states.get(DeliveryState.SENT, 0),
        pending=states.get(DeliveryState.PENDING, 0) + states.get(DeliveryState.SENDING, 0),
        failed=states.get(DeliveryState.FAILED, 0),
    )
