"""Repository functions for each source's health: last success, newest day with
content, last error, and the silence the admins were told about. None of them commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.store.models import SourceStatus


async def _row(session: AsyncSession, name: str) -> SourceStatus:
    row = await session.get(SourceStatus, name)
    if row is None:
        row = SourceStatus(name=name, last_error="")
        session.add(row)
    return row


async def record_success(
    session: AsyncSession, name: str, *, now: dt.datetime, day: dt.date | None
) -> None:
    """``name`` answered; ``day``: a day it had content for (None: it had nothing)."""
    row = await _row(session, name)
    row.last_success_at = now
    if day is not None and (row.newest_day is None or day > row.newest_day):
        row.newest_day = day
    await session.flush()


async def record_failure(session: AsyncSession, name: str, error: str, *, now: dt.datetime) -> None:
    row = await _row(session, name)
    row.last_error = error[:500]
    row.last_error_at = now
    await session.flush()


async def source_statuses(session: AsyncSession) -> list[SourceStatus]:
    return list((await session.scalars(select(SourceStatus).order_by(SourceStatus.name))).all())


async def mark_alerted(session: AsyncSession, name: str, day: dt.date | None) -> None:
    """The admins were told that ``name`` has published nothing since ``day``."""
    row = await _row(session, name)
    row.alerted_day = day
    await session.flush()
