"""The Prometheus metrics: a custom collector that reads state at scrape time, so no hot
path pays for them (the one exception is the send-latency histogram, which the engine
fills as it sends: ``digestbot.delivery.latency``).

Two kinds of numbers, named apart in the README:

* **cluster-wide**, read from the database (the same on every instance: aggregate them
  with ``max``, not ``sum``): deliveries by kind and state (``pending`` is the queue
  depth), ingest runs by outcome, each source's freshness, summaries written and
  pending, active subscriptions;
* **this process**, from its delivery engine (``EngineStats``) and its bot: messages sent,
  429 answers, send latency, requests refused by the flood control, the update loop and
  the scheduler.

``refresh()`` (async) reads the database into a snapshot; ``collect()`` (what
``prometheus_client`` calls, synchronously) turns the snapshot and the process state
into metric families. A database that does not answer gives ``digestbot_database_up 0``
and no database metrics, rather than a failed scrape."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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

SCRAPE_DATABASE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    name: str
    last_success_age: float | None  # seconds
    newest_day: dt.date | None


@dataclass(slots=True)
class Snapshot:
    """The database's numbers at one scrape."""

    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, state)
    ingest_runs: dict[str, int] = field(default_factory=dict)  # status → runs
    sources: list[SourceFreshness] = field(default_factory=list)
    summaries_written: int = 0
    summary_requests_failed: int = 0
    summaries_pending: int = 0
    newest_day: dt.date | None = None
    subscriptions_active: int = 0


async def read_snapshot(session: AsyncSession, now: dt.datetime) -> Snapshot:
    snap = Snapshot()
    rows = await session.execute(
        select(m.Delivery.kind, m.Delivery.state, func.count()).group_by(
            m.Delivery.kind, m.Delivery.state
        )
    )
    snap.deliveries = {(kind, state): n for kind, state, n in rows.tuples()}
    rows2 = await session.execute(
        select(m.IngestRun.status, func.count()).group_by(m.IngestRun.status)
    )
    snap.ingest_runs = {status: n for status, n in rows2.tuples()}
    for status in await source_statuses(session):
        success = as_utc(status.last_success_at) if status.last_success_at else None
        age = (now - success).total_seconds() if success else None
        snap.sources.append(SourceFreshness(status.name, age, status.newest_day))
    rows3 = await session.execute(select(m.LlmUsage.ok, func.count()).group_by(m.LlmUsage.ok))
    usage = {bool(ok): n for ok, n in rows3.tuples()}
    snap.summaries_written = usage.get(True, 0)
    snap.summary_requests_failed = usage.get(False, 0)
    snap.newest_day = await newest_day(session)
    if snap.newest_day is not None:
        snap.summaries_pending = await pending_summaries(session, snap.newest_day)
    reachable = m.Subscription.active.is_(True) & m.Chat.active.is_(True)
    snap.subscriptions_active = int(
        await session.scalar(
            select(func.count())
            .select_from(m.Subscription)
            .join(m.Chat, m.Chat.id == m.Subscription.chat_id)
            .where(reachable)
        )
        or 0
    )
    return snap


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
            "digestbot_deliveries",
            "Deliveries in the outbox by kind and state (state=pending: the queue depth)",
            labels=["kind", "state"],
        )
        for kind in m.DeliveryKind:
            for state in m.DeliveryState:
                deliveries.add_metric([kind, state], snap.deliveries.get((kind, state), 0))
        yield deliveries
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
        for source in snap.sources:
            if source.last_success_age is not None:
                age.add_metric([source.name], source.last_success_age)
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

    async def refresh(self) -> None:
        try:
            async with asyncio.timeout(SCRAPE_DATABASE_TIMEOUT), self.sessions() as session:
                self.collector.snapshot = await read_snapshot(session, utcnow())
        except Exception as exc:  # the scrape still answers, with database_up 0
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            self.collector.snapshot = None

    async def render(self) -> bytes:
        # one scrape at a time: the snapshot is the collector's
        async with self._lock:
            await self.refresh()
            return generate_latest(self.registry)
