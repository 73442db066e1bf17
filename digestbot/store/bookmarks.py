"""Repository functions for bookmarks (🔖): a Telegram user's saved papers. None of them
commits: the caller owns the transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.clock import utcnow
from digestbot.store.archive import PaperView, papers_by_ids
from digestbot.store.db import upsert_insert
from digestbot.store.models import Bookmark, Paper


async def paper_id(session: AsyncSession, arxiv_id: str) -> int | None:
    found: int | None = await session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id))
    return found


async def is_saved(session: AsyncSession, user_id: int, arxiv_id: str) -> bool:
    stmt = (
        select(Bookmark.id)
        .join(Paper, Paper.id == Bookmark.paper_id)
        .where(Bookmark.user_id == user_id, Paper.arxiv_id == arxiv_id)
    )
    return await session.scalar(stmt) is not None


async def add_bookmark(
    session: AsyncSession, user_id: int, pid: int, *, now: dt.datetime | None = None
) -> bool:
    """Save a paper (saving it again changes nothing: one row per user and paper); False
    when it was saved already."""
    stmt = (
        upsert_insert(session)(Bookmark)
        .values(user_id=user_id, paper_id=pid, created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def remove_bookmark(session: AsyncSession, user_id: int, pid: int) -> bool:
    """Forget a saved paper; False when it was not saved."""
    result = await session.execute(
        delete(Bookmark).where(Bookmark.user_id == user_id, Bookmark.paper_id == pid)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count_saved(session: AsyncSession, user_id: int) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Bookmark).where(Bookmark.user_id == user_id)
    )
    return int(total or 0)


async def saved_papers(
    session: AsyncSession,
    user_id: int,
    limit: int | None = None,
    offset: int = 0,
    *,
    with_sections: bool = False,
) -> list[PaperView]:
    """The user's saved papers, newest bookmark first (ties: the later saved row)."""
    stmt = (
        select(Bookmark.paper_id)
        .where(Bookmark.user_id == user_id)
        .order_by(Bookmark.created_at.desc(), Bookmark.id.desc())
        .offset(offset)
        .limit(limit)
    )
    ids = list((await session.scalars(stmt)).all())
    return await papers_by_ids(session, ids, with_sections=with_sections)
