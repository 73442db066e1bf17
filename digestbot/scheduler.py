"""The scheduled jobs and their times: the day's ingest and the morning push.

Both run inside ``digestbot run`` on python-telegram-bot's JobQueue (APScheduler), on the
one instance that holds ``scheduler_leadership``; every instance runs a delivery engine.

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
  long as the push time is still within the window.

* **Leadership.** A job every ``LEADER_CHECK_SECONDS`` on every instance: the leader
  checks that it still holds the lock (its connection may have dropped, and then another
  instance may lead) and, when it does not, stands down — its scheduled jobs are removed
  (a job already running finishes; both jobs are idempotent); a follower tries to take
  the lock and, when it gets it, installs the jobs.
* **The delivery engine** runs under ``supervise``: the engine outlives database errors
  itself (``DeliveryEngine.run``); should it still stop with an error, the error is logged
  at ERROR with its traceback and the engine is started again after a pause (doubling up
  to a minute), for as long as the bot runs.

The pure part (``push_date_due``, ``digest_day_for``, ``ingest_day_due``) is a function
of times only and is unit-tested without a database.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes, JobQueue

from digestbot.bot.i18n import t
from digestbot.bot.render import esc
from digestbot.config import Settings
from digestbot.delivery.engine import AdminAlert, DeliveryEngine
from digestbot.delivery.enqueue import Target, enqueue_digest, enqueue_push, push_key
from digestbot.delivery.leader import SCHEDULER_LOCK, LeaderLock, lock_key
from digestbot.delivery.outbox import existing_keys
from digestbot.digest.source import DigestSource
from digestbot.ingest import IngestResult, ingest_day
from digestbot.store.archive import stored_days
from digestbot.store.models import Chat, DigestDay, Subscription

if TYPE_CHECKING:
    from digestbot.bot.app import BotApp
    from digestbot.resources import Resources

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

RUNTIME = "scheduler_runtime"
PUSH_TICK_SECONDS = 60.0
# the leader checks its lock, a follower tries to take it, this often
LEADER_CHECK_SECONDS = 15.0
SCHEDULED_JOBS = ("push-tick", "ingest-daily", "ingest-retry")
# a morning push sends the newest digest of the subscriber's local date or of the
# DIGEST_MAX_AGE_DAYS days before it (a Monday morning before Monday's digest: Friday's)
DIGEST_MAX_AGE_DAYS = 3
# even with catchup_hours = 0 a push a tick late is still due
MIN_WINDOW = dt.timedelta(minutes=5)
JOB_KWARGS: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}


# --------------------------------------------------------------------------- pure


def parse_hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def zone_or(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def catchup_window(settings: Settings) -> dt.timedelta:
    return max(dt.timedelta(hours=settings.catchup_hours), MIN_WINDOW)


def push_date_due(
    push_time: dt.time, zone: ZoneInfo, now: dt.datetime, window: dt.timedelta
) -> dt.date | None:
    """The local date whose push moment (``push_time`` in ``zone``) is the latest one at
    or before ``now`` (aware), if it is at most ``window`` old; else None."""
    local_today = now.astimezone(zone).date()
    for back in range(window.days + 3):
        day = local_today - dt.timedelta(days=back)
        moment = dt.datetime.combine(day, push_time, tzinfo=zone)
        if moment <= now:
            return day if now - moment <= window else None
    return None


def digest_day_for(
    push_date: dt.date, stored: Iterable[dt.date], max_age_days: int = DIGEST_MAX_AGE_DAYS
) -> dt.date | None:
    """The digest a push on ``push_date`` sends: the newest stored day in
    ``[push_date - max_age_days, push_date]`` (None: nothing recent enough)."""
    oldest = push_date - dt.timedelta(days=max_age_days)
    fitting = [day for day in stored if oldest <= day <= push_date]
    return max(fitting) if fitting else None


def ingest_day_due(
    now: dt.datetime, zone: ZoneInfo, start: dt.time, cutoff: dt.time
) -> dt.date | None:
    """The day the ingest should fetch at ``now``: local today between ``start`` and
    ``cutoff`` (a cutoff before the start means the next morning); None outside."""
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start <= cutoff:
        return local.date() if start <= clock <= cutoff else None
    if clock >= start:
        return local.date()
    if clock <= cutoff:
        return local.date() - dt.timedelta(days=1)
    return None


def scheduler_lock_key(database_url: str) -> int:
    """The advisory lock of one deployment: one per database, or per schema when the URL
    names one (``?search_path=``)."""
    schema = make_url(database_url).query.get("search_path")
    return lock_key(f"digestbot:scheduler:{schema}") if schema else SCHEDULER_LOCK


# --------------------------------------------------------------------------- push


@dataclass(frozen=True, slots=True)
class _Due:
    subscription_id: int | None  # None: a channel from settings.channels
    chat_id: int
    thread_id: int
    push_date: dt.date


async def push_tick(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: dt.datetime,
    *,
    channels: Sequence[int] = (),
) -> int:
    """Queue the morning push for every subscription (and configured channel) due at
    ``now``; returns how many deliveries were queued. Idempotent: run it as often as
    you like, from as many instances as you like."""
    window = catchup_window(settings)
    default_zone = ZoneInfo(settings.timezone)
    due: list[_Due] = []
    async with sessions.begin() as session:
        rows = await session.execute(
            select(
                Subscription.id,
                Subscription.chat_id,
                Subscription.thread_id,
                Subscription.push_time,
                Subscription.timezone,
            )
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Subscription.active.is_(True), Chat.active.is_(True))
        )
        zones: dict[str, ZoneInfo] = {}
        for sub_id, chat_id, thread_id, push_time, zone_name in rows.tuples():
            zone = zones.get(zone_name) or zones.setdefault(
                zone_name, zone_or(zone_name, default_zone)
            )
            day = push_date_due(parse_hhmm(push_time), zone, now, window)
            if day is not None:
                due.append(_Due(sub_id, chat_id, thread_id, day))
        channel_day = push_date_due(parse_hhmm(settings.push_time), default_zone, now, window)
        if channel_day is not None:
            due += [_Due(None, chat_id, 0, channel_day) for chat_id in dict.fromkeys(channels)]
        if not due:
            return 0
        oldest = min(d.push_date for d in due) - dt.timedelta(days=DIGEST_MAX_AGE_DAYS)
        days = await stored_days(session, start=oldest)
        by_day: dict[dt.date, list[_Due]] = defaultdict(list)
        for d in due:
            day = digest_day_for(d.push_date, days)
            if day is not None:
                by_day[day].append(d)
        keys = {push_key(day, d.chat_id, d.thread_id) for day, ds in by_day.items() for d in ds}
        done = await existing_keys(session, keys)
        queued = 0
        for day, items in sorted(by_day.items()):
            todo = [d for d in items if push_key(day, d.chat_id, d.thread_id) not in done]
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
                    kind="push",
                    key=_push_keys(day),
                )
    if queued:
        log.info("push: queued %d deliveries", queued)
    return queued


def _push_keys(day: dt.date) -> Callable[[Target], str]:
    return lambda target: push_key(day, target.chat_id, target.thread_id)


class ChannelResolver:
    """``settings.channels`` (ids or @usernames) → chat ids; a @username is looked up
    with getChat once, a failed lookup is tried again after ``retry``."""

    def __init__(self, channels: Sequence[str], retry: dt.timedelta = dt.timedelta(minutes=10)):
        self.channels = [c.strip() for c in channels if c.strip()]
        self.retry = retry
        self._ids: dict[str, int] = {}
        self._failed: dict[str, dt.datetime] = {}

    async def resolve(self, bot: Bot, now: dt.datetime) -> list[int]:
        found: list[int] = []
        for channel in self.channels:
            if channel.lstrip("-").isdigit():
                found.append(int(channel))
                continue
            if channel in self._ids:
                found.append(self._ids[channel])
                continue
            failed = self._failed.get(channel)
            if failed is not None and now - failed < self.retry:
                continue
            name = channel if channel.startswith("@") else f"@{channel}"
            try:
                chat = await bot.get_chat(name)
            except TelegramError as exc:
                self._failed[channel] = now
                log.warning("channel %s: cannot look it up (%s)", name, exc)
                continue
            self._ids[channel] = chat.id
            found.append(chat.id)
        return found


# --------------------------------------------------------------------------- ingest


class DailyIngest:
    """The day's ingest: one attempt at a time, never a stored day again."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: DigestSource,
        settings: Settings,
    ) -> None:
        self.sessions = sessions
        self.source = source
        self.zone = ZoneInfo(settings.timezone)
        self.start = parse_hhmm(settings.ingest_time)
        self.cutoff = parse_hhmm(settings.ingest_cutoff)
        self.retry = dt.timedelta(minutes=settings.ingest_retry_minutes)
        self.lock = asyncio.Lock()
        self.attempts = 0
        self._last: tuple[dt.date, dt.datetime] | None = None

    async def attempt(self, now: dt.datetime) -> IngestResult | None:
        """Fetch the day due at ``now`` unless it is stored, was tried less than half a
        retry interval ago, or another attempt is running. None: nothing was fetched."""
        day = ingest_day_due(now, self.zone, self.start, self.cutoff)
        if day is None or self.lock.locked():
            return None
        async with self.lock:
            async with self.sessions() as session:
                if await session.get(DigestDay, day) is not None:
                    return None
            if self._last is not None:
                last_day, last_at = self._last
                if last_day == day and dt.timedelta(0) <= now - last_at < self.retry / 2:
                    return None
            self._last = (day, now)
            self.attempts += 1
            return await ingest_day(self.sessions, self.source, day)

    async def run_now(self, day: dt.date) -> IngestResult:
        """An admin's ``/ingest``: fetch ``day`` now (after any running attempt)."""
        async with self.lock:
            return await ingest_day(self.sessions, self.source, day)


# --------------------------------------------------------------------------- in the bot


@dataclass
class Runtime:
    """What ``digestbot run`` keeps going beside the handlers."""

    settings: Settings
    engine: DeliveryEngine
    ingest: DailyIngest
    channels: ChannelResolver
    lock: LeaderLock
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    engine_task: asyncio.Task[None] | None = None
    jobs_installed: bool = False
    engine_restarts: int = 0


def runtime_of(bot_data: dict[Any, Any]) -> Runtime | None:
    found = bot_data.get(RUNTIME)
    return found if isinstance(found, Runtime) else None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def alert_admins(bot: Bot, settings: Settings, alert: AdminAlert) -> None:
    """A delivery Telegram refused (or given up on): a direct message to every admin."""
    text = t(
        settings.language,
        "admin.alert",
        kind=esc(alert.kind),
        chat=alert.chat_id,
        delivery=alert.delivery_id,
        reason=esc(alert.reason),
    )
    for admin in settings.admins:
        try:
            await bot.send_message(admin, text, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("could not alert admin %s: %s", admin, exc)


async def _push_job(context: Context) -> None:
    runtime = runtime_of(context.bot_data)
    if runtime is None:
        return
    now = utcnow()
    channels = await runtime.channels.resolve(context.bot, now)
    res: Resources = context.bot_data["resources"]
    if await push_tick(res.sessions, runtime.settings, now, channels=channels):
        runtime.engine.notify()


async def _ingest_job(context: Context) -> None:
    runtime = runtime_of(context.bot_data)
    if runtime is not None:
        await runtime.ingest.attempt(utcnow())


async def _leader_job(context: Context) -> None:
    runtime = runtime_of(context.bot_data)
    if runtime is not None and context.job_queue is not None:
        await leadership_tick(runtime, context.job_queue)


async def leadership_tick(runtime: Runtime, job_queue: JobQueue[Any]) -> bool:
    """One leadership round: a leader that lost its lock stands down (its jobs are
    removed); a follower tries to take the lock and installs the jobs when it does.
    Returns whether this instance leads afterwards."""
    if runtime.jobs_installed and not await runtime.lock.check():
        remove_jobs(job_queue)
        runtime.jobs_installed = False
        log.warning("scheduler: lost the scheduler lock; standing down")
    if not runtime.jobs_installed and await runtime.lock.try_acquire():
        install_jobs(job_queue, runtime.settings)
        runtime.jobs_installed = True
        log.info("scheduler: this instance now runs the scheduled jobs")
    return runtime.jobs_installed


def remove_jobs(job_queue: JobQueue[Any]) -> None:
    """Take the scheduled jobs off (a run in progress finishes)."""
    for name in SCHEDULED_JOBS:
        for job in job_queue.get_jobs_by_name(name):
            job.schedule_removal()


def install_jobs(job_queue: JobQueue[Any], settings: Settings) -> None:
    """The push tick (every minute, first right after start: that is the catch-up), the
    daily ingest at ``ingest_time`` and its retries every ``ingest_retry_minutes``."""
    zone = ZoneInfo(settings.timezone)
    job_queue.run_repeating(
        _push_job, interval=PUSH_TICK_SECONDS, first=1.0, name="push-tick", job_kwargs=JOB_KWARGS
    )
    job_queue.run_daily(
        _ingest_job,
        time=parse_hhmm(settings.ingest_time).replace(tzinfo=zone),
        name="ingest-daily",
        job_kwargs=JOB_KWARGS,
    )
    job_queue.run_repeating(
        _ingest_job,
        interval=settings.ingest_retry_minutes * 60,
        first=2.0,
        name="ingest-retry",
        job_kwargs=JOB_KWARGS,
    )


async def supervise(
    run: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    what: str,
    pause: float = 1.0,
    max_pause: float = 60.0,
    on_restart: Callable[[], None] | None = None,
) -> None:
    """Run ``run()`` until ``stop`` is set; when it raises (or returns early), log that
    at ERROR with the traceback and run it again after a pause that doubles from
    ``pause`` up to ``max_pause``. Cancelling stops it."""
    failures = 0
    while not stop.is_set():
        try:
            await run()
        except Exception:
            failures += 1
            delay = min(pause * 2 ** min(failures - 1, 16), max_pause)
            log.error("%s stopped with an error; restarting in %.1f s", what, delay, exc_info=True)
        else:
            if stop.is_set():
                return
            failures += 1
            delay = min(pause * 2 ** min(failures - 1, 16), max_pause)
            log.error("%s stopped unexpectedly; restarting in %.1f s", what, delay)
        if on_restart is not None:
            on_restart()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


def _task_died(task: asyncio.Task[None]) -> None:
    """The supervisor itself should never end with an error; if it does, say so."""
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "the delivery engine's supervisor died; nothing is sent until a restart",
            exc_info=task.exception(),
        )


async def start_runtime(app: BotApp, res: Resources) -> Runtime:
    """Start the delivery engine and, on the leading instance, the scheduled jobs."""
    settings = res.settings
    bot = app.bot

    async def on_alert(alert: AdminAlert) -> None:
        await alert_admins(bot, settings, alert)

    runtime = Runtime(
        settings=settings,
        engine=DeliveryEngine(bot, res.sessions, settings, on_alert=on_alert),
        ingest=DailyIngest(res.sessions, res.source, settings),
        channels=ChannelResolver(settings.channels),
        lock=LeaderLock(res.engine, scheduler_lock_key(settings.database_url)),
    )
    app.bot_data[RUNTIME] = runtime

    def restarted() -> None:
        runtime.engine_restarts += 1

    runtime.engine_task = asyncio.create_task(
        supervise(
            lambda: runtime.engine.run(runtime.stop),
            runtime.stop,
            what="the delivery engine",
            on_restart=restarted,
        )
    )
    runtime.engine_task.add_done_callback(_task_died)
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    if await leadership_tick(runtime, app.job_queue):
        log.info("scheduler: this instance runs the scheduled jobs")
    else:
        log.info("scheduler: another instance runs the scheduled jobs; standing by")
    app.job_queue.run_repeating(
        _leader_job,
        interval=LEADER_CHECK_SECONDS,
        first=LEADER_CHECK_SECONDS,
        name="leadership",
        job_kwargs=JOB_KWARGS,
    )
    return runtime


async def stop_runtime(app: BotApp) -> None:
    """Stop the engine (its claims go back to the outbox) and give up the lead."""
    runtime = app.bot_data.pop(RUNTIME, None)
    if not isinstance(runtime, Runtime):
        return
    runtime.stop.set()
    if runtime.engine_task is not None:
        try:
            await runtime.engine_task
        except Exception:
            log.exception("the delivery engine stopped with an error")
    await runtime.lock.release()
