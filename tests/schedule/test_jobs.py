"""The scheduled jobs: the push tick and the daily ingest, and the bot's runtime that runs
them (leadership, the supervised engine), against the fake Bot API and a real digest
HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot.bot.app import build_application, running
from digestbot.bot.runtime import ChannelResolver, leadership_tick, supervise
from digestbot.clock import EPOCH, as_utc
from digestbot.config import Settings, load_settings
from digestbot.delivery import outbox
from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import DeliveryEngine
from digestbot.digest.sources import make_source
from digestbot.digest.sources.huggingface import HuggingFaceSource
from digestbot.schedule.jobs import DailyIngest, push_tick
from digestbot.schedule.leader import LeaderLock, scheduler_lock_key
from digestbot.services import subscriptions
from digestbot.services.ingest import Sources, ingest_day, refresh_votes
from digestbot.store import chats
from digestbot.store.db import create_engine, session_factory
from digestbot.store.models import Chat, Delivery, IngestRun, Subscription
from tests.conftest import DIGESTS, FAST_LIMITS, POSTGRES_ONLY
from tests.delivery.conftest import store_sample_digest
from tests.support.botapi import FakeBotAPI
from tests.support.digest_server import DigestServer
from tests.support.hf_server import HFServer, hf_item
from tests.support.settings import settings_for
from tests.support.times import DAY, SEOUL, UTC, at

Sessions = async_sessionmaker[AsyncSession]


# --------------------------------------------------------------------------- push tick

USER = 1001
USER_EN = 1002
USER_NY = 1003
FORUM = -100700
TOPIC = 7
CHANNEL = -100900
FAST = FAST_LIMITS


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        for user in (USER, USER_EN, USER_NY):
            server.add_user(user, f"User {user}")
        server.add_chat(FORUM, "supergroup", "Forum", is_forum=True)
        server.add_chat(CHANNEL, "channel", "Papers", username="papers_ko")
        yield server
        assert server.errors == []


_DEFAULTS: dict[str, Any] = {"top_n": 2, **FAST}


def make_settings(server: FakeBotAPI, db_url: str, **overrides: Any) -> Settings:
    """The suite's one settings builder (``settings_for``), with this module's defaults."""
    return settings_for(server, db_url, **{**_DEFAULTS, **overrides})


async def subscribe(
    sessions: Sessions,
    chat_id: int,
    *,
    kind: str = "private",
    thread_id: int = 0,
    push_time: str = "08:00",
    timezone: str = "Asia/Seoul",
    top_n: int = 5,
    sections: list[str] | None = None,
    language: str = "ko",
    active: bool = True,
) -> None:
    async with sessions.begin() as session:
        if await session.get(Chat, chat_id) is None:
            session.add(Chat(id=chat_id, type=kind, title=str(chat_id), language=language))
            await session.flush()
        session.add(
            Subscription(
                chat_id=chat_id,
                thread_id=thread_id,
                push_time=push_time,
                timezone=timezone,
                top_n=top_n,
                sections=sections or [],
                active=active,
            )
        )


async def send_all(settings: Settings, sessions: Sessions) -> int:
    async with make_bot(settings) as bot:
        engine = DeliveryEngine(bot, sessions, settings, instance="test")
        stats = await engine.run_until_idle()
    return stats.deliveries_sent


async def deliveries(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Delivery.dedupe_key, Delivery.state).order_by(Delivery.dedupe_key)
        )
        return [(k, s) for k, s in rows.tuples()]


async def test_each_target_gets_its_push_once_however_often_ticks_run(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url, channels=["@papers_ko"])
    await store_sample_digest(sessions, DAY, papers=3)
    await subscribe(sessions, USER)
    await subscribe(sessions, USER_EN, top_n=1, sections=["What's New"], language="en")
    await subscribe(sessions, FORUM, kind="supergroup", thread_id=TOPIC, top_n=2)
    await subscribe(sessions, USER_NY, timezone="America/New_York")  # not yet morning there
    await subscribe(sessions, 1004, active=False)  # unsubscribed
    async with make_bot(settings) as bot:
        channels = await ChannelResolver(settings.channels).resolve(bot, dt.datetime.now(UTC))
    assert channels == [CHANNEL]

    now = at(SEOUL, 2025, 5, 9, 8, 0, 30)
    second = create_engine(db_url)  # another instance with its own connections
    try:
        counts = await asyncio.gather(
            push_tick(sessions, settings, now, channels=channels),
            push_tick(session_factory(second), settings, now, channels=channels),
        )
    finally:
        await second.dispose()
    assert sum(counts) == 4
    assert (
        await push_tick(sessions, settings, now + dt.timedelta(minutes=1), channels=channels) == 0
    )
    assert await send_all(settings, sessions) == 4
    # a restart later that morning: the tick finds everything done
    assert await push_tick(sessions, settings, now + dt.timedelta(hours=3), channels=channels) == 0
    assert await send_all(settings, sessions) == 0

    assert sorted(await deliveries(sessions)) == sorted(
        [
            (f"push:2025-05-09:{USER}:0", "sent"),
            (f"push:2025-05-09:{USER_EN}:0", "sent"),
            (f"push:2025-05-09:{FORUM}:{TOPIC}", "sent"),
            (f"push:2025-05-09:{CHANNEL}:0", "sent"),
        ]
    )
    [mine] = botapi.sent_to(USER)
    assert mine.text.startswith("📰 <b>Daily Papers 2025-05-09</b> · 3편\n\n")
    assert all(f"Paper number {i} &lt;b&gt;bold&lt;/b&gt;" in mine.text for i in (1, 2, 3))
    [english] = botapi.sent_to(USER_EN)
    # one of the day's three papers: the header says so, as /today does
    assert english.text.startswith("📰 <b>Daily Papers 2025-05-09</b> · top 1 of 3\n\n")
    assert "Paper number 1 " in english.text and "Paper number 2 " not in english.text
    [topic] = botapi.sent_to(FORUM)
    assert topic.message_thread_id == TOPIC
    assert "Paper number 2 " in topic.text and "Paper number 3 " not in topic.text
    [channel] = botapi.sent_to(CHANNEL)
    assert channel.message_thread_id is None
    assert "Paper number 2 " in channel.text and "Paper number 3 " not in channel.text  # top_n 2
    assert botapi.sent_to(USER_NY) == []


async def test_a_zone_chosen_with_subscribe_sets_when_the_push_is_due(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url)  # default zone Asia/Seoul
    await store_sample_digest(sessions, DAY, papers=3)
    async with sessions.begin() as session:
        await chats.ensure_chat(session, 2001, "private", "Berlin", "en")
        await subscriptions.subscribe(
            session, 2001, 0, settings, push_time="07:30", timezone="Europe/Berlin"
        )
    berlin = ZoneInfo("Europe/Berlin")
    assert await push_tick(sessions, settings, at(SEOUL, 2025, 5, 9, 7, 30)) == 0
    assert await push_tick(sessions, settings, at(berlin, 2025, 5, 9, 7, 29)) == 0
    assert await push_tick(sessions, settings, at(berlin, 2025, 5, 9, 7, 30)) == 1
    assert await deliveries(sessions) == [("push:2025-05-09:2001:0", "pending")]


async def test_a_digest_that_appears_after_the_push_time_goes_out_then(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url)
    await subscribe(sessions, USER)
    await store_sample_digest(sessions, dt.date(2025, 5, 8), papers=1)
    morning = at(SEOUL, 2025, 5, 9, 8, 0, 10)
    # the 8th was pushed the day before; the 9th is not there yet
    assert await push_tick(sessions, settings, morning - dt.timedelta(days=1)) == 1
    assert await push_tick(sessions, settings, morning) == 0
    await store_sample_digest(sessions, DAY, papers=1)
    assert await push_tick(sessions, settings, morning + dt.timedelta(hours=2)) == 1
    assert await send_all(settings, sessions) == 2
    texts = [m.text.split("\n", 1)[0] for m in botapi.sent_to(USER)]
    assert texts == [
        "📰 <b>Daily Papers 2025-05-08</b> · 1편",
        "📰 <b>Daily Papers 2025-05-09</b> · 1편",
    ]


async def next_moments(sessions: Sessions) -> dict[int, dt.datetime | None]:
    async with sessions() as session:
        rows = await session.execute(select(Subscription.chat_id, Subscription.next_push_at))
        return {chat: None if at_ is None else as_utc(at_) for chat, at_ in rows.tuples()}


async def test_a_tick_stores_each_subscriptions_next_moment(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url)
    new_york = ZoneInfo("America/New_York")
    await store_sample_digest(sessions, dt.date(2025, 5, 8), papers=1)
    await subscribe(sessions, USER)  # 08:00 Seoul
    await subscribe(sessions, USER_NY, timezone="America/New_York")
    await subscribe(sessions, 1004, active=False)
    morning = at(SEOUL, 2025, 5, 9, 8, 0, 10)  # 19:00 on the 8th in New York
    # Seoul: the 9th is not in yet, the 8th goes out and the subscription keeps waiting;
    # New York: the 8th's push is done, its next moment is the 9th; 1004 is off
    assert await push_tick(sessions, settings, morning) == 2
    assert await next_moments(sessions) == {
        USER: at(SEOUL, 2025, 5, 9, 8, 0),
        USER_NY: at(new_york, 2025, 5, 9, 8, 0),
        1004: None,
    }
    await store_sample_digest(sessions, DAY, papers=1)
    assert await push_tick(sessions, settings, morning + dt.timedelta(hours=1)) == 1
    assert (await next_moments(sessions))[USER] == at(SEOUL, 2025, 5, 10, 8, 0)
    # nobody due: nothing queued, nothing moved
    before = await next_moments(sessions)
    assert await push_tick(sessions, settings, morning + dt.timedelta(hours=2)) == 0
    assert await next_moments(sessions) == before

    async with sessions.begin() as session:
        await subscriptions.unsubscribe(session, USER, 0)
    assert (await next_moments(sessions))[USER] is None
    async with sessions.begin() as session:
        await subscriptions.subscribe(session, USER, 0, settings, push_time="09:30")
    assert (await next_moments(sessions))[USER] == EPOCH
    # a chat that blocked the bot: its due subscription is switched off by the next tick,
    # and worked out again when the chat talks to the bot again
    async with sessions.begin() as session:
        await chats.deactivate_chat(session, USER, "blocked")
    assert await push_tick(sessions, settings, morning + dt.timedelta(hours=3)) == 0
    assert (await next_moments(sessions))[USER] is None
    async with sessions.begin() as session:
        await chats.ensure_chat(session, USER, "private", "back", "ko")
    assert (await next_moments(sessions))[USER] == EPOCH
    # the 9th reached it already that morning: never twice, and the next is the 10th's
    assert await push_tick(sessions, settings, at(SEOUL, 2025, 5, 9, 9, 30, 5)) == 0
    assert (await next_moments(sessions))[USER] == at(SEOUL, 2025, 5, 10, 9, 30)
    assert await deliveries(sessions) == [
        (f"push:2025-05-08:{USER}:0", "pending"),
        (f"push:2025-05-08:{USER_NY}:0", "pending"),
        (f"push:2025-05-09:{USER}:0", "pending"),
    ]


async def test_the_bot_catches_up_on_start_within_the_window(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    """The real Application: its first push tick right after start is the catch-up."""
    now = dt.datetime.now(SEOUL)
    two_hours_ago = now - dt.timedelta(hours=2)
    twenty_hours_ago = now - dt.timedelta(hours=20)
    await store_sample_digest(sessions, twenty_hours_ago.date(), papers=1)
    if two_hours_ago.date() != twenty_hours_ago.date():
        await store_sample_digest(sessions, two_hours_ago.date(), papers=1)
    await subscribe(sessions, USER, push_time=f"{two_hours_ago:%H:%M}")
    await subscribe(sessions, USER_EN, push_time=f"{twenty_hours_ago:%H:%M}")
    settings = make_settings(botapi, db_url, ingest_time="00:00", ingest_cutoff="00:00")
    app = build_application(settings)
    async with running(app, poll_timeout=1):
        [pushed] = await botapi.wait_for_messages(USER, 1, timeout=10)
        await asyncio.sleep(0.3)
    assert pushed.text.startswith(f"📰 <b>Daily Papers {two_hours_ago.date().isoformat()}</b>")
    assert botapi.sent_to(USER_EN) == []


async def test_the_jobs_are_registered_with_their_times(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url, ingest_time="06:45", ingest_retry_minutes=7)
    app = build_application(settings)
    async with running(app, poll_timeout=1):
        assert app.job_queue is not None
        jobs = {job.name: job for job in app.job_queue.jobs()}
        assert set(jobs) == {
            "push-tick",
            "ingest-daily",
            "ingest-retry",
            "outbox-prune",
            "leadership",
        }
        daily = jobs["ingest-daily"]
        assert daily.next_t is not None
        assert daily.next_t.astimezone(SEOUL).time() == dt.time(6, 45)
        assert jobs["push-tick"].job.trigger.interval == dt.timedelta(seconds=60)
        assert jobs["ingest-retry"].job.trigger.interval == dt.timedelta(minutes=7)
        assert jobs["outbox-prune"].job.trigger.interval == dt.timedelta(hours=1)
        for job in jobs.values():
            assert job.job.max_instances == 1
            assert job.job.coalesce is True


@POSTGRES_ONLY
async def test_only_the_leader_runs_the_jobs(
    botapi: FakeBotAPI, db_url: str, engine: AsyncEngine
) -> None:
    other = LeaderLock(engine, scheduler_lock_key(db_url))
    assert await other.try_acquire()
    try:
        app = build_application(make_settings(botapi, db_url))
        async with running(app, poll_timeout=1):
            assert app.job_queue is not None
            assert [job.name for job in app.job_queue.jobs()] == ["leadership"]
            assert app.updater is not None and not app.updater.running  # nor polls
    finally:
        await other.release()


async def lock_holder(engine: AsyncEngine, key: int) -> int | None:
    """The backend holding advisory lock ``key``: pg_locks shows a bigint key as its high
    32 bits in classid and its low 32 bits in objid."""
    unsigned = key % 2**64
    async with engine.connect() as conn:
        pid = await conn.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = :high AND objid::bigint = :low"
            ),
            {"high": unsigned // 2**32, "low": unsigned % 2**32},
        )
    return int(pid) if pid is not None else None


async def kill_lock_connection(engine: AsyncEngine, key: int) -> None:
    """Terminate the backend that holds ``key`` (as a server restart or a network cut
    would) and wait until the lock is free."""
    pid = await lock_holder(engine, key)
    assert pid is not None
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    for _ in range(200):
        if await lock_holder(engine, key) is None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the terminated backend still holds the lock")


@POSTGRES_ONLY
async def test_a_leader_whose_lock_connection_dropped_stands_down(
    db_url: str, engine: AsyncEngine
) -> None:
    key = scheduler_lock_key(db_url)
    first, second = LeaderLock(engine, key), LeaderLock(engine, key)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.check()  # still leads
        assert await second.check() is False  # a follower never "still leads"

        await kill_lock_connection(engine, key)
        assert await first.check() is False
        assert not first.is_leader
        assert await second.try_acquire()  # the other instance takes over
        assert await second.check()
        assert not await first.try_acquire()  # a follower now: tries, no error
        await second.release()
        assert await first.try_acquire()  # and leads again once the lock is free
        assert await first.check()
    finally:
        await first.release()
        await second.release()


@POSTGRES_ONLY
async def test_the_bot_stops_its_jobs_when_it_loses_the_lead_and_resumes_them(
    botapi: FakeBotAPI, db_url: str, engine: AsyncEngine
) -> None:
    key = scheduler_lock_key(db_url)
    scheduled = {"push-tick", "ingest-daily", "ingest-retry", "outbox-prune", "leadership"}
    other = LeaderLock(engine, key)
    app = build_application(make_settings(botapi, db_url))
    try:
        async with running(app, poll_timeout=1):
            queue = app.job_queue
            runtime = app.bot_data.runtime
            assert queue is not None and runtime is not None

            def names() -> set[str]:
                return {job.name or "" for job in queue.jobs()}

            updater = app.updater
            assert updater is not None
            assert names() == scheduled and updater.running  # the leader polls
            await kill_lock_connection(engine, key)
            assert await other.try_acquire()  # another instance leads now
            assert await leadership_tick(runtime, queue) is False
            assert names() == {"leadership"}  # stood down
            assert not updater.running  # and left the updates to the new leader
            assert await leadership_tick(runtime, queue) is False  # still following
            await other.release()  # the other instance went away
            assert await leadership_tick(runtime, queue) is True
            assert names() == scheduled and updater.running
    finally:
        await other.release()


async def test_a_crashed_engine_is_logged_and_started_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    runs: list[int] = []
    restarts: list[int] = []

    async def run() -> None:
        runs.append(len(runs) + 1)
        if len(runs) <= 2:
            raise RuntimeError(f"boom {len(runs)}")
        if len(runs) == 3:
            return  # ended although nobody asked it to stop
        await stop.wait()

    task = asyncio.create_task(
        supervise(run, stop, what="the engine", pause=0.01, on_restart=lambda: restarts.append(1))
    )
    for _ in range(500):
        if len(runs) == 4:
            break
        await asyncio.sleep(0.01)
    assert len(runs) == 4 and not task.done()
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(restarts) == 3
    errors = [
        r
        for r in caplog.records
        if r.name == "digestbot.bot.runtime" and r.levelno == logging.ERROR
    ]
    assert [str(r.exc_info[1]) if r.exc_info else None for r in errors] == [
        "boom 1",
        "boom 2",
        None,
    ]
    assert "stopped unexpectedly" in errors[2].getMessage()


# --------------------------------------------------------------------------- ingest


@pytest.fixture
def digest_root(tmp_path: Path) -> Iterator[DigestServer]:
    root = tmp_path / "logs"
    root.mkdir()
    with DigestServer(root) as server:
        yield server


def publish(server: DigestServer, day: dt.date) -> None:
    target = server.root / f"{day:%Y/%m/%d}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DIGESTS / f"{day:%Y/%m/%d}.md", target)


async def ingest_runs(sessions: Sessions) -> list[tuple[dt.date, str]]:
    async with sessions() as session:
        rows = await session.execute(select(IngestRun.day, IngestRun.status).order_by(IngestRun.id))
        return [(d, s) for d, s in rows.tuples()]


async def test_the_ingest_retries_until_the_digest_appears(
    digest_root: DigestServer, sessions: Sessions, tmp_path: Path
) -> None:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db",
        ingest_time="07:30",
        ingest_retry_minutes=10,
        ingest_cutoff="23:00",
    )
    path = f"{DAY:%Y/%m/%d}.md"
    async with httpx.AsyncClient() as http:
        source = make_source(f"{digest_root.url}/{{YYYY}}/{{MM}}/{{DD}}.md", http, retries=0)
        ingest = DailyIngest(sessions, Sources(source), settings)
        assert await ingest.attempt(at(SEOUL, 2025, 5, 9, 7, 29)) is None  # too early
        first = await ingest.attempt(at(SEOUL, 2025, 5, 9, 7, 30))
        assert first is not None and first.status == "missing"
        assert await ingest.attempt(at(SEOUL, 2025, 5, 9, 7, 33)) is None  # just tried
        publish(digest_root, DAY)
        stored = await ingest.attempt(at(SEOUL, 2025, 5, 9, 7, 40))
        assert stored is not None and (stored.status, stored.papers) == ("stored", 20)
        assert await ingest.attempt(at(SEOUL, 2025, 5, 9, 7, 50)) is None  # stored: no fetch
        assert digest_root.requests[path] == 2
    assert await ingest_runs(sessions) == [(DAY, "missing"), (DAY, "stored")]


async def test_the_ingest_stops_at_the_cutoff_and_never_overlaps(
    digest_root: DigestServer, sessions: Sessions, tmp_path: Path
) -> None:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    path = f"{DAY:%Y/%m/%d}.md"
    async with httpx.AsyncClient() as http:
        source = make_source(f"{digest_root.url}/{{YYYY}}/{{MM}}/{{DD}}.md", http, retries=0)
        ingest = DailyIngest(sessions, Sources(source), settings)
        assert await ingest.attempt(at(SEOUL, 2025, 5, 9, 23, 1)) is None
        assert digest_root.requests[path] == 0
        publish(digest_root, DAY)
        digest_root.delay = 0.3
        now = at(SEOUL, 2025, 5, 9, 9, 0)
        results = await asyncio.gather(*(ingest.attempt(now) for _ in range(3)))
        assert [r.status if r else None for r in results] == ["stored", None, None]
        assert digest_root.requests[path] == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(IngestRun)) == 1


async def test_the_push_ranks_by_the_votes_read_just_before_it(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    """Before the tick queues a day, its votes are read again from Hugging Face: the
    morning's ranking, not the one stored when the day was ingested."""
    settings = make_settings(botapi, db_url)
    with HFServer() as hf:
        hf.set_day(
            DAY,
            [hf_item("2505.00001", "Early favourite", 90), hf_item("2505.00002", "Late riser", 5)],
        )
        async with httpx.AsyncClient() as http:
            source = HuggingFaceSource(hf.url, http, retries=0)
            await ingest_day(sessions, Sources(None, source), DAY)
            hf.set_day(
                DAY,
                [
                    hf_item("2505.00001", "Early favourite", 91),
                    hf_item("2505.00002", "Late riser", 300),
                ],
            )
            await subscribe(sessions, USER, top_n=1)
            refreshed: list[dt.date] = []

            async def refresh(day: dt.date) -> object:
                refreshed.append(day)
                later = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
                return await refresh_votes(
                    sessions, source, day, max_age=dt.timedelta(0), now=later
                )

            now = at(SEOUL, 2025, 5, 9, 8, 0, 30)
            assert await push_tick(sessions, settings, now, refresh=refresh) == 1
            # nothing is due any more: no second read of the votes
            assert await push_tick(sessions, settings, now, refresh=refresh) == 0
    assert refreshed == [DAY]
    async with sessions() as session:
        keys = (await session.scalars(select(Delivery.dedupe_key))).all()
        [parts] = (await outbox.queued_parts(session, keys)).values()
    text = parts[0].text
    assert "Late riser" in text and "Early favourite" not in text
    assert "👍 300" in text
