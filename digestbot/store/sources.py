"""Repository functions for each source's health: last success, newest day with
content, last error, and the silence the admins were told about. None of them commits.
The writes are single upserts (every ingested day records its sources: ingest speed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.store.db import upsert_insert
from digestbot.store.models import SourceStatus

_TABLE: Any = SourceStatus.__table__


def _insert(session: AsyncSession) -> Any:
    return upsert_insert(session)(_TABLE)


async def record_success(
    session: AsyncSession, name: str, *, now: dt.datetime, day: dt.date | None
) -> None:
    """``name`` answered; ``day``: a day it had content for (None: it had nothing)."""
    stmt = _insert(session).values(name=name, last_success_at=now, newest_day=day, last_error="")
    newer = and_(
        stmt.excluded.newest_day.is_not(None),
        or_(_TABLE.c.newest_day.is_(None), stmt.excluded.newest_day > _TABLE.c.newest_day),
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[_TABLE.c.name],
            set_={
                "last_success_at": stmt.excluded.last_success_at,
                "newest_day": case((newer, stmt.excluded.newest_day), else_=_TABLE.c.newest_day),
            },
        )
    )


async def record_failure(session: AsyncSession, name: str, error: str, *, now: dt.datetime) -> None:
    stmt = _insert(session).values(name=name, last_error=error[:500], last_error_at=now)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[_TABLE.c.name],
            set_={"last_error": stmt.excluded.last_error, "last_error_at": now},
        )
    )


async def source_statuses(session: AsyncSession) -> list[SourceStatus]:
    return list((await session.scalars(select(SourceStatus).order_by(SourceStatus.name))).all())


async def mark_alerted(session: AsyncSession, name: str, day: dt.date | None) -> None:
    """The admins were told that ``name`` has published nothing since ``day``."""
    stmt = _insert(session).values(name=name, last_error="", alerted_day=day)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[_TABLE.c.name], set_={"alerted_day": day})
    )
