"""The scheduled work, without Telegram: the morning push tick and the day's ingest.

Both run inside ``digestbot run`` (``digestbot.bot.runtime`` puts them on
python-telegram-bot's JobQueue) on the one instance that holds the scheduler lock
(``digestbot.schedule.leader``); every instance runs a delivery engine.

* **Ingest.** From ``ingest_time`` until ``ingest_cutoff`` (in ``settings.timezone``) the
  day's digest ("today" in that zone) is fetched once at ``ingest_time`` and again every
  ``ingest_retry_minutes`` until it is stored. A stored day is never fetched again by the
  scheduler, and attempts never overlap (one lock per process, ``max_instances=1``).
* **Push.** Every minute a tick looks for the subscriptions whose push time (their own
  HH:MM in their own time zone) passed within the catch-up window, and queues for each
  the newest stored digest not older than ``DIGEST_MAX_AGE_DAYS`` before their local
  date. The outbox's dedupe key ``push:{day}:{chat}:{thread}`` makes a second queueing a
  no-op, so a digest reaches a chat once however often ticks run, overlap, or the
  process restarts; a bot that was down catches up on its first tick, and a digest that
  appears after the push time (the ingest kept retrying) goes out on the next tick, as
  long as the push time is still within the window. A subscription "only papers I
  follow" is queued under ``follow:{day}:{chat}:{thread}`` instead, and only on a day
  with a match (``digestbot.delivery.enqueue``).
* **Weekly.** A weekly (or "both") subscription is due at its push time on Monday, its
  own local date: the previous Monday–Sunday's top N by votes, under
  ``weekly:{monday}:{chat}:{thread}``, with the same catch-up window.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.clock import parse_hhmm, zone_or
from digestbot.config import Settings
from digestbot.delivery.enqueue import (
    Target,
    enqueue_digest,
    enqueue_push,
    enqueue_weekly,
    follow_key,
    push_key,
    weekly_key,
)
from digestbot.delivery.outbox import existing_keys
from digestbot.schedule.rules import (
    DIGEST_MAX_AGE_DAYS,
    catchup_window,
    day_incomplete,
    digest_day_for,
    ingest_day_due,
    push_date_due,
)
from digestbot.services.ingest import IngestResult, Sources, ingest_day
from digestbot.store.archive import stored_days
from digestbot.store.models import Cadence, Chat, DeliveryKind, DigestDay, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Due:
    subscription_id: int | None  # None: a channel from settings.channels
    chat_id: int
    thread_id: int
    push_date: dt.date
    follows_only: bool = False

    def key(self, day: dt.date) -> str:
        return (follow_key if self.follows_only else push_key)(day, self.chat_id, self.thread_id)


DAILY = (Cadence.DAILY, Cadence.BOTH)
WEEKLY = (Cadence.WEEKLY, Cadence.BOTH)


async def push_tick(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: dt.datetime,
    *,
    channels: Sequence[int] = (),
    refresh: Callable[[dt.date], Awaitable[object]] | None = None,
) -> int:
    """Queue the morning push for every subscription (and configured channel) due at
    ``now``; returns how many deliveries were queued. Idempotent: run it as often as
    you like, from as many instances as you like. ``refresh(day)`` runs before a day is
    queued (its votes are read again when they are old: the morning's ranking)."""
    by_day, by_week = await _due_by_day(sessions, settings, now, channels)
    if not by_day and not by_week:
        return 0
    if refresh is not None:
        for day in sorted(by_day):
            await refresh(day)
    queued = 0
    # ``by_day`` holds only what was not queued yet; one queued meanwhile (another
    # instance) is skipped by the outbox's dedupe key
    async with sessions.begin() as session:
        for day, todo in sorted(by_day.items()):
            sub_ids = [d.subscription_id for d in todo if d.subscription_id is not None]
            if sub_ids:  # any number: enqueue_push asks for them in chunks
                queued += await enqueue_push(session, day, subscription_ids=sub_ids)
            targets = [
                Target(d.chat_id, 0, settings.top_n, (), settings.language)
                for d in todo
                if d.subscription_id is None
            ]
            if targets:
                queued += await enqueue_digest(
                    session,
                    day,
                    targets,
                    kind=DeliveryKind.PUSH,
                    key=_push_keys(day),
                )
        for monday, todo in sorted(by_week.items()):
            sub_ids = [d.subscription_id for d in todo if d.subscription_id is not None]
            queued += await enqueue_weekly(session, monday, subscription_ids=sub_ids)
    if queued:
        log.info("push: queued %d deliveries", queued)
    return queued


async def _due_by_day(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: dt.datetime,
    channels: Sequence[int],
) -> tuple[dict[dt.date, list[_Due]], dict[dt.date, list[_Due]]]:
    """The pushes due at ``now`` that are not queued yet, by the digest day they send,
    and the weekly digests due, by the Monday their week starts."""
    window = catchup_window(settings)
    default_zone = ZoneInfo(settings.timezone)
    due: list[_Due] = []
    weekly: dict[dt.date, list[_Due]] = defaultdict(list)
    async with sessions() as session:
        rows = await session.execute(
            select(
                Subscription.id,
                Subscription.chat_id,
                Subscription.thread_id,
                Subscription.push_time,
                Subscription.timezone,
                Subscription.cadence,
                Subscription.follows_only,
            )
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Subscription.active.is_(True), Chat.active.is_(True))
        )
        zones: dict[str, ZoneInfo] = {}
        for sub_id, chat_id, thread_id, push_time, zone_name, cadence, only in rows.tuples():
            zone = zones.get(zone_name) or zones.setdefault(
                zone_name, zone_or(zone_name, default_zone)
            )
            day = push_date_due(parse_hhmm(push_time), zone, now, window)
            if day is None:
                continue
            if cadence in DAILY:
                due.append(_Due(sub_id, chat_id, thread_id, day, bool(only)))
            if cadence in WEEKLY and day.weekday() == 0:  # Monday, in the subscriber's zone
                monday = day - dt.timedelta(days=7)
                weekly[monday].append(_Due(sub_id, chat_id, thread_id, day))
        channel_day = push_date_due(parse_hhmm(settings.push_time), default_zone, now, window)
        if channel_day is not None:
            due += [_Due(None, chat_id, 0, channel_day) for chat_id in dict.fromkeys(channels)]
        week_keys = {
            weekly_key(monday, d.chat_id, d.thread_id) for monday, ds in weekly.items() for d in ds
        }
        weeks_done = await existing_keys(session, week_keys)
        by_week = {
            monday: [d for d in ds if weekly_key(monday, d.chat_id, d.thread_id) not in weeks_done]
            for monday, ds in weekly.items()
        }
        by_week = {monday: ds for monday, ds in by_week.items() if ds}
        if not due:
            return {}, by_week
        oldest = min(d.push_date for d in due) - dt.timedelta(days=DIGEST_MAX_AGE_DAYS)
        days = await stored_days(session, start=oldest)
        by_day: dict[dt.date, list[_Due]] = defaultdict(list)
        for d in due:
            day = digest_day_for(d.push_date, days)
            if day is not None:
                by_day[day].append(d)
        keys = {d.key(day) for day, ds in by_day.items() for d in ds}
        done = await existing_keys(session, keys)
    waiting = {day: [d for d in items if d.key(day) not in done] for day, items in by_day.items()}
    return {day: items for day, items in waiting.items() if items}, by_week


def _push_keys(day: dt.date) -> Callable[[Target], str]:
    return lambda target: push_key(day, target.chat_id, target.thread_id)


class DailyIngest:
    """The day's ingest: one attempt at a time, never a stored day again."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sources: Sources,
        settings: Settings,
    ) -> None:
        self.sessions = sessions
        self.sources = sources
        self.zone = ZoneInfo(settings.timezone)
        self.start = parse_hhmm(settings.ingest_time)
        self.cutoff = parse_hhmm(settings.ingest_cutoff)
        self.retry = dt.timedelta(minutes=settings.ingest_retry_minutes)
        self.lock = asyncio.Lock()
        self.attempts = 0
        self._last: tuple[dt.date, dt.datetime] | None = None

    async def attempt(self, now: dt.datetime) -> IngestResult | None:
        """Fetch the day due at ``now`` unless it is stored, was tried less than half a
        retry interval ago, or another attempt is running. None: nothing was fetched.

        With Hugging Face configured, the day before is fetched once more after it is
        over (in UTC, Hugging Face's day) when it was stored earlier: a list read during
        the day misses the papers added later."""
        day = ingest_day_due(now, self.zone, self.start, self.cutoff)
        if day is None or self.lock.locked():
            return None
        async with self.lock:
            async with self.sessions() as session:
                if self.sources.hf is not None:
                    before = day - dt.timedelta(days=1)
                    stored = await session.get(DigestDay, before)
                    if stored is not None and day_incomplete(stored.votes_at, before, now):
                        self.attempts += 1
                        return await ingest_day(self.sessions, self.sources, before)
                if await session.get(DigestDay, day) is not None:
                    return None
            if self._last is not None:
                last_day, last_at = self._last
                if last_day == day and dt.timedelta(0) <= now - last_at < self.retry / 2:
                    return None
            self._last = (day, now)
            self.attempts += 1
            return await ingest_day(self.sessions, self.sources, day)

    async def run_now(self, day: dt.date) -> IngestResult:
        """An admin's ``/ingest``: fetch ``day`` now (after any running attempt)."""
        async with self.lock:
            return await ingest_day(self.sessions, self.sources, day)
