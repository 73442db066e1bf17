"""Only one instance runs the scheduled jobs: a PostgreSQL advisory lock held on a
connection of its own for as long as the instance leads. SQLite has one process by
design, so it always leads.

    async with scheduler_leadership(engine) as lock:
        if lock.is_leader: ...start the scheduler...
        # a follower may try again later: await lock.try_acquire()
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


SCHEDULER_LOCK = lock_key("digestbot:scheduler")


class LeaderLock:
    def __init__(self, engine: AsyncEngine, key: int = SCHEDULER_LOCK) -> None:
        self.engine = engine
        self.key = key
        self.is_leader = False
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        """Take the lead if nobody holds it; True when this instance leads."""
        if self.is_leader:
            return True
        if self.engine.dialect.name != "postgresql":
            self.is_leader = True
            return True
        if self._conn is None:
            conn = await self.engine.connect()
            # autocommit: the lock belongs to the session, not to an idle transaction
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
        self.is_leader = bool(got)
        return self.is_leader

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if self.is_leader:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            finally:
                await conn.close()  # closing the session would free the lock anyway
        self.is_leader = False


@asynccontextmanager
async def scheduler_leadership(
    engine: AsyncEngine, key: int = SCHEDULER_LOCK
) -> AsyncIterator[LeaderLock]:
    lock = LeaderLock(engine, key)
    try:
        await lock.try_acquire()
        yield lock
    finally:
        await lock.release()
