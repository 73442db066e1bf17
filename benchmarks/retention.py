"""Retention benchmark: pruning an outbox of finished pushes.

    python -m benchmarks.retention                       # SQLite, 200,000 old + 100,000 live
    python -m benchmarks.retention --postgres postgresql+asyncpg://postgres@127.0.0.1/test
    python -m benchmarks.retention --old 1000000 --recent 100000 --postgres URL

``--old`` pushes sent 40 days ago (six distinct renders: they go too), ``--recent`` sent
yesterday or still pending (they stay); then ``delivery.retention.prune_outbox`` with the
default 30 days: seconds, rows deleted a second, and that the right rows went.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402

from benchmarks.ingest import drop_schema, fresh_postgres_schema  # noqa: E402
from digestbot.clock import utcnow  # noqa: E402
from digestbot.delivery.outbox import NewDelivery, add_deliveries  # noqa: E402
from digestbot.delivery.retention import prune_outbox  # noqa: E402
from digestbot.store.db import create_engine, session_factory  # noqa: E402
from digestbot.store.migrate import upgrade  # noqa: E402
from digestbot.store.models import Delivery, DeliveryBody, DeliveryKind, DeliveryState  # noqa: E402

DAYS = dt.timedelta(days=1)


async def run(url: str, old: int, recent: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    now = utcnow()
    started = time.perf_counter()
    for label, count, when, first in (
        ("old", old, now - 40 * DAYS, 0),
        ("recent", recent, now - DAYS, old),
    ):
        for chunk in range(first, first + count, 50_000):
            items = [
                NewDelivery(
                    f"push:{label}:{i}:0",
                    DeliveryKind.PUSH,
                    10_000_000 + i,
                    0,
                    [f"{label} render {i % 6}"],
                    due_at=when,
                )
                for i in range(chunk, min(first + count, chunk + 50_000))
            ]
            async with sessions.begin() as session:
                await add_deliveries(session, items, now=when)
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.dedupe_key.like("push:old:%"))
            .values(state=DeliveryState.SENT, finished_at=now - 40 * DAYS)
        )
        # half of the recent ones sent yesterday, the rest still pending
        await session.execute(
            update(Delivery)
            .where(Delivery.dedupe_key.like("push:recent:%"), Delivery.id % 2 == 0)
            .values(state=DeliveryState.SENT, finished_at=now - DAYS)
        )
    print(f"filled {old + recent:,} deliveries in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    pruned = await prune_outbox(sessions, now - 30 * DAYS)
    seconds = time.perf_counter() - started
    async with sessions() as session:
        left = await session.scalar(select(func.count()).select_from(Delivery))
        bodies = await session.scalar(select(func.count()).select_from(DeliveryBody))
    await engine.dispose()
    print(
        f"pruned {pruned.deliveries:,} deliveries and {pruned.bodies} renders in "
        f"{seconds:.1f} s ({pruned.deliveries / seconds:,.0f} deliveries/s)"
    )
    ok = pruned.deliveries == old and left == recent and bodies == 6
    print(f"  left: {left:,} deliveries, {bodies} renders ({'right' if ok else 'WRONG'})")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--old", type=int, default=200_000)
    parser.add_argument("--recent", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    if args.postgres:
        url, schema = asyncio.run(fresh_postgres_schema(args.postgres))
        try:
            asyncio.run(run(url, args.old, args.recent))
        finally:
            asyncio.run(drop_schema(args.postgres, schema))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/retention.db", args.old, args.recent))


if __name__ == "__main__":
    main()
