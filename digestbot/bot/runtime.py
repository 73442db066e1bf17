"""What ``digestbot run`` keeps going beside the handlers: the delivery engine, the
scheduled jobs on the leading instance, leadership, and admin alerts.

* **Jobs.** The push tick and the day's ingest (``digestbot.schedule.jobs``) run on
  python-telegram-bot's JobQueue, each given the ``Runtime`` as its ``data``.
* **Leadership.** A job every ``LEADER_CHECK_SECONDS`` on every instance: the leader
  checks that it still holds the lock (its connection may have dropped, and then another
  instance may lead) and, when it does not, stands down — its scheduled jobs are removed
  (a job already running finishes; both jobs are idempotent); a follower tries to take
  the lock and, when it gets it, installs the jobs. With long polling the leader is also
  the one instance that polls for updates (Telegram answers a second poller with 409
  Conflict): ``on_lead`` / ``on_stand_down`` start and stop the polling
  (``digestbot.bot.app``).
* **The delivery engine** runs under ``supervise``: the engine outlives database errors
  itself (``DeliveryEngine.run``); should it still stop with an error, the error is logged
  at ERROR with its traceback and the engine is started again after a pause (doubling up
  to a minute), for as long as the bot runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackContext, JobQueue

from digestbot.clock import backoff_delay, parse_hhmm, utcnow
from digestbot.config import Settings
from digestbot.delivery.engine import AdminAlert, DeliveryEngine
from digestbot.present.html import esc
from digestbot.present.i18n import t
from digestbot.present.split import split_html
from digestbot.present.stats import render_ingest_notes
from digestbot.schedule.jobs import DailyIngest, prune_finished, push_tick
from digestbot.schedule.leader import LeaderLock, scheduler_lock_key
from digestbot.services import admin as admin_ops
from digestbot.services.ingest import Sources, refresh_votes
from digestbot.services.resources import Resources
from digestbot.store.models import IngestStatus

log = logging.getLogger(__name__)

JobContext = CallbackContext[Any, Any, Any, Any]

PUSH_TICK_SECONDS = 60.0
# the leader checks its lock, a follower tries to take it, this often (with long polling
# also the longest a new leader takes to answer updates after the old one died)
LEADER_CHECK_SECONDS = 5.0
SCHEDULED_JOBS = ("push-tick", "ingest-daily", "ingest-retry", "outbox-prune")
PRUNE_INTERVAL_SECONDS = 3600
JOB_KWARGS: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}


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


@dataclass
class Runtime:
    """What ``digestbot run`` keeps going beside the handlers."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    sources: Sources
    engine: DeliveryEngine
    ingest: DailyIngest
    channels: ChannelResolver
    lock: LeaderLock
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    engine_task: asyncio.Task[None] | None = None
    jobs_installed: bool = False
    engine_restarts: int = 0
    # time.monotonic() of the last push tick that finished, and of taking the scheduler
    # lock (for /healthz: digestbot.bot.health)
    last_tick_at: float | None = None
    leading_since: float | None = None
    # what else follows the lead: the long polling (set by digestbot.bot.app)
    on_lead: Callable[[], Awaitable[None]] | None = None
    on_stand_down: Callable[[], Awaitable[None]] | None = None


async def tell_admins(bot: Bot, settings: Settings, text: str) -> None:
    """A direct message (Telegram HTML) to every admin; a failure is logged."""
    for part in split_html(text):
        for admin in settings.admins:
            try:
                await bot.send_message(admin, part, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not tell admin %s: %s", admin, exc)


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
    await tell_admins(bot, settings, text)


def _runtime(context: JobContext) -> Runtime | None:
    job = context.job
    return job.data if job is not None and isinstance(job.data, Runtime) else None


async def _push_job(context: JobContext) -> None:
    runtime = _runtime(context)
    if runtime is None:
        return
    now = utcnow()
    channels = await runtime.channels.resolve(context.bot, now)
    hf = runtime.sources.hf
    max_age = dt.timedelta(minutes=runtime.settings.votes_max_age_minutes)
    refresh = (
        None
        if hf is None
        else functools.partial(refresh_votes, runtime.sessions, hf, max_age=max_age)
    )
    queued = await push_tick(
        runtime.sessions, runtime.settings, now, channels=channels, refresh=refresh
    )
    runtime.last_tick_at = time.monotonic()
    if queued:
        runtime.engine.notify()


async def _ingest_job(context: JobContext) -> None:
    runtime = _runtime(context)
    if runtime is None:
        return
    result = await runtime.ingest.attempt(utcnow())
    if result is None:
        return
    settings = runtime.settings
    lang = settings.language
    if result.status is IngestStatus.STORED and result.warnings and result.day is not None:
        head = t(
            lang,
            "admin.ingest.scheduled_warnings",
            day=result.day.isoformat(),
            n=result.papers,
            count=len(result.warnings),
        )
        notes = render_ingest_notes(lang, warnings=result.warnings)
        await tell_admins(context.bot, settings, f"{head}\n{notes}")
    async with runtime.sessions.begin() as session:
        silent = await admin_ops.archive_silence(session)
    if silent is not None:
        await tell_admins(
            context.bot, settings, t(lang, "admin.archive_silent", day=silent.isoformat())
        )


async def _prune_job(context: JobContext) -> None:
    runtime = _runtime(context)
    if runtime is None:
        return
    done = await prune_finished(runtime.sessions, runtime.settings, utcnow())
    if done is None:
        return  # retention is off
    cutoff, pruned = done
    if pruned.deliveries or pruned.bodies:
        log.info("outbox: %s", pruned.summary(cutoff))


async def _leader_job(context: JobContext) -> None:
    runtime = _runtime(context)
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
        if runtime.on_stand_down is not None:
            await runtime.on_stand_down()
    if not runtime.jobs_installed and await runtime.lock.try_acquire():
        install_jobs(job_queue, runtime)
        runtime.jobs_installed = True
        runtime.leading_since = time.monotonic()
        log.info("scheduler: this instance now runs the scheduled jobs")
        if runtime.on_lead is not None:
            await runtime.on_lead()
    return runtime.jobs_installed


def remove_jobs(job_queue: JobQueue[Any]) -> None:
    """Take the scheduled jobs off (a run in progress finishes)."""
    for name in SCHEDULED_JOBS:
        for job in job_queue.get_jobs_by_name(name):
            job.schedule_removal()


def install_jobs(job_queue: JobQueue[Any], runtime: Runtime) -> None:
    """The push tick (every minute, first right after start: that is the catch-up), the
    daily ingest at ``ingest_time`` and its retries every ``ingest_retry_minutes``, and
    the outbox's pruning every hour (``delivery.retention``)."""
    settings = runtime.settings
    zone = ZoneInfo(settings.timezone)
    job_queue.run_repeating(
        _push_job,
        interval=PUSH_TICK_SECONDS,
        first=1.0,
        name="push-tick",
        data=runtime,
        job_kwargs=JOB_KWARGS,
    )
    job_queue.run_daily(
        _ingest_job,
        time=parse_hhmm(settings.ingest_time).replace(tzinfo=zone),
        name="ingest-daily",
        data=runtime,
        job_kwargs=JOB_KWARGS,
    )
    job_queue.run_repeating(
        _ingest_job,
        interval=settings.ingest_retry_minutes * 60,
        first=2.0,
        name="ingest-retry",
        data=runtime,
        job_kwargs=JOB_KWARGS,
    )
    job_queue.run_repeating(
        _prune_job,
        interval=PRUNE_INTERVAL_SECONDS,
        first=60.0,
        name="outbox-prune",
        data=runtime,
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
            delay = backoff_delay(failures, base=pause, cap=max_pause)
            log.error("%s stopped with an error; restarting in %.1f s", what, delay, exc_info=True)
        else:
            if stop.is_set():
                return
            failures += 1
            delay = backoff_delay(failures, base=pause, cap=max_pause)
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


async def start_runtime(bot: Bot, job_queue: JobQueue[Any], res: Resources) -> Runtime:
    """Start the delivery engine and, on the leading instance, the scheduled jobs."""
    settings = res.settings

    async def on_alert(alert: AdminAlert) -> None:
        await alert_admins(bot, settings, alert)

    runtime = Runtime(
        settings=settings,
        sessions=res.sessions,
        sources=res.sources,
        engine=DeliveryEngine(bot, res.sessions, settings, on_alert=on_alert),
        ingest=DailyIngest(res.sessions, res.sources, settings),
        channels=ChannelResolver(settings.channels),
        lock=LeaderLock(res.engine, scheduler_lock_key(settings.database_url)),
    )

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
    if await leadership_tick(runtime, job_queue):
        log.info("scheduler: this instance runs the scheduled jobs")
    else:
        log.info("scheduler: another instance runs the scheduled jobs; standing by")
    job_queue.run_repeating(
        _leader_job,
        interval=LEADER_CHECK_SECONDS,
        first=LEADER_CHECK_SECONDS,
        name="leadership",
        data=runtime,
        job_kwargs=JOB_KWARGS,
    )
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    """Stop the engine (its claims go back to the outbox) and give up the lead."""
    runtime.stop.set()
    if runtime.engine_task is not None:
        try:
            await runtime.engine_task
        except Exception:
            log.exception("the delivery engine stopped with an error")
    await runtime.lock.release()
