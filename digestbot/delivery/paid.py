"""Paid broadcasts under a daily cap, counted per UTC day in ``paid_sends``.

An instance reserves paid messages under the cap in batches (``reserved`` grows only up
to the cap, in a locked row), spends them one send at a time, and gives back what it did
not spend when it stops; an instance that dies keeps its unspent reservation (the cap is
never exceeded, at worst a batch of it goes unused that day). ``sent`` counts the paid
messages Telegram accepted: that is what /stats shows, and what they cost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.delivery.budget import paid_grant
from digestbot.store.db import upsert_insert
from digestbot.store.models import PaidSends

Now = Callable[[], dt.datetime]


def utc_day(now: dt.datetime) -> dt.date:
    return now.astimezone(dt.UTC).date()


async def reserve_paid(session: AsyncSession, day: dt.date, cap: int, wanted: int) -> int:
    """Reserve up to ``wanted`` paid messages of ``day`` under ``cap``; returns how many."""
    insert = upsert_insert(session)
    await session.execute(
        insert(PaidSends)
        .values(day=day, reserved=0, sent=0)
        .on_conflict_do_nothing(index_elements=["day"])
    )
    reserved = await session.scalar(
        select(PaidSends.reserved).where(PaidSends.day == day).with_for_update()
    )
    granted = paid_grant(int(reserved or 0), cap, wanted)
    if granted:
        await session.execute(
            update(PaidSends)
            .where(PaidSends.day == day)
            .values(reserved=PaidSends.reserved + granted)
        )
    return granted


async def return_paid(session: AsyncSession, day: dt.date, unused: int) -> None:
    await session.execute(
        update(PaidSends).where(PaidSends.day == day).values(reserved=PaidSends.reserved - unused)
    )


async def add_paid_sent(session: AsyncSession, day: dt.date, count: int) -> None:
    """Count ``count`` paid messages Telegram accepted on ``day`` (the row exists: the
    messages were reserved; a send just after midnight UTC creates the new day's)."""
    insert = upsert_insert(session)
    await session.execute(
        insert(PaidSends)
        .values(day=day, reserved=0, sent=0)
        .on_conflict_do_nothing(index_elements=["day"])
    )
    await session.execute(
        update(PaidSends).where(PaidSends.day == day).values(sent=PaidSends.sent + count)
    )


async def paid_sent_on(session: AsyncSession, day: dt.date) -> int:
    return int(await session.scalar(select(PaidSends.sent).where(PaidSends.day == day)) or 0)


class PaidCap:
    """One instance's share of the day's paid messages: ``take()`` says whether the next
    send may be paid; past the cap it says no (the send goes at the free rate)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cap: int,
        *,
        now: Now,
        batch: int = 100,
    ) -> None:
        self._sessions = sessions
        self._cap = cap
        self._now = now
        self._batch = batch
        self._day: dt.date | None = None
        self._left = 0
        self._exhausted: dt.date | None = None
        self._lock = asyncio.Lock()

    async def take(self) -> bool:
        day = utc_day(self._now())
        if day != self._day:
            # a new UTC day: yesterday's unspent reservation stays counted there
            self._day, self._left = day, 0
        while self._left <= 0:
            if self._exhausted == day or self._cap <= 0:
                return False
            async with self._lock:
                if self._left > 0 or self._day != day:
                    continue
                async with self._sessions.begin() as session:
                    granted = await reserve_paid(session, day, self._cap, self._batch)
                if not granted:
                    self._exhausted = day
                    return False
                self._left += granted
        self._left -= 1
        return True

    def give_back(self) -> None:
        """A paid send Telegram refused: its message may be spent again."""
        self._left += 1

    async def close(self) -> None:
        """Hand the unspent reservation back (the engine stops)."""
        if self._day is None or self._left <= 0:
            return
        unused, self._left = self._left, 0
        async with self._sessions.begin() as session:
            await return_paid(session, self._day, unused)
