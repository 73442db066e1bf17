"""The sender: claims due deliveries from the outbox and sends them through Telegram at
the published ceilings, acting on Telegram's answers (``digestbot.delivery.telegram_errors``).

Concurrency: at most ``delivery_concurrency`` sends in flight (a semaphore held from the
request until its "part sent" row is committed); up to ``4 × delivery_concurrency``
deliveries claimed, one task per chat, so a chat's deliveries go one at a time and a
delivery's parts go in order. The global ceiling is checked again once a send holds its
slot: sends that queued behind slow answers would otherwise all go out at once when the
answers come.

Crash safety: "part sent" is group-committed (``delivery.progress``): every part accepted
since the last write goes into the next one, one transaction per batch instead of one per
message, and a send keeps its slot until the write holding its part committed. A crash
therefore repeats at most the in-flight batch: the parts sent but not yet written, never
more than ``delivery_concurrency`` messages.

The token's global ceiling: on SQLite this process's limiter keeps it; on PostgreSQL every
instance takes its send slots from one schedule in the database (``delivery.sendslots``,
``delivery.budget``), and a global flood pauses that schedule for all of them. Paid
broadcasts (pushes, while the day's cap lasts: ``delivery.paid``) take theirs from a lane
of their own at up to 1,000/s.

Failures: ``run`` (inside the bot) outlives its database. Any error in a round of the
loop (claiming, releasing) is logged with its traceback and the round is tried again
after a pause that doubles from ``error_pause`` up to ``max_error_pause``; a delivery
whose state cannot be written is dropped from memory and its lease runs out, so it is
claimed again (and resumed from its stored ``parts_sent``) once the database is back.
``run_until_idle`` (CLI, tests) raises instead: its caller reports the error.

Timeouts are retried, but a read timeout may come after Telegram accepted the message,
so such a retry may deliver it twice: ``EngineStats.uncertain`` counts those retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import TelegramError

from digestbot.clock import backoff_delay, utcnow
from digestbot.config import Settings
from digestbot.delivery import outbox
from digestbot.delivery.budget import Lane, budget_key, paid_rate
from digestbot.delivery.client import MessageSender, message_params
from digestbot.delivery.latency import send_histogram
from digestbot.delivery.outbox import Claimed, PartSent
from digestbot.delivery.paid import PaidCap
from digestbot.delivery.progress import ProgressWriter
from digestbot.delivery.ratelimit import Clock, RateLimiter, RateLimits
from digestbot.delivery.sendslots import LocalSlots, SharedSlots, SlotSource
from digestbot.delivery.telegram_errors import Action, Outcome, classify
from digestbot.logs import redact
from digestbot.store.models import DeliveryKind

log = logging.getLogger(__name__)

Now = Callable[[], dt.datetime]


def _dialect(sessions: async_sessionmaker[AsyncSession]) -> str:
    bind = sessions.kw.get("bind")
    return bind.dialect.name if bind is not None else ""


def default_instance() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


def limits_from_settings(settings: Settings, *, enabled: bool = True) -> RateLimits:
    return RateLimits(
        global_per_second=settings.rate_global_per_second,
        private_per_second=settings.rate_private_per_second,
        group_per_minute=settings.rate_group_per_minute,
        enabled=enabled and settings.rate_limits_enabled,
    )


@dataclass(frozen=True, slots=True)
class AdminAlert:
    """Something an admin should hear about: a message Telegram refused as bad, or a
    delivery given up after its attempts."""

    delivery_id: int
    chat_id: int
    kind: str
    reason: str


AlertHook = Callable[[AdminAlert], Awaitable[None]]


@dataclass(slots=True)
class EngineStats:
    deliveries_sent: int = 0  # deliveries whose every part Telegram accepted
    messages_sent: int = 0  # parts accepted
    failed: int = 0
    rescheduled: int = 0  # put back with a later due time (long 429, transient error)
    flood_waits: int = 0  # 429 answers
    global_floods: int = 0  # 429 bursts that paused everything
    deactivated: int = 0  # chats (or topics) switched off after 403 and the like
    migrated: int = 0
    lost_claims: int = 0  # a lease ran out and another instance took over
    # sends that timed out (or lost their connection) after the request went out, then
    # were retried or given up: Telegram may have accepted them, so the chat may get the
    # message twice (or got it although the delivery says failed)
    uncertain: int = 0
    loop_errors: int = 0  # database (or other) errors the running engine outlived
    paid_sent: int = 0  # parts Telegram accepted with allow_paid_broadcast
    alerts: list[AdminAlert] = field(default_factory=list)
    send_seconds: Histogram = field(default_factory=send_histogram)  # accepted sends


class DeliveryEngine:
    """Sends what the outbox holds. One per process; ``run`` inside the bot, or
    ``run_until_idle`` from the CLI and tests."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        instance: str | None = None,
        limits: RateLimits | None = None,
        clock: Clock = time.monotonic,
        now: Now = utcnow,
        lease: float | None = None,
        poll_interval: float = 1.0,
        backoff_base: float = 2.0,
        on_alert: AlertHook | None = None,
        max_active: int | None = None,
        error_pause: float = 0.5,
        max_error_pause: float = 30.0,
    ) -> None:
        self.bot = bot
        self._sender = MessageSender(bot)
        self.sessions = sessions
        self.settings = settings
        self.instance = (instance or default_instance())[:64]
        limits = limits or limits_from_settings(settings)
        self.limiter = RateLimiter(limits, clock)
        self._clock = clock
        shared = _dialect(sessions) == "postgresql"
        # the token's global ceiling: on PostgreSQL one schedule in the database for every
        # instance (None: this process's limiter keeps it, as on SQLite)
        self.budget: SlotSource | None = None
        if shared and limits.enabled:
            self.budget = SharedSlots(
                sessions, budget_key(bot.token, Lane.FREE), limits.global_per_second, clock=clock
            )
        # paid broadcasts: pushes go with allow_paid_broadcast while the day's cap lasts
        self.paid: PaidCap | None = None
        self.paid_slots: SlotSource | None = None
        paid_per_second = paid_rate(settings.rate_paid_per_second, limits.global_per_second)
        if settings.paid_broadcast and settings.paid_broadcast_daily_cap and paid_per_second:
            self.paid = PaidCap(
                sessions,
                settings.paid_broadcast_daily_cap,
                now=now,
                batch=max(1, min(1000, int(paid_per_second / 10))),
            )
            if limits.enabled:
                key = budget_key(bot.token, Lane.PAID)
                self.paid_slots = (
                    SharedSlots(sessions, key, paid_per_second, clock=clock)
                    if shared
                    else LocalSlots(paid_per_second, clock=clock)
                )
        self.stats = EngineStats()
        self._now = now
        self._lease = settings.delivery_lease_seconds if lease is None else lease
        self._poll = poll_interval
        self._backoff_base = backoff_base
        self._error_pause = error_pause
        self._max_error_pause = max_error_pause
        self._released = False
        self._on_alert = on_alert
        self._concurrency = settings.delivery_concurrency
        self._max_active = max_active or 4 * settings.delivery_concurrency
        self._claim_min = max(1, self._max_active // 4)
        self._slots = asyncio.Semaphore(self._concurrency)
        self._wake = asyncio.Event()
        self._claims: dict[int, Claimed] = {}
        self._chains: dict[int, deque[Claimed]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._superseded: set[int] = set()
        self._dead_chats: dict[int, str] = {}
        self._stopping = False
        self._progress = ProgressWriter(sessions, self.instance, now=now, lease=self._lease)

    # ------------------------------------------------------------------ public

    def notify(self) -> None:
        """Wake the engine now (call after queueing deliveries)."""
        self._wake.set()

    async def run_until_idle(self, *, horizon: float | None = None) -> EngineStats:
        """Send everything due now, and what falls due within ``horizon`` seconds
        (default ``delivery_max_sleep``: retries and short waits), then return."""
        limit = self.settings.delivery_max_sleep if horizon is None else horizon
        await self._loop(None, limit)
        return self.stats

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the outbox until ``stop`` is set; then hand back unfinished claims."""
        await self._loop(stop, None)

    # ------------------------------------------------------------------ main loop

    async def _loop(self, stop: asyncio.Event | None, horizon: float | None) -> None:
        self._stopping = False
        self._released = False
        heartbeat = asyncio.create_task(self._heartbeat())
        self._progress.start()
        failures = 0
        try:
            while stop is None or not stop.is_set():
                self._wake.clear()
                try:
                    timeout = await self._round(horizon)
                except Exception:
                    if stop is None:
                        raise  # run_until_idle: the caller (CLI, test) reports it
                    # the running engine outlives a database outage: pause, try again
                    failures += 1
                    self.stats.loop_errors += 1
                    pause = backoff_delay(
                        failures, base=self._error_pause, cap=self._max_error_pause
                    )
                    log.error(
                        "delivery engine: a round failed (%d in a row); trying again in %.1f s",
                        failures,
                        pause,
                        exc_info=True,
                    )
                    await self._wait(stop, pause, wake=False)
                    continue
                failures = 0
                if timeout is None:
                    break
                await self._wait(stop, timeout)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self._shutdown()

    async def _round(self, horizon: float | None) -> float | None:
        """Claim what is due; return how long to wait before the next round (None:
        ``run_until_idle`` is done)."""
        if not self._released:
            # rows this instance name held before a restart are ours to resume now (only
            # before the first claim of this run: later it would hand back live claims)
            async with self.sessions.begin() as session:
                await outbox.release_claims(session, self.instance)
            self._released = True
        claimed = 0
        free = self._max_active - len(self._claims)
        if free >= self._claim_min or (free > 0 and not self._claims):
            claimed = await self._claim(free)
        timeout = self._poll
        if horizon is not None and not self._claims and not claimed:
            async with self.sessions() as session:
                due = await outbox.next_due_at(session)
            if due is None:
                return None
            wait = (due - self._now()).total_seconds()
            if wait > horizon:
                return None
            timeout = min(max(wait, 0.01), self._poll)
        elif claimed and len(self._claims) < self._max_active:
            timeout = 0.05  # more may be due right away
        return timeout

    async def _wait(self, stop: asyncio.Event | None, seconds: float, *, wake: bool = True) -> None:
        waiters: list[asyncio.Future[bool]] = []
        if wake:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        if stop is not None:
            waiters.append(asyncio.ensure_future(stop.wait()))
        if not waiters:
            await asyncio.sleep(seconds)
            return
        _, pending = await asyncio.wait(
            waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in pending:
            waiter.cancel()

    async def _claim(self, limit: int) -> int:
        async with self.sessions.begin() as session:
            claimed = await outbox.claim_due(
                session, instance=self.instance, now=self._now(), limit=limit, lease=self._lease
            )
        for delivery in claimed:
            self._claims[delivery.id] = delivery
            chain = self._chains.get(delivery.chat_id)
            if chain is not None:
                chain.append(delivery)
                continue
            self._chains[delivery.chat_id] = deque([delivery])
            task = asyncio.create_task(self._run_chain(delivery.chat_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            if self._claims:
                until = self._now() + dt.timedelta(seconds=self._lease)
                try:
                    async with self.sessions.begin() as session:
                        await outbox.renew_leases(
                            session, list(self._claims), self.instance, until=until
                        )
                except Exception:
                    log.exception("renewing delivery leases failed")

    async def _shutdown(self) -> None:
        self._stopping = True
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=5.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        # what was sent is written before the rest is handed back
        await self._progress.stop()
        if self.paid is not None:
            try:
                await self.paid.close()
            except Exception:
                log.exception("handing back unspent paid messages failed")
        if self._claims:
            try:
                async with self.sessions.begin() as session:
                    await outbox.release_claims(session, self.instance, list(self._claims))
            except Exception:
                # their leases run out instead; then any instance claims them again
                log.exception("handing claims back failed; their leases will run out")
            self._claims.clear()
        self._chains.clear()

    # ------------------------------------------------------------------ one chat

    async def _run_chain(self, chat_key: int) -> None:
        chain = self._chains[chat_key]
        try:
            while chain and not self._stopping:
                delivery = chain[0]
                try:
                    if not await self._deliver(delivery):
                        break  # stopping: _shutdown hands the claim back
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("delivery %s failed unexpectedly", delivery.id)
                    try:
                        await self._retry_later(delivery, "internal error (see the log)")
                    except Exception:
                        # the database is away: forget the claim here, so its lease is
                        # no longer renewed and runs out; it is claimed again later
                        self.stats.loop_errors += 1
                        log.exception(
                            "delivery %s: cannot record the failure; it is claimed again "
                            "when its lease runs out",
                            delivery.id,
                        )
                chain.popleft()
                self._claims.pop(delivery.id, None)
        finally:
            self._chains.pop(chat_key, None)
            self._dead_chats.pop(chat_key, None)
            self.limiter.forget(chat_key)
            self._wake.set()

    async def _deliver(self, d: Claimed) -> bool:
        """Send the rest of ``d``; False when stopped before it was done with."""
        while d.parts_sent < len(d.parts):
            if self._stopping:
                return False
            if d.id in self._superseded:
                return True
            if d.chat_id in self._dead_chats:
                await self._fail(d, f"chat inactive: {self._dead_chats[d.chat_id]}")
                return True
            paid = await self._take_paid(d)
            # the global slot: this process's limiter, or a slot source (shared, paid)
            source = self.paid_slots if paid else self.budget
            local = source is None and not paid
            await self._pace(d.chat_id, local)
            outcome: Outcome | None = None
            async with self._slots:
                # ask again: while this send waited for its slot, the sends ahead of it
                # may have filled the global window (slow answers free slots in bunches)
                await self._keep_window(local)
                if source is not None:
                    # taken while holding a send slot: the slot's moment is the send's
                    await self._wait_for(await source.acquire())
                sent_at = self.limiter.mark_sent(d.chat_id, count_global=local)
                params = message_params(
                    d.chat_id, d.parts[d.parts_sent], thread_id=d.thread_id, paid=paid
                )
                started = time.perf_counter()
                try:
                    await self._sender.send(params)
                except TelegramError as exc:
                    outcome = classify(exc)
                    if paid and self.paid is not None:
                        self.paid.give_back()
                else:
                    self.stats.send_seconds.observe(time.perf_counter() - started)
                    self.limiter.record_success(d.chat_id)
                    d.parts_sent += 1
                    done = d.parts_sent == len(d.parts)
                    kept = await self._progress.record(
                        PartSent(d.id, d.parts_sent, done, paid=paid)
                    )
                    self.stats.messages_sent += 1
                    self.stats.paid_sent += paid
                    if not kept:
                        self.stats.lost_claims += 1
                        log.warning("delivery %s: claim lost, another instance has it", d.id)
                        return True
                    if done:
                        self.stats.deliveries_sent += 1
            if outcome is not None and not await self._act(d, outcome, sent_at):
                return True
        return True

    async def _take_paid(self, d: Claimed) -> bool:
        """Whether this part goes as a paid broadcast: pushes only, while the cap lasts."""
        if self.paid is None or d.kind != DeliveryKind.PUSH:
            return False
        return await self.paid.take()

    async def _pace(self, chat_id: int, local: bool = True) -> None:
        """Wait for the chat's next moment; ``local``: and for a global slot of this
        process's limiter (otherwise a slot source gives it, once a send slot is held)."""
        while True:
            delay = self.limiter.chat_delay(chat_id)
            if delay <= 0:
                break
            await asyncio.sleep(delay)
        if local:
            delay = self.limiter.reserve_global(chat_id)
            if delay > 0:
                await asyncio.sleep(delay)
        await self._keep_window(local)

    async def _keep_window(self, local: bool = True) -> None:
        """Wait until a send now keeps the global window (``local``) and no global pause
        holds."""
        while True:
            window = self.limiter.send_delay() if local else 0.0
            delay = max(window, self.limiter.pause_delay())
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def _wait_for(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _pause_everyone(self, seconds: float) -> None:
        """A global flood: the shared schedules pause for every instance too."""
        for source in (self.budget, self.paid_slots):
            if source is None:
                continue
            try:
                await source.pause(seconds)
            except Exception:
                log.exception("pausing the shared send budget failed")

    # ------------------------------------------------------------------ answers

    async def _act(self, d: Claimed, outcome: Outcome, sent_at: float) -> bool:
        """Carry out what Telegram's answer calls for; True: send the part again now."""
        reason = self._redact(outcome.reason)
        action = outcome.action
        if action is Action.WAIT:
            self.stats.flood_waits += 1
            if self.limiter.record_flood(d.chat_id, outcome.retry_after, sent_at):
                self.stats.global_floods += 1
                log.warning(
                    "flood: many recent answers were 429; pausing all sends for %.0f s",
                    outcome.retry_after,
                )
                await self._pause_everyone(outcome.retry_after)
            if outcome.retry_after <= self.settings.delivery_max_sleep:
                return True
            due = self._now() + dt.timedelta(seconds=outcome.retry_after)
            await self._reschedule(d, due, d.attempts, reason)
            return False
        if action is Action.MIGRATE:
            assert outcome.new_chat_id is not None
            old, new = d.chat_id, outcome.new_chat_id
            async with self.sessions.begin() as session:
                superseded = await outbox.migrate_chat(session, old, new, now=self._now())
            self._superseded |= superseded
            self.limiter.rename(old, new)
            for claimed in self._claims.values():
                if claimed.chat_id == old:
                    claimed.chat_id = new
            self.stats.migrated += 1
            log.info("chat %s migrated to %s", old, new)
            return d.id not in superseded
        if action is Action.DEACTIVATE:
            self._dead_chats[d.chat_id] = reason
            async with self.sessions.begin() as session:
                await outbox.mark_failed(
                    session, d.id, self.instance, error=reason, now=self._now()
                )
                await outbox.deactivate_chat(session, d.chat_id, reason, now=self._now())
            self.stats.failed += 1
            self.stats.deactivated += 1
            log.info("chat %s deactivated: %s", d.chat_id, reason)
            return False
        if action is Action.DEACTIVATE_TOPIC:
            async with self.sessions.begin() as session:
                await outbox.mark_failed(
                    session, d.id, self.instance, error=reason, now=self._now()
                )
                await outbox.deactivate_topic(session, d.chat_id, d.thread_id)
            self.stats.failed += 1
            self.stats.deactivated += 1
            return False
        if action is Action.FAIL:
            await self._fail(d, reason)
            await self._alert(d, "bad message", reason)
            return False
        if outcome.alert:
            await self._alert(d, "error", reason)
        if outcome.uncertain:
            # Telegram may have accepted it: the retry may deliver it twice
            self.stats.uncertain += 1
            log.warning(
                "delivery %s to %s: outcome unknown (%s); retrying", d.id, d.chat_id, reason
            )
            reason = f"outcome unknown: {reason}"
        await self._retry_later(d, reason)
        return False

    async def _retry_later(self, d: Claimed, reason: str) -> None:
        d.attempts += 1
        if d.attempts >= self.settings.delivery_max_attempts:
            await self._fail(d, f"gave up after {d.attempts} attempts: {reason}", d.attempts)
            await self._alert(d, "gave up", reason)
            return
        delay = backoff_delay(d.attempts, base=self._backoff_base)
        await self._reschedule(d, self._now() + dt.timedelta(seconds=delay), d.attempts, reason)

    async def _reschedule(self, d: Claimed, due: dt.datetime, attempts: int, reason: str) -> None:
        async with self.sessions.begin() as session:
            await outbox.reschedule(
                session, d.id, self.instance, due_at=due, attempts=attempts, error=reason
            )
        self.stats.rescheduled += 1

    async def _fail(self, d: Claimed, reason: str, attempts: int | None = None) -> None:
        async with self.sessions.begin() as session:
            await outbox.mark_failed(
                session, d.id, self.instance, error=reason, now=self._now(), attempts=attempts
            )
        self.stats.failed += 1
        log.warning("delivery %s to %s failed: %s", d.id, d.chat_id, reason)

    async def _alert(self, d: Claimed, kind: str, reason: str) -> None:
        alert = AdminAlert(d.id, d.chat_id, kind, reason)
        self.stats.alerts.append(alert)
        if self._on_alert is not None:
            try:
                await self._on_alert(alert)
            except Exception:
                log.exception("telling the admins failed")

    def _redact(self, text: str) -> str:
        return redact(text, self.bot.token)
