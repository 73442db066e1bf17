"""The Prometheus metrics: a custom collector that reads state at scrape time, so no hot
path pays for them (the one exception is the send-latency histogram, which the engine
fills as it sends: ``digestbot.delivery.latency``).

Two kinds of numbers, named apart in the README:

* **cluster-wide**, read from the database (the same on every instance: aggregate them
  with ``max``, not ``sum``): the outbox's live deliveries by state (``pending`` is the
  queue depth; the finished ones are each engine's counters below: counting finished rows
  would scan the whole outbox at every scrape), ingest runs by outcome, each source's
  freshness, summaries written and pending, active subscriptions;
* **this process**, from its delivery engine (``EngineStats``) and its bot: messages sent,
  429 answers, send latency, requests refused by the flood control, the update loop and
  the scheduler.

``refresh()`` (async) reads the database into a snapshot: the outbox's live numbers at
every scrape, the rest (subscriptions, ingests, sources, summaries) at most once a
minute. ``collect()`` (what ``prometheus_client`` calls, synchronously) turns the
snapshot and the process state into metric families. A database that does not answer
gives ``digestbot_database_up 0`` and no database metrics, rather than a failed scrape."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.clock import as_utc, utcnow
from digestbot.services.health import ProcessState
from digestbot.store import models as m
from digestbot.store.archive import newest_day
from digestbot.store.sources import source_statuses
from digestbot.store.summaries import pending_summaries

log = logging.getLogger(__name__)

SCRAPE_DATABASE_TIMEOUT = 8.0  # Prometheus' scrape_timeout is 10 s by default
LIVE_STATES = (m.DeliveryState.PENDING, m.DeliveryState.SENDING)
ARCHIVE_REFRESH_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    name: str
    last_success_at: dt.datetime | None  # UTC
    newest_day: dt.date | None


@dataclass(frozen=True, slots=True)
class Outbox:
    """The outbox's live numbers, read at every scrape (through the (state, due_at, id)
    index: cheap however large the outbox grows)."""

    deliveries: dict[str, int]  # live state → deliveries
    due: int  # pending and due now


@dataclass(frozen=True, slots=True)
class Archive:
    """Numbers that change by the minute, read at most every ``ARCHIVE_REFRESH_SECONDS``
    (counting a million subscriptions takes a second or two)."""

    ingest_runs: dict[str, int]  # status → runs
    sources: list[SourceFreshness]
    summaries_written: int
    summary_requests_failed: int
    summaries_pending: int
    newest_day: dt.date | None
    subscriptions_active: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The database's numbers at one scrape."""

    outbox: Outbox
    archive: Archive


async def read_outbox(session: AsyncSession, now: dt.datetime) -> Outbox:
    # the live states only: counting the finished ones would scan the whole, ever-growing
    # outbox at every scrape (each engine counts what it sent and failed instead)
    live = m.Delivery.state.in_(LIVE_STATES)
    rows = await session.execute(
        select(m.Delivery.state, func.count()).where(live).group_by(m.Delivery.state)
    )
    due = await session.scalar(
        select(func.count()).where(
            m.Delivery.state == m.DeliveryState.PENDING, m.Delivery.due_at <= now
        )
    )
    return Outbox({state: n for state, n in rows.tuples()}, int(due or 0))


async def read_archive(session: AsyncSession) -> Archive:
    runs = await session.execute(
        select(m.IngestRun.status, func.count()).group_by(m.IngestRun.status)
    )
    sources = [
        SourceFreshness(
            status.name,
            as_utc(status.last_success_at) if status.last_success_at else None,
            status.newest_day,
        )
        for status in await source_statuses(session)
    ]
    usage_rows = await session.execute(select(m.LlmUsage.ok, func.count()).group_by(m.LlmUsage.ok))
    usage = {bool(ok): n for ok, n in usage_rows.tuples()}
    newest = await newest_day(session)
    pending = await pending_summaries(session, newest) if newest is not None else 0
    reachable = m.Subscription.active.is_(True) & m.Chat.active.is_(True)
    subscriptions = await session.scalar(
        select(func.count())
        .select_from(m.Subscription)
        .join(m.Chat, m.Chat.id == m.Subscription.chat_id)
        .where(reachable)
    )
    return Archive(
        ingest_runs={status: n for status, n in runs.tuples()},
        sources=sources,
        summaries_written=usage.get(True, 0),
        summary_requests_failed=usage.get(False, 0),
        summaries_pending=pending,
        newest_day=newest,
        subscriptions_active=int(subscriptions or 0),
    )


def _day_timestamp(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


class DigestbotCollector(Collector):
    """Registered in a ``CollectorRegistry`` of its own (``Metrics``)."""

    def __init__(self, state: Callable[[], ProcessState]) -> None:
        self.state = state
        self.snapshot: Snapshot | None = None

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "digestbot_database_up",
            "1 when the database answered this scrape's queries",
            value=1 if self.snapshot is not None else 0,
        )
        if self.snapshot is not None:
            yield from self._database(self.snapshot)
        yield from self._process(self.state())

    def _database(self, snap: Snapshot) -> Iterator[Metric]:
        deliveries = GaugeMetricFamily(
            "digestbot_outbox_deliveries",
            "Deliveries waiting (state=pending: the queue depth) or being sent (sending)",
            labels=["state"],
        )
        for state in LIVE_STATES:
            deliveries.add_metric([state], snap.outbox.deliveries.get(state, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "digestbot_outbox_due",
            "Pending deliveries already due (the rest wait for a retry or a later time)",
            value=snap.outbox.due,
        )
        yield from self._archive(snap.archive)

    def _archive(self, snap: Archive) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "digestbot_ingest_runs", "Attempts to ingest a day, by outcome", labels=["outcome"]
        )
        for status in m.IngestStatus:
            runs.add_metric([status], snap.ingest_runs.get(status, 0))
        yield runs
        age = GaugeMetricFamily(
            "digestbot_source_last_success_age_seconds",
            "Seconds since each source last answered",
            labels=["source"],
        )
        newest = GaugeMetricFamily(
            "digestbot_source_newest_day_timestamp_seconds",
            "The newest day each source had content for (Unix time of its midnight UTC)",
            labels=["source"],
        )
        now = utcnow()
        for source in snap.sources:
            if source.last_success_at is not None:
                age.add_metric([source.name], (now - source.last_success_at).total_seconds())
            if source.newest_day is not None:
                newest.add_metric([source.name], _day_timestamp(source.newest_day))
        yield age
        yield newest
        requests = CounterMetricFamily(
            "digestbot_summary_requests",
            "Summary requests to the model, by outcome (ok: a summary was written)",
            labels=["outcome"],
        )
        requests.add_metric(["ok"], snap.summaries_written)
        requests.add_metric(["failed"], snap.summary_requests_failed)
        yield requests
        yield GaugeMetricFamily(
            "digestbot_summaries_pending",
            "Papers of the newest stored day without Korean sections yet",
            value=snap.summaries_pending,
        )
        if snap.newest_day is not None:
            yield GaugeMetricFamily(
                "digestbot_newest_day_timestamp_seconds",
                "The newest stored day (Unix time of its midnight UTC)",
                value=_day_timestamp(snap.newest_day),
            )
        yield GaugeMetricFamily(
            "digestbot_subscriptions_active",
            "Active subscriptions of reachable chats",
            value=snap.subscriptions_active,
        )

    def _process(self, state: ProcessState) -> Iterator[Metric]:
        stats = state.engine
        if stats is not None:
            counters = {
                "digestbot_messages_sent": ("Messages Telegram accepted", stats.messages_sent),
                "digestbot_deliveries_sent": (
                    "Deliveries whose every message Telegram accepted",
                    stats.deliveries_sent,
                ),
                "digestbot_deliveries_failed": ("Deliveries given up", stats.failed),
                "digestbot_flood_waits": ("429 answers (retry_after)", stats.flood_waits),
                "digestbot_deliveries_rescheduled": (
                    "Deliveries put back for later (long 429, transient errors)",
                    stats.rescheduled,
                ),
                "digestbot_sends_uncertain": (
                    "Sends that timed out after the request went out (maybe sent twice)",
                    stats.uncertain,
                ),
                "digestbot_engine_loop_errors": (
                    "Errors the running engine outlived",
                    stats.loop_errors,
                ),
            }
            for name, (doc, value) in counters.items():
                yield CounterMetricFamily(name, f"{doc} (this process)", value=value)
            yield from stats.send_seconds.collect()
        if state.role == "bot":
            yield CounterMetricFamily(
                "digestbot_throttled_requests",
                "Commands, button presses and inline queries refused by the flood control",
                value=state.throttled,
            )
        if state.updates is not None:
            yield GaugeMetricFamily(
                "digestbot_updates_running",
                "1 while the polling loop or the webhook server runs",
                value=1 if state.updates.running else 0,
            )
            if state.updates.last_update_age is not None:
                yield GaugeMetricFamily(
                    "digestbot_last_update_age_seconds",
                    "Seconds since the newest update arrived",
                    value=state.updates.last_update_age,
                )
        if state.scheduler is not None:
            yield GaugeMetricFamily(
                "digestbot_scheduler_leader",
                "1 on the instance that runs the scheduled jobs",
                value=1 if state.scheduler.leader else 0,
            )
            if state.scheduler.ticked and state.scheduler.tick_age is not None:
                yield GaugeMetricFamily(
                    "digestbot_push_tick_age_seconds",
                    "Seconds since the last push tick finished (leader only)",
                    value=state.scheduler.tick_age,
                )


class Metrics:
    """The registry ``/metrics`` serves: ``await render()`` reads the database, then
    exposes every metric in Prometheus' text format."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], state: Callable[[], ProcessState]
    ) -> None:
        self.sessions = sessions
        self.collector = DigestbotCollector(state)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self._lock = asyncio.Lock()
        self._archive: Archive | None = None
        self.archive_refresh = ARCHIVE_REFRESH_SECONDS
        self._archive_at = 0.0

    async def refresh(self) -> None:
        try:
            async with asyncio.timeout(SCRAPE_DATABASE_TIMEOUT), self.sessions() as session:
                outbox = await read_outbox(session, utcnow())
                now = time.monotonic()
                if self._archive is None or now - self._archive_at >= self.archive_refresh:
                    self._archive, self._archive_at = await read_archive(session), now
                self.collector.snapshot = Snapshot(outbox, self._archive)
        except Exception as exc:  # the scrape still answers, with database_up 0
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            self.collector.snapshot = None

    async def render(self) -> bytes:
        # one scrape at a time: the snapshot is the collector's
        async with self._lock:
            await self.refresh()
            return generate_latest(self.registry)
