"""The outbox forgets what it finished: ``delivery.retention`` directly, through the
scheduler's job, and through ``digestbot db prune``."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.bot.app import build_application, running
from digestbot.clock import utcnow
from digestbot.delivery import outbox
from digestbot.delivery.outbox import NewDelivery
from digestbot.delivery.retention import Pruned, prune_outbox, retention_cutoff
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade
from digestbot.store.models import Chat, Delivery, DeliveryBody, DeliveryKind, DeliveryState
from tests.cli.test_archive import digestbot
from tests.conftest import FAST_LIMITS
from tests.support.botapi import FakeBotAPI
from tests.support.settings import settings_for

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
DAYS = dt.timedelta(days=1)


def test_the_cutoff_is_the_retention_but_never_inside_the_catchup_window() -> None:
    window = dt.timedelta(hours=12)
    assert retention_cutoff(NOW, 0, window) is None  # off: keep everything
    assert retention_cutoff(NOW, 30, window) == NOW - 30 * DAYS
    # one day would reach into the days whose pushes may still be queued
    assert retention_cutoff(NOW, 1, window) == NOW - dt.timedelta(days=2, hours=12)
    assert retention_cutoff(NOW, 3, dt.timedelta(hours=72)) == NOW - 5 * DAYS


# name: (state, due this long ago, finished this long ago, render)
ROWS: dict[str, tuple[DeliveryState, dt.timedelta, dt.timedelta | None, str]] = {
    "old sent": (DeliveryState.SENT, 40 * DAYS, 40 * DAYS, "old render"),
    "old failed": (DeliveryState.FAILED, 35 * DAYS, 35 * DAYS, "old render"),
    "old sent, no finish time": (DeliveryState.SENT, 40 * DAYS, None, "old render"),
    "old, still pending": (DeliveryState.PENDING, 40 * DAYS, None, "kept render"),
    "old, being sent": (DeliveryState.SENDING, 40 * DAYS, None, "kept render"),
    "due long ago, finished lately": (DeliveryState.SENT, 40 * DAYS, 2 * DAYS, "late render"),
    "recent sent": (DeliveryState.SENT, 3 * DAYS, 3 * DAYS, "recent render"),
}
GONE = {"old sent", "old failed", "old sent, no finish time"}


async def fill(sessions: Sessions, now: dt.datetime, *, created: dt.datetime) -> dict[str, int]:
    """The rows of ``ROWS`` (one chat each), their renders stored at ``created``."""
    async with sessions.begin() as session:
        session.add_all(Chat(id=i, type="private", title="") for i in range(1, len(ROWS) + 1))
        await session.flush()
        await outbox.add_deliveries(
            session,
            [
                NewDelivery(name, DeliveryKind.PUSH, i, 0, [render])
                for i, (name, (_, _, _, render)) in enumerate(ROWS.items(), start=1)
            ],
            now=created,
        )
        for name, (state, due, finished, _) in ROWS.items():
            await session.execute(
                update(Delivery)
                .where(Delivery.dedupe_key == name)
                .values(
                    state=state,
                    due_at=now - due,
                    finished_at=None if finished is None else now - finished,
                    lease_until=now + DAYS if state is DeliveryState.SENDING else None,
                )
            )
    async with sessions() as session:
        rows = await session.execute(select(Delivery.dedupe_key, Delivery.id))
        return dict(rows.tuples().all())


async def left(sessions: Sessions) -> tuple[set[str], set[str]]:
    async with sessions() as session:
        keys = set(await session.scalars(select(Delivery.dedupe_key)))
        renders = {str(b.parts[0]) for b in await session.scalars(select(DeliveryBody))}
    return keys, renders


async def test_finished_deliveries_and_unused_renders_go_the_rest_stays(
    sessions: Sessions,
) -> None:
    await fill(sessions, NOW, created=NOW - 45 * DAYS)
    async with sessions.begin() as session:  # a render made today, not used (yet)
        await outbox.add_deliveries(
            session, [NewDelivery("fresh", DeliveryKind.PUSH, 1, 0, ["fresh render"])], now=NOW
        )
        await session.execute(delete(Delivery).where(Delivery.dedupe_key == "fresh"))
    # batches of two: the loop runs several times
    pruned = await prune_outbox(sessions, NOW - 30 * DAYS, batch=2)
    assert pruned == Pruned(deliveries=3, bodies=1)
    keys, renders = await left(sessions)
    assert keys == set(ROWS) - GONE
    # "old render" had only deleted users; "fresh render" is too young to go
    assert renders == {"kept render", "late render", "recent render", "fresh render"}
    # again: nothing more to do
    assert await prune_outbox(sessions, NOW - 30 * DAYS) == Pruned()


async def test_the_scheduled_job_prunes_with_the_configured_retention(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    now = utcnow()
    await fill(sessions, now, created=now - 45 * DAYS)
    settings = settings_for(botapi, db_url, delivery_retention_days=30, **FAST_LIMITS)
    app = build_application(settings)
    async with running(app, poll_timeout=1):
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name("outbox-prune")
        await job.run(app)
    keys, renders = await left(sessions)
    assert keys == set(ROWS) - GONE
    assert "old render" not in renders


def on(db_url: str, work: Callable[[Sessions], Awaitable[T]]) -> T:
    """``work`` on the database at ``db_url`` (migrated), outside any running loop: the
    CLI runs its own."""

    async def run() -> T:
        engine = create_engine(db_url)
        try:
            await upgrade(engine)
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_db_prune_says_what_it_deleted(db_url: str) -> None:
    now = utcnow()
    on(db_url, lambda s: fill(s, now, created=now - 45 * DAYS))
    done = digestbot(db_url, "db", "prune", "--days", "30")
    assert done.returncode == 0, done.stderr
    assert "deleted 3 finished deliveries and 1 stored renders older than" in done.stdout
    keys, _ = on(db_url, left)
    assert keys == set(ROWS) - GONE
    # a day's retention reaches "recent sent" (3 days) but stops at the catch-up window
    # (12 h) plus two days: "finished lately" (2 days) stays
    done = digestbot(db_url, "db", "prune", "--days", "1")
    assert "deleted 1 finished deliveries" in done.stdout
    keys, _ = on(db_url, left)
    assert keys == {"old, still pending", "old, being sent", "due long ago, finished lately"}
    assert digestbot(db_url, "db", "prune", "--days", "0").returncode == 2  # at least 1
