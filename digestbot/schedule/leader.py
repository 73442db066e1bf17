"""Only one instance runs the scheduled jobs: a PostgreSQL advisory lock held on a
connection of its own for as long as the instance leads. SQLite has one process by
design, so it always leads.

    async with scheduler_leadership(engine) as lock:
        if lock.is_leader: ...start the scheduler...
        # a follower may try again later: await lock.try_acquire()
        # a leader checks now and then that it still leads: await lock.check()

The lock lives as long as its connection: when that connection drops (the server
restarted, a network cut, ``pg_terminate_backend``) the lock is free and another instance
may take it, so a leader must ``check()`` on every leadership tick and stand down when it
answers False. ``check`` asks ``pg_locks`` on the lock connection itself, so it also fails
when the connection is gone or does not answer within ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


SCHEDULER_LOCK = lock_key("digestbot:scheduler")


def scheduler_lock_key(database_url: str) -> int:
    """The advisory lock of one deployment: one per database, or per schema when the URL
    names one (``?search_path=``)."""
    schema = make_url(database_url).query.get("search_path")
    return lock_key(f"digestbot:scheduler:{schema}") if schema else SCHEDULER_LOCK


# pg_locks shows a bigint advisory key as its high half in classid, its low half in objid
# (both unsigned 32-bit oids) and objsubid 1
_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND objsubid = 1 "
    "AND classid::bigint = :high AND objid::bigint = :low"
)


def key_halves(key: int) -> tuple[int, int]:
    """(classid, objid) of a signed 64-bit advisory key as pg_locks shows them."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


class LeaderLock:
    def __init__(self, engine: AsyncEngine, key: int = SCHEDULER_LOCK, timeout: float = 10.0):
        self.engine = engine
        self.key = key
        self.timeout = timeout
        self.is_leader = False
        self._conn: AsyncConnection | None = None

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def try_acquire(self) -> bool:
        """Take the lead if nobody holds it; True when this instance leads. A database
        error counts as "not leading" (logged): the next tick tries again."""
        if self.is_leader:
            return True
        if not self._postgres:
            self.is_leader = True
            return True
        try:
            if self._conn is None:
                conn = await self.engine.connect()
                # autocommit: the lock belongs to the session, not to an idle transaction
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await asyncio.wait_for(
                self._conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}),
                self.timeout,
            )
        except Exception:
            log.warning("scheduler lock: cannot ask the database", exc_info=True)
            await self._drop_connection()
            return False
        self.is_leader = bool(got)
        return self.is_leader

    async def check(self) -> bool:
        """Whether this instance still holds the lock (asked on the lock's own
        connection). When it does not, ``is_leader`` becomes False and the connection is
        dropped: stop the jobs, then ``try_acquire`` again like any follower."""
        if not self.is_leader:
            return False
        if not self._postgres:
            return True
        held = False
        try:
            assert self._conn is not None
            high, low = key_halves(self.key)
            count = await asyncio.wait_for(
                self._conn.scalar(_HELD, {"high": high, "low": low}), self.timeout
            )
            held = bool(count)
        except Exception:
            log.warning("scheduler lock: the lock connection failed", exc_info=True)
        if not held:
            self.is_leader = False
            await self._drop_connection()
        return held

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # a dead connection may fail to close; it is gone either way
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if self.is_leader:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except Exception:
                log.warning("scheduler lock: unlocking failed (closing frees it)", exc_info=True)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()  # closing the session frees the lock anyway
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
