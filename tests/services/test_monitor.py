"""/metrics and /healthz over real HTTP: after an ingest (from a local HTTP archive) and a
push sent through the fake Bot API server, the scrape shows the numbers; readiness says
ready, or not (database gone, no recent push tick) with the reason."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.cli.health import healthz_url, probe
from digestbot.config import Settings
from digestbot.delivery import outbox
from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import DeliveryEngine, EngineStats
from digestbot.delivery.enqueue import enqueue_push
from digestbot.delivery.outbox import NewDelivery
from digestbot.digest.sources.archive import HttpSource
from digestbot.errors import ConfigError
from digestbot.services.health import (
    Check,
    ProcessState,
    SchedulerState,
    UpdateMode,
    UpdatesState,
    check_scheduler,
    check_updates,
)
from digestbot.services.ingest import Sources, ingest_day
from digestbot.services.metrics import DigestbotCollector
from digestbot.services.monitor import Monitor, serving
from digestbot.store.db import create_engine, session_factory
from digestbot.store.models import DeliveryKind
from tests.conftest import DIGESTS, FAST_LIMITS
from tests.delivery.conftest import add_subscribers
from tests.support.botapi import FakeBotAPI
from tests.support.digest_server import DigestServer
from tests.support.ports import free_port
from tests.support.settings import settings_for

Sessions = async_sessionmaker[AsyncSession]
DAY = dt.date(2024, 8, 23)

Serve = Callable[[Monitor], Awaitable[str]]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def settings(botapi: FakeBotAPI, db_url: str) -> Settings:
    return settings_for(botapi, db_url, delivery_max_sleep=5.0, **FAST_LIMITS)


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts monitors on free ports; yields a function giving a monitor's base URL."""
    started: list[Monitor] = []

    async def start(monitor: Monitor) -> str:
        port = await monitor.start(port=0)
        started.append(monitor)
        return f"http://127.0.0.1:{port}"

    yield start
    for monitor in started:
        await monitor.stop()


def bot_state(
    engine: EngineStats | None = None, *, tick_age: float = 30.0, ticked: bool = True
) -> ProcessState:
    return ProcessState(
        role="bot",
        engine=engine,
        updates=UpdatesState(UpdateMode.POLLING, running=True, last_update_age=4.0),
        scheduler=SchedulerState(leader=True, tick_age=tick_age, ticked=ticked),
        throttled=2,
    )


async def test_a_scrape_after_an_ingest_and_a_push_shows_the_numbers(
    botapi: FakeBotAPI, settings: Settings, sessions: Sessions, tmp_path: Path, serve: Serve
) -> None:
    target = tmp_path / "2024" / "08"
    target.mkdir(parents=True)
    (target / "23.md").write_bytes((DIGESTS / "2024/08/23.md").read_bytes())
    with DigestServer(tmp_path) as server:
        async with httpx.AsyncClient(timeout=2) as client:
            src = HttpSource(server.url + "/{YYYY}/{MM}/{DD}.md", client, retries=0, backoff=0)
            assert (await ingest_day(sessions, Sources(src), DAY)).status == "stored"
            missing = await ingest_day(sessions, Sources(src), DAY + dt.timedelta(days=2))
            assert missing.status == "missing"

    chats = [11, 12, 13, 14]
    for chat in chats:
        botapi.add_chat(chat)
    await add_subscribers(sessions, chats)
    botapi.block_chat(14)
    # a 429 makes the engine wait a whole second (retry_after ≥ 1): the 429 counter is
    # checked on the collector alone, below
    async with sessions.begin() as session:
        assert await enqueue_push(session, DAY) == 4
    async with make_bot(settings) as bot:
        engine = DeliveryEngine(
            bot, sessions, settings, instance="test", backoff_base=0.01, poll_interval=0.05
        )
        stats = await engine.run_until_idle()
    assert (stats.deliveries_sent, stats.failed, stats.flood_waits) == (3, 1, 0)
    # one more, still queued
    await add_subscribers(sessions, [15])
    async with sessions.begin() as session:
        assert await enqueue_push(session, DAY) == 1

    monitor = Monitor(settings, sessions, lambda: bot_state(engine.stats))
    base = await serve(monitor)
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{base}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    got = parse(answer.text)

    assert value(got, "digestbot_database_up") == 1
    assert value(got, "digestbot_outbox_deliveries", state="pending") == 1
    assert value(got, "digestbot_outbox_deliveries", state="sending") == 0
    assert value(got, "digestbot_outbox_due") == 1
    # the day's top 5 is one message each (the compact push)
    assert value(got, "digestbot_messages_sent_total") == stats.messages_sent == 3
    assert value(got, "digestbot_deliveries_sent_total") == 3
    assert value(got, "digestbot_deliveries_failed_total") == 1
    assert value(got, "digestbot_flood_waits_total") == 0
    assert value(got, "digestbot_send_seconds_count") == 3
    assert 0 < value(got, "digestbot_send_seconds_sum") < 10
    assert value(got, "digestbot_send_seconds_bucket", le="+Inf") == 3
    assert value(got, "digestbot_ingest_runs_total", outcome="stored") == 1
    assert value(got, "digestbot_ingest_runs_total", outcome="missing") == 1
    assert value(got, "digestbot_ingest_runs_total", outcome="failed") == 0
    assert 0 <= value(got, "digestbot_source_last_success_age_seconds", source="archive") < 60
    midnight = dt.datetime(2024, 8, 23, tzinfo=dt.UTC).timestamp()
    assert value(got, "digestbot_source_newest_day_timestamp_seconds", source="archive") == (
        midnight
    )
    assert value(got, "digestbot_newest_day_timestamp_seconds") == midnight
    assert value(got, "digestbot_summaries_pending") == 0  # the archive had every section
    assert value(got, "digestbot_summary_requests_total", outcome="ok") == 0
    assert value(got, "digestbot_subscriptions_active") == 4  # 14 blocked the bot
    assert value(got, "digestbot_throttled_requests_total") == 2
    assert value(got, "digestbot_scheduler_leader") == 1
    assert value(got, "digestbot_push_tick_age_seconds") == 30
    assert value(got, "digestbot_updates_running") == 1


async def test_the_outbox_is_read_at_every_scrape_the_rest_once_a_minute(
    settings: Settings, sessions: Sessions
) -> None:
    monitor = Monitor(settings, sessions, lambda: ProcessState(role="deliver"))
    first = parse((await monitor.metrics.render()).decode())
    assert value(first, "digestbot_subscriptions_active") == 0
    assert value(first, "digestbot_outbox_deliveries", state="pending") == 0
    await add_subscribers(sessions, [21, 22])
    async with sessions.begin() as session:
        await outbox.add_deliveries(
            session, [NewDelivery("x:1", DeliveryKind.BROADCAST, 21, 0, ["hello"])]
        )
    second = parse((await monitor.metrics.render()).decode())
    assert value(second, "digestbot_outbox_deliveries", state="pending") == 1
    assert value(second, "digestbot_subscriptions_active") == 0  # read under a minute ago
    monitor.metrics.archive_refresh = 0.0
    third = parse((await monitor.metrics.render()).decode())
    assert value(third, "digestbot_subscriptions_active") == 2


def test_every_engine_counter_reaches_the_scrape() -> None:
    stats = EngineStats(
        deliveries_sent=2, messages_sent=3, failed=4, rescheduled=5, flood_waits=6, uncertain=7
    )
    stats.loop_errors = 8
    collector = DigestbotCollector(lambda: ProcessState(role="deliver", engine=stats))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    got = parse(generate_latest(registry).decode())
    assert value(got, "digestbot_database_up") == 0  # no snapshot read
    expected = {
        "digestbot_deliveries_sent_total": 2,
        "digestbot_messages_sent_total": 3,
        "digestbot_deliveries_failed_total": 4,
        "digestbot_deliveries_rescheduled_total": 5,
        "digestbot_flood_waits_total": 6,
        "digestbot_sends_uncertain_total": 7,
        "digestbot_engine_loop_errors_total": 8,
    }
    assert {name: value(got, name) for name in expected} == expected
    # a delivery worker has no bot: no updates, scheduler or throttle metrics
    assert not any(
        name.startswith(("digestbot_updates", "digestbot_sched", "digestbot_thr"))
        for name, _ in got
    )


async def test_healthz_ready_then_not_ready_without_a_recent_tick(
    settings: Settings, sessions: Sessions, serve: Serve
) -> None:
    state = {"now": bot_state()}
    base = await serve(Monitor(settings, sessions, lambda: state["now"]))
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"{base}/healthz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "role": "bot",
            "checks": {
                "database": {"ok": True, "detail": "reachable"},
                "updates": {"ok": True, "detail": "polling; last update 4 s ago"},
                "scheduler": {"ok": True, "detail": "leader: last push tick 30 s ago"},
            },
        }
        state["now"] = bot_state(tick_age=900.0)
        stale = await client.get(f"{base}/healthz")
        assert stale.status_code == 503
        body = stale.json()
        assert body["status"] == "not ready"
        assert body["checks"]["scheduler"] == {
            "ok": False,
            "detail": "leader: last push tick 900 s ago",
        }
        live = await client.get(f"{base}/livez")
        assert (live.status_code, live.json()) == (200, {"status": "alive"})


async def test_healthz_not_ready_when_the_database_is_gone(
    settings: Settings, serve: Serve
) -> None:
    # a PostgreSQL server that is not there (nothing listens on port 1): refused at once
    gone = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    try:
        state = ProcessState(role="deliver", engine=EngineStats())
        monitor = Monitor(settings, session_factory(gone), lambda: state)
        base = await serve(monitor)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{base}/healthz")
            metrics = await client.get(f"{base}/metrics")
    finally:
        await gone.dispose()
    assert health.status_code == 503
    check = health.json()["checks"]["database"]
    assert check["ok"] is False and check["detail"].startswith("unreachable: ")
    assert set(health.json()["checks"]) == {"database"}  # a delivery worker: nothing else
    # the scrape still answers: the database is down, the engine's numbers are there
    got = parse(metrics.text)
    assert value(got, "digestbot_database_up") == 0
    assert value(got, "digestbot_messages_sent_total") == 0
    assert not any(name == "digestbot_outbox_deliveries" for name, _ in got)


async def test_the_healthcheck_command_probes_healthz(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions, serve: Serve
) -> None:
    state = {"now": bot_state()}
    settings = settings_for(botapi, db_url)
    monitor = Monitor(settings, sessions, lambda: state["now"])
    base = await serve(monitor)
    assert monitor.port is not None
    url = healthz_url(settings.model_copy(update={"metrics_port": monitor.port}))
    assert url == f"{base}/healthz"
    status, body = await asyncio.to_thread(probe, url, 5.0)
    assert status == 200 and '"ready"' in body
    state["now"] = bot_state(tick_age=900.0)
    status, body = await asyncio.to_thread(probe, url, 5.0)
    assert status == 503 and '"not ready"' in body
    await monitor.stop()
    status, body = await asyncio.to_thread(probe, url, 5.0)
    assert status == 0 and body.startswith("no answer from")
    assert healthz_url(settings) is None  # the port is off by default


def test_scheduler_check_counts_from_taking_the_lock_before_the_first_tick() -> None:
    fresh = SchedulerState(leader=True, tick_age=10.0, ticked=False)
    assert check_scheduler(fresh) == check_scheduler(fresh, max_age=300)
    assert check_scheduler(fresh).ok and "pending" in check_scheduler(fresh).detail
    stuck = SchedulerState(leader=True, tick_age=400.0, ticked=False)
    assert not check_scheduler(stuck).ok
    assert check_scheduler(SchedulerState(False, None, False)).detail == "follower"


def test_updates_check_in_webhook_mode_may_require_a_recent_update() -> None:
    quiet = UpdatesState(UpdateMode.WEBHOOK, running=True, last_update_age=None)
    assert check_updates(quiet, webhook_silence=0).ok
    assert not check_updates(quiet, webhook_silence=600).ok
    recent = UpdatesState(UpdateMode.WEBHOOK, running=True, last_update_age=30.0)
    assert check_updates(recent, webhook_silence=600).ok
    stopped = UpdatesState(UpdateMode.POLLING, running=False, last_update_age=30.0)
    assert check_updates(stopped, webhook_silence=0).detail == (
        "polling stopped; last update 30 s ago"
    )
    assert not check_updates(stopped, webhook_silence=0).ok


def test_a_standby_poller_is_ready_while_another_instance_polls() -> None:
    standby = UpdatesState(UpdateMode.POLLING, running=False, last_update_age=None, standby=True)
    assert check_updates(standby, webhook_silence=0) == Check(
        True, "polling: standby, the leading instance polls; no update yet"
    )
    # once it took the lead it must poll: standing by no longer excuses a stopped loop
    leading = UpdatesState(UpdateMode.POLLING, running=False, last_update_age=None, standby=False)
    assert not check_updates(leading, webhook_silence=0).ok


async def test_served_only_when_a_port_is_set_and_a_busy_port_is_one_line(
    settings: Settings, sessions: Sessions
) -> None:
    state = ProcessState(role="deliver", engine=EngineStats())
    async with serving(settings, sessions, lambda: state) as off:
        assert off is None  # metrics_port unset: nothing listens
    port = free_port()
    on = settings.model_copy(update={"metrics_port": port})
    async with serving(on, sessions, lambda: state) as monitor, httpx.AsyncClient() as client:
        assert monitor is not None and monitor.port == port
        assert (await client.get(f"http://127.0.0.1:{port}/livez")).status_code == 200
        with pytest.raises(ConfigError, match=f"DIGESTBOT_METRICS_PORT.*127.0.0.1:{port}"):
            await Monitor(on, sessions, lambda: state).start()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/livez")
