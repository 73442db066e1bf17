"""The scheduled work, without Telegram: the morning push tick and the day's ingest.

Both run inside ``digestbot run`` (``digestbot.bot.runtime`` puts them on
python-telegram-bot's JobQueue) on the one instance that holds the scheduler lock
(``digestbot.schedule.leader``); every instance runs a delivery engine.

* **Ingest.** From ``ingest_time`` until ``ingest_cutoff`` (in ``settings.timezone``) the
  day's digest ("today" in that zone) is fetched once at ``ingest_time`` and again every
  ``ingest_retry_minutes`` until it is stored. A stored day is never fetched again by the
  scheduler, and attempts never overlap (one lock per process, ``max_instances=1``).
* **Push.** Every minute a tick looks for the subscriptions whose push time (their own
  HH:MM in their own time zone, kept as the next UTC moment in an indexed column)
  passed within the catch-up window, and queues for each
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
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.clock import as_utc, parse_hhmm, zone_or
from digestbot.config import Settings
from digestbot.delivery.enqueue import (
    TARGET_COLUMNS,
    Target,
    daily_key,
    enqueue_digest,
    enqueue_weekly,
    target_of,
    weekly_key,
)
from digestbot.delivery.outbox import chunked, existing_keys
from digestbot.delivery.retention import Pruned, prune_outbox, retention_cutoff
from digestbot.schedule.rules import (
    DIGEST_MAX_AGE_DAYS,
    catchup_window,
    day_incomplete,
    digest_day_for,
    first_push_after,
    ingest_day_due,
    plan_push,
    push_date_due,
)
from digestbot.services.ingest import IngestResult, Sources, ingest_day
from digestbot.store.archive import day_papers, stored_days
from digestbot.store.models import Cadence, Chat, DeliveryKind, DigestDay, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Due:
    subscription_id: int | None  # None: a channel from settings.channels
    target: Target
    push_date: dt.date
    # a subscription's next moment once this push date's own digest is queued
    following: dt.datetime | None = None

    def key(self, day: dt.date) -> str:
        return daily_key(day)(self.target)


DAILY = (Cadence.DAILY, Cadence.BOTH)
WEEKLY = (Cadence.WEEKLY, Cadence.BOTH)


@dataclass(slots=True)
class _Plan:
    """What a tick does: the pushes to queue, by the digest day they send; the weekly
    digests, by the Monday their week starts; and the subscriptions' next moments to
    store (None: the subscription is off)."""

    by_day: dict[dt.date, list[_Due]] = field(default_factory=dict)
    by_week: dict[dt.date, list[_Due]] = field(default_factory=dict)
    moments: dict[int, dt.datetime | None] = field(default_factory=dict)


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
    queued (its votes are read again when they are old: the morning's ranking).

    A tick reads only the subscriptions whose stored next moment has come (an index
    range): one with nobody due costs one empty index lookup, however many subscribe. A
    due subscription stays due until its push date's own digest is queued (an older one
    may go out first, as a fallback) or its catch-up window has passed; then its next
    moment is stored, in the transaction that queued its push."""
    plan = await _plan(sessions, settings, now, channels)
    if not plan.by_day and not plan.by_week and not plan.moments:
        return 0
    if refresh is not None:
        for day in sorted(plan.by_day):
            await refresh(day)
    queued = 0
    # ``by_day`` holds only what was not queued yet; one queued meanwhile (another
    # instance) is skipped by the outbox's dedupe key
    async with sessions.begin() as session:
        for day, todo in sorted(plan.by_day.items()):
            page = await day_papers(session, day)  # read once for both kinds of target
            subscribed = [d.target for d in todo if d.subscription_id is not None]
            if subscribed:  # with each target's followed papers
                queued += await enqueue_digest(
                    session,
                    day,
                    subscribed,
                    kind=DeliveryKind.PUSH,
                    key=daily_key(day),
                    follows=True,
                    page=page,
                )
            channels_due = [d.target for d in todo if d.subscription_id is None]
            if channels_due:
                queued += await enqueue_digest(
                    session,
                    day,
                    channels_due,
                    kind=DeliveryKind.PUSH,
                    key=daily_key(day),
                    page=page,
                )
        for monday, todo in sorted(plan.by_week.items()):
            sub_ids = [d.subscription_id for d in todo if d.subscription_id is not None]
            queued += await enqueue_weekly(session, monday, subscription_ids=sub_ids)
        await _store_moments(session, plan.moments)
    if queued:
        log.info("push: queued %d deliveries", queued)
    return queued


async def _plan(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: dt.datetime,
    channels: Sequence[int],
) -> _Plan:
    """The pushes and weekly digests due at ``now`` that are not queued yet, and the
    moments to move on."""
    window = catchup_window(settings)
    default_zone = ZoneInfo(settings.timezone)
    now = now.astimezone(dt.UTC)  # SQLite compares the stored UTC text with it
    plan = _Plan()
    due: list[_Due] = []
    weekly: dict[dt.date, list[_Due]] = defaultdict(list)
    async with sessions() as session:
        rows = await session.execute(
            select(
                Subscription.id,
                Subscription.push_time,
                Subscription.timezone,
                Subscription.next_push_at,
                Subscription.active,
                Chat.active,
                Subscription.cadence,
                *TARGET_COLUMNS,
            )
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Subscription.next_push_at <= now)
        )
        zones: dict[str, ZoneInfo] = {}
        for sub_id, hhmm, zone_name, stored, on, chat_on, cadence, *cut in rows.tuples():
            if stored is None or not (on and chat_on):
                plan.moments[sub_id] = None  # off until subscribed (or unblocked) again
                continue
            zone = zones.get(zone_name) or zones.setdefault(
                zone_name, zone_or(zone_name, default_zone)
            )
            push_time = parse_hhmm(hhmm)
            push_date, moment = plan_push(stored, push_time, zone, now, window)
            if moment != as_utc(stored):
                plan.moments[sub_id] = moment
            if push_date is None:
                continue
            following = first_push_after(push_time, zone, moment)
            target = target_of(cut)
            if cadence in DAILY:
                due.append(_Due(sub_id, target, push_date, following))
            else:  # weekly only: its week is queued in this tick's transaction
                plan.moments[sub_id] = following
            if cadence in WEEKLY and push_date.weekday() == 0:  # Monday, in its zone
                monday = push_date - dt.timedelta(days=7)
                weekly[monday].append(_Due(sub_id, target, push_date, following))
        channel_day = push_date_due(parse_hhmm(settings.push_time), default_zone, now, window)
        if channel_day is not None:
            due += [
                _Due(None, Target(chat_id, 0, settings.top_n, (), settings.language), channel_day)
                for chat_id in dict.fromkeys(channels)
            ]
        week_keys = {_week_key(monday, d) for monday, ds in weekly.items() for d in ds}
        weeks_done = await existing_keys(session, week_keys)
        plan.by_week = {
            monday: todo
            for monday, ds in weekly.items()
            if (todo := [d for d in ds if _week_key(monday, d) not in weeks_done])
        }
        if not due:
            return plan
        oldest = min(d.push_date for d in due) - dt.timedelta(days=DIGEST_MAX_AGE_DAYS)
        days = await stored_days(session, start=oldest)
        by_day: dict[dt.date, list[_Due]] = defaultdict(list)
        for d in due:
            day = digest_day_for(d.push_date, days)
            if day == d.push_date and d.subscription_id is not None:
                plan.moments[d.subscription_id] = d.following  # this push is settled
            if day is not None:
                by_day[day].append(d)
        keys = {d.key(day) for day, ds in by_day.items() for d in ds}
        done = await existing_keys(session, keys)
    waiting = {day: [d for d in items if d.key(day) not in done] for day, items in by_day.items()}
    plan.by_day = {day: items for day, items in waiting.items() if items}
    return plan


async def _store_moments(session: AsyncSession, moments: dict[int, dt.datetime | None]) -> None:
    """Store the subscriptions' next moments: one statement per distinct moment (most
    subscribers share a few push times), in chunks of ids."""
    by_moment: dict[dt.datetime | None, list[int]] = defaultdict(list)
    for sub_id, moment in moments.items():
        by_moment[moment].append(sub_id)
    for moment, ids in by_moment.items():
        for chunk in chunked(sorted(ids)):
            await session.execute(
                update(Subscription)
                .where(Subscription.id.in_(chunk))
                # not a change of the subscriber's settings: updated_at stays
                .values(next_push_at=moment, updated_at=Subscription.updated_at)
                .execution_options(synchronize_session=False)
            )


async def prune_finished(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: dt.datetime,
    *,
    days: int | None = None,
) -> tuple[dt.datetime, Pruned] | None:
    """The outbox's pruning (the hourly job, ``digestbot db prune``): what finished
    before the cutoff of ``days`` (default ``delivery_retention_days``) and the catch-up
    window goes; returns the cutoff and what went (None: retention is off)."""
    keep = settings.delivery_retention_days if days is None else days
    cutoff = retention_cutoff(now, keep, catchup_window(settings))
    if cutoff is None:
        return None
    return cutoff, await prune_outbox(sessions, cutoff)


def _week_key(monday: dt.date, due: _Due) -> str:
    return weekly_key(monday, due.target.chat_id, due.target.thread_id)


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
