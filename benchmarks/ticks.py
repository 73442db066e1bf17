"""Push-tick benchmark: what a tick costs with a million subscriptions.

    python -m benchmarks.ticks                          # 1,000,000 subscriptions, 100,000 due
    python -m benchmarks.ticks --subscriptions 100000 --due 10000   # a quick run
    python -m benchmarks.ticks --postgres URL           # PostgreSQL too (a schema of its own)

1. A tick with nobody due (goal ≤ 50 ms): the subscriptions keep their next push moment
   in an indexed column, so the tick is one empty index range, whatever the count.
2. A tick with ``--due`` subscriptions due (goal: 100,000 queued ≤ 30 s): the plan (the
   due rows, the stored days, the outbox keys already there), the renders (once per
   distinct cut: here 3 values of N × 2 languages = 6), the outbox rows and the moments
   moved on, all in one transaction. A second tick right after queues nothing.

The chats and subscriptions are written with one INSERT … SELECT each (setup, not
measured); the day is a synthetic digest of 50 papers in the archive's newest layout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from benchmarks.ingest import drop_schema, fresh_postgres_schema  # noqa: E402
from benchmarks.synthetic import synthetic_digest  # noqa: E402
from digestbot.config import load_settings  # noqa: E402
from digestbot.digest.parser import parse_digest  # noqa: E402
from digestbot.schedule.jobs import push_tick  # noqa: E402
from digestbot.services.ingest import write_day  # noqa: E402
from digestbot.store.db import create_engine, session_factory  # noqa: E402
from digestbot.store.migrate import upgrade  # noqa: E402
from digestbot.store.models import Delivery  # noqa: E402

SEOUL = ZoneInfo("Asia/Seoul")
DAY = dt.date(2025, 5, 9)
MORNING = dt.datetime(2025, 5, 9, 8, 0, tzinfo=SEOUL)
FIRST_CHAT = 100_000_000


async def populate(engine: AsyncEngine, subscriptions: int, due: int) -> None:
    """``subscriptions`` chats with one subscription each: ``due`` of them due at 08:00
    Seoul on DAY, the others later that day (10:00–23:00); N in (3, 5, 10), every tenth
    chat in English."""
    pg = engine.dialect.name == "postgresql"
    series = (
        f"SELECT g AS n FROM generate_series(0, {subscriptions - 1}) AS g"
        if pg
        else "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "
        f"WHERE n < {subscriptions - 1}) SELECT n FROM s"
    )
    due_at = MORNING.astimezone(dt.UTC)
    later = (MORNING + dt.timedelta(hours=2)).astimezone(dt.UTC)
    stamp = "'2025-05-01 00:00:00+00'"
    if pg:
        moment = (
            f"CASE WHEN n < {due} THEN TIMESTAMPTZ '{due_at.isoformat()}' ELSE TIMESTAMPTZ "
            f"'{later.isoformat()}' + ((n % 14) * INTERVAL '1 hour') END"
        )
        push_time = (
            f"CASE WHEN n < {due} THEN '08:00' ELSE lpad((10 + n % 14)::text, 2, '0') || ':00' END"
        )
    else:
        fmt = "%Y-%m-%d %H:%M:%S.000000"
        moment = (
            f"CASE WHEN n < {due} THEN '{due_at.strftime(fmt)}' ELSE "
            f"strftime('%Y-%m-%d %H:%M:%S.000000', '{later.strftime(fmt)}', "
            "'+' || (n % 14) || ' hours') END"
        )
        push_time = f"CASE WHEN n < {due} THEN '08:00' ELSE printf('%02d:00', 10 + n % 14) END"
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO chats (id, type, title, language, active, inactive_reason, "
            f"created_at) SELECT {FIRST_CHAT} + n, 'private', '', CASE WHEN n % 10 = 0 "
            f"THEN 'en' ELSE 'ko' END, true, '', {stamp} FROM ({series}) AS s"
        )
        await conn.exec_driver_sql(
            "INSERT INTO subscriptions (chat_id, thread_id, active, push_time, timezone, "
            "top_n, sections, next_push_at, created_at, updated_at) "
            f"SELECT {FIRST_CHAT} + n, 0, true, {push_time}, 'Asia/Seoul', "
            f"CASE n % 3 WHEN 0 THEN 3 WHEN 1 THEN 5 ELSE 10 END, '[]', {moment}, "
            f"{stamp}, {stamp} FROM ({series}) AS s"
        )
    sessions = session_factory(engine)
    digest = parse_digest(synthetic_digest(DAY, 50, random.Random(7)), source="bench")
    async with sessions.begin() as session:
        await write_day(session, digest, "0" * 64)


async def run(database_url: str, subscriptions: int, due: int, label: str) -> None:
    engine = create_engine(database_url)
    await upgrade(engine)
    setup = time.perf_counter()
    await populate(engine, subscriptions, due)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    print(
        f"{label}: {subscriptions:,} subscriptions written in "
        f"{time.perf_counter() - setup:.1f} s (setup, not measured)",
        flush=True,
    )
    settings = load_settings(
        token="123456:bench-token-not-used",
        database_url=database_url,
        log_level="WARNING",
        hf_api_url="",
    )
    sessions = session_factory(engine)
    empty: list[float] = []
    for minute in range(1, 21):  # 07:40 … 07:59: nobody is due
        now = MORNING - dt.timedelta(minutes=minute)
        started = time.perf_counter()
        queued = await push_tick(sessions, settings, now)
        empty.append((time.perf_counter() - started) * 1000)
        assert queued == 0
    print(
        f"{label}: a tick with nobody due: median {statistics.median(empty):.1f} ms, "
        f"max {max(empty):.1f} ms over {len(empty)} ticks (goal ≤ 50 ms)",
        flush=True,
    )
    started = time.perf_counter()
    queued = await push_tick(sessions, settings, MORNING + dt.timedelta(seconds=20))
    seconds = time.perf_counter() - started
    async with sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(Delivery))
        distinct = await session.scalar(select(func.count(func.distinct(Delivery.body_id))))
    print(
        f"{label}: a tick with {due:,} due: {queued:,} pushes queued in {seconds:.1f} s "
        f"({queued / seconds:,.0f}/s; goal 100,000 ≤ 30 s); outbox rows {rows:,}, "
        f"distinct renders {distinct}",
        flush=True,
    )
    started = time.perf_counter()
    again = await push_tick(sessions, settings, MORNING + dt.timedelta(seconds=80))
    print(
        f"{label}: the next tick: {again} queued in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms (everything due was settled)",
        flush=True,
    )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (asyncpg) to run on too")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(run(url, args.subscriptions, args.due, "SQLite"))
    if args.postgres:
        try:
            url, schema = asyncio.run(fresh_postgres_schema(args.postgres))
        except OSError as exc:
            print(f"PostgreSQL: skipped, unreachable ({exc})")
            return
        try:
            asyncio.run(run(url, args.subscriptions, args.due, "PostgreSQL"))
        finally:
            asyncio.run(drop_schema(args.postgres, schema))


if __name__ == "__main__":
    main()
