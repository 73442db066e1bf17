"""What flood control and /metrics cost.

* The per-user throttle: checks a second, for requests spread over many users and for
  one user flooding (``UserThrottle.check`` runs once per command, press and query).
* A scrape: ``/metrics`` over real HTTP with the outbox holding ``--deliveries`` rows and
  ``--subscriptions`` subscriptions (the database queries run at scrape time), on SQLite
  and, with ``--postgres URL``, PostgreSQL. Prints the median of ``--scrapes``.

    python -m benchmarks.monitor                      # 200,000 deliveries, SQLite
    python -m benchmarks.monitor --deliveries 1000000 --postgres postgresql+asyncpg://…
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time

import httpx
from sqlalchemy import insert

from benchmarks.ingest import drop_schema, fresh_postgres_schema
from digestbot.clock import utcnow
from digestbot.config import load_settings
from digestbot.delivery.engine import EngineStats
from digestbot.services.health import ProcessState
from digestbot.services.monitor import Monitor
from digestbot.services.throttle import UserThrottle
from digestbot.store import models as m
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade

STATES = ("sent", "sent", "sent", "sent", "sent", "sent", "sent", "failed", "pending", "sending")
BATCH = 10_000


def bench_throttle(checks: int, users: int) -> None:
    clock_now = [0.0]
    throttle = UserThrottle(8, 2.0, max_users=10_000, clock=lambda: clock_now[0])
    started = time.perf_counter()
    for i in range(checks):
        clock_now[0] += 0.0001
        throttle.check(i % users)
    spread = checks / (time.perf_counter() - started)
    flood = UserThrottle(8, 2.0, clock=time.monotonic)
    started = time.perf_counter()
    for _ in range(checks):
        flood.check(1)
    one = checks / (time.perf_counter() - started)
    print(
        f"throttle: {spread:,.0f} checks/s over {users:,} users "
        f"(kept {len(throttle):,}); {one:,.0f} checks/s for one user flooding"
    )


async def fill(url: str, deliveries: int, subscriptions: int) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            now = utcnow()
            for start in range(0, subscriptions, BATCH):
                ids = range(start + 1, min(start + BATCH, subscriptions) + 1)
                await conn.execute(
                    insert(m.Chat),
                    [{"id": i, "type": "private", "title": str(i), "language": "ko"} for i in ids],
                )
                await conn.execute(
                    insert(m.Subscription),
                    [{"chat_id": i, "thread_id": 0, "created_at": now} for i in ids],
                )
            for start in range(0, deliveries, BATCH):
                rows = [
                    {
                        "dedupe_key": f"push:bench:{i}",
                        "kind": "push",
                        "chat_id": i,
                        "parts": ["x"],
                        "state": STATES[i % len(STATES)],
                        "due_at": now,
                        "created_at": now,
                    }
                    for i in range(start, min(start + BATCH, deliveries))
                ]
                await conn.execute(insert(m.Delivery), rows)
    finally:
        await engine.dispose()


async def bench_scrape(url: str, label: str, deliveries: int, subs: int, scrapes: int) -> None:
    started = time.perf_counter()
    await fill(url, deliveries, subs)
    filled = time.perf_counter() - started
    engine = create_engine(url)
    settings = load_settings(database_url=url)
    state = ProcessState(role="deliver", engine=EngineStats())
    monitor = Monitor(settings, session_factory(engine), lambda: state)
    port = await monitor.start(port=0)
    pending = sum(1 for i in range(deliveries) if STATES[i % len(STATES)] == "pending")
    times = []
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            for _ in range(scrapes):
                began = time.perf_counter()
                answer = await client.get(f"http://127.0.0.1:{port}/metrics")
                times.append(time.perf_counter() - began)
                assert answer.status_code == 200
                assert f'{{state="pending"}} {pending:.1f}' in answer.text, answer.text[:300]
    finally:
        await monitor.stop()
        await engine.dispose()
    later = times[1:] or times
    print(
        f"scrape ({label}, {deliveries:,} deliveries, {subs:,} subscriptions; filled in "
        f"{filled:.1f} s): first (every query) {times[0] * 1000:.0f} ms; then (the outbox "
        f"only, the rest read once a minute) median {statistics.median(later) * 1000:.0f} ms, "
        f"max {max(later) * 1000:.0f} ms over {len(later)}"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await bench_scrape(url, "SQLite", args.deliveries, args.subscriptions, args.scrapes)
    if args.postgres:
        url, schema = await fresh_postgres_schema(args.postgres)
        try:
            await bench_scrape(url, "PostgreSQL", args.deliveries, args.subscriptions, args.scrapes)
        finally:
            await drop_schema(args.postgres, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=200_000)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=5)
    parser.add_argument("--checks", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="", help="also in a fresh schema of this database")
    args = parser.parse_args()
    bench_throttle(args.checks, users=100_000)
    asyncio.run(run(args))
    print(f"done at {dt.datetime.now(dt.UTC):%H:%M:%S} UTC")


if __name__ == "__main__":
    main()
