"""Where a send gets its global slot: ``SharedSlots`` reserves them in the database (one
schedule per token and lane, for every instance on one PostgreSQL), ``LocalSlots`` keeps
them in memory (the paid lane of a single SQLite process). See ``delivery.budget``.

``acquire()`` returns the moment (this process's monotonic clock) at which to send;
``pause(seconds)`` stops the lane for everyone (Telegram answered a global flood).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.delivery.budget import Reservation, batch_size, is_stale, reserve, slot_interval
from digestbot.delivery.ratelimit import Clock

# the schedule's clock is the database's (every instance reads the same one)
_NOW = "extract(epoch from clock_timestamp())::float8"

_RESERVE = text(
    f"""
    WITH t AS (SELECT {_NOW} AS now)
    INSERT INTO send_budget AS b (key, next_slot, paused_until)
    SELECT :key, t.now + :span, 0 FROM t
    ON CONFLICT (key) DO UPDATE
        SET next_slot = GREATEST(b.next_slot, b.paused_until, (SELECT now FROM t)) + :span
    RETURNING b.next_slot - :span AS first, (SELECT now FROM t) AS now
    """
)

_PAUSE = text(
    f"""
    WITH t AS (SELECT {_NOW} AS now)
    INSERT INTO send_budget AS b (key, next_slot, paused_until)
    SELECT :key, t.now, t.now + :seconds FROM t
    ON CONFLICT (key) DO UPDATE
        SET paused_until = GREATEST(b.paused_until, (SELECT now FROM t) + :seconds)
    """
)


class SlotSource(Protocol):
    async def acquire(self) -> float: ...

    async def pause(self, seconds: float) -> None: ...


async def reserve_slots(
    session: AsyncSession, key: str, count: int, interval: float
) -> tuple[Reservation, float]:
    """Reserve ``count`` slots of ``key``'s schedule in one statement (PostgreSQL);
    returns them and the database's "now" they were reserved at."""
    row = (await session.execute(_RESERVE, {"key": key, "span": count * interval})).one()
    return Reservation(float(row.first), count, interval), float(row.now)


async def pause_schedule(session: AsyncSession, key: str, seconds: float) -> None:
    await session.execute(_PAUSE, {"key": key, "seconds": seconds})


class LocalSlots:
    """One process's schedule (GCRA, no burst)."""

    def __init__(self, rate: float, *, safety: float = 0.02, clock: Clock = time.monotonic):
        self.interval = slot_interval(rate, safety)
        self._clock = clock
        self._next = 0.0
        self._paused_until = 0.0

    async def acquire(self) -> float:
        reservation, self._next = reserve(
            self._next, self._paused_until, self._clock(), 1, self.interval
        )
        return reservation.first

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class SharedSlots:
    """Slots reserved in batches from the database schedule ``key``: as many at once as
    sends are waiting for one, at most ``lookahead`` seconds' worth."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        key: str,
        rate: float,
        *,
        safety: float = 0.03,
        lookahead: float = 0.2,
        clock: Clock = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._key = key
        self.rate = rate
        self.interval = slot_interval(rate, safety)
        # a slot this late is dropped (a send that late would crowd the next slots)
        self._grace = max(2 * self.interval, 0.02)
        self._lookahead = lookahead
        self._clock = clock
        # (moment to send, moment after which the slot is stale)
        self._slots: deque[tuple[float, float]] = deque()
        self._lock = asyncio.Lock()
        self._waiting = 0
        # the database clock seen from here: the offset measured on the fastest round
        # trip so far (its midpoint is the least uncertain), refreshed now and then
        self._offset: float | None = None
        self._offset_rtt = float("inf")
        self._offset_at = 0.0
        self.reservations = 0  # round trips
        self._batch = 0  # the size of the last reservation
        self._dropped_at = 0  # ``dropped`` when it was made
        self.dropped = 0  # slots reserved but never used (stale, or dropped by a pause)

    async def acquire(self) -> float:
        self._waiting += 1
        try:
            while True:
                now = self._clock()
                while self._slots and is_stale(self._slots[0][1], now, 0.0):
                    self._slots.popleft()
                    self.dropped += 1
                if self._slots:
                    return self._slots.popleft()[0]
                async with self._lock:
                    if not self._slots:
                        # the last batch was used up (nothing went stale): it may grow
                        previous = 0 if self.dropped > self._dropped_at else self._batch
                        self._batch = batch_size(
                            self._waiting, self.rate, self._lookahead, previous
                        )
                        self._dropped_at = self.dropped
                        await self._refill(self._batch)
                        return self._slots.popleft()[0]
        finally:
            self._waiting -= 1

    async def _refill(self, count: int) -> None:
        before = self._clock()
        async with self._sessions.begin() as session:
            reservation, db_now = await reserve_slots(session, self._key, count, self.interval)
        after = self._clock()
        self.reservations += 1
        rtt = after - before
        if self._offset is None or rtt <= self._offset_rtt or after - self._offset_at > 30.0:
            self._offset = (before + after) / 2 - db_now
            self._offset_rtt, self._offset_at = rtt, after
        # lateness counts from when the slot could first be used: the first slots of an
        # idle schedule are "now" at the database, already half a round trip old here
        self._slots.extend(
            (at, max(at, after) + self._grace)
            for at in reservation.local(db_now, db_now + self._offset)
        )

    async def pause(self, seconds: float) -> None:
        """Pause the schedule for every instance; slots already reserved here are
        dropped (other instances use up theirs: at most ``lookahead`` seconds)."""
        self.dropped += len(self._slots)
        self._slots.clear()
        async with self._sessions.begin() as session:
            await pause_schedule(session, self._key, seconds)
