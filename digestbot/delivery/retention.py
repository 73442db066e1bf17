"""How long the outbox keeps what it has finished: sent and failed deliveries, and the
stored renders nobody points at any more, are deleted once they are
``delivery_retention_days`` old (a million pushes a day are a million rows a day).

Never deleted: anything pending or being sent, and anything young enough that its
dedupe key still matters. A push is queued only while its moment is within the
catch-up window, so a finished delivery older than the window plus two days can never
be queued again; the cutoff is never later than that, whatever the setting.

Deleting goes in batches of ``batch`` rows, a transaction each, so the outbox is never
locked for long and a crash loses nothing but the batch in flight (which is deleted next
time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.store.models import Delivery, DeliveryBody, DeliveryState

__all__ = ["Pruned", "prune_outbox", "retention_cutoff"]

_SAFETY = dt.timedelta(days=2)
_FINISHED = (DeliveryState.SENT, DeliveryState.FAILED)


def retention_cutoff(
    now: dt.datetime, days: int, catchup_window: dt.timedelta
) -> dt.datetime | None:
    """What finished before this moment may go (None: ``days`` is 0, keep everything).
    Never later than the catch-up window plus two days before ``now``."""
    if days <= 0:
        return None
    return now - max(dt.timedelta(days=days), catchup_window + _SAFETY)


@dataclass(frozen=True, slots=True)
class Pruned:
    deliveries: int = 0
    bodies: int = 0

    def summary(self, cutoff: dt.datetime) -> str:
        """One line for the log and the CLI."""
        return (
            f"deleted {self.deliveries} finished deliveries and {self.bodies} stored "
            f"renders older than {cutoff.isoformat(timespec='seconds')}"
        )


async def _delete_deliveries(session: AsyncSession, cutoff: dt.datetime, batch: int) -> int:
    # a range of the (state, due_at, id) index: a delivery is never finished before it
    # was due, so one finished before the cutoff was due before it too
    old = (
        select(Delivery.id)
        .where(
            Delivery.state.in_(_FINISHED),
            Delivery.due_at < cutoff,
            or_(Delivery.finished_at.is_(None), Delivery.finished_at < cutoff),
        )
        .limit(batch)
    )
    ids = list((await session.execute(old)).scalars())
    if ids:
        await session.execute(delete(Delivery).where(Delivery.id.in_(ids)))
    return len(ids)


async def _delete_bodies(session: AsyncSession, cutoff: dt.datetime) -> int:
    unused = and_(
        DeliveryBody.created_at < cutoff,
        ~exists().where(Delivery.body_id == DeliveryBody.id),
    )
    ids = list((await session.execute(select(DeliveryBody.id).where(unused))).scalars())
    if ids:
        await session.execute(delete(DeliveryBody).where(DeliveryBody.id.in_(ids)))
    return len(ids)


async def prune_outbox(
    sessions: async_sessionmaker[AsyncSession], cutoff: dt.datetime, *, batch: int = 5_000
) -> Pruned:
    """Delete the finished deliveries older than ``cutoff``, ``batch`` at a time, then
    the stored renders older than it that no delivery points at."""
    deliveries = 0
    while True:
        async with sessions.begin() as session:
            deleted = await _delete_deliveries(session, cutoff, batch)
        deliveries += deleted
        if deleted < batch:
            break
    async with sessions.begin() as session:
        bodies = await _delete_bodies(session, cutoff)
    return Pruned(deliveries, bodies)
