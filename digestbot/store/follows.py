"""Repository functions for follows (a chat's or forum topic's followed searches). None
of them commits: the caller owns the transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.store.db import upsert_insert
from digestbot.store.models import Follow

TargetKey = tuple[int, int]  # (chat id, thread id)


async def list_follows(session: AsyncSession, chat_id: int, thread_id: int) -> list[Follow]:
    """A target's follows, oldest first (the numbers /following shows)."""
    rows = await session.scalars(
        select(Follow)
        .where(Follow.chat_id == chat_id, Follow.thread_id == thread_id)
        .order_by(Follow.id)
    )
    return list(rows)


async def count_follows(session: AsyncSession, chat_id: int, thread_id: int) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Follow)
        .where(Follow.chat_id == chat_id, Follow.thread_id == thread_id)
    )
    return int(found or 0)


async def add_follow(
    session: AsyncSession, chat_id: int, thread_id: int, query: str, text: str
) -> bool:
    """Follow ``query`` (a normalised key); False when the target already follows it
    (also when another request stored it meanwhile: the unique constraint decides)."""
    insert = upsert_insert(session)
    stmt = (
        insert(Follow)
        .values(chat_id=chat_id, thread_id=thread_id, query=query, text=text)
        .on_conflict_do_nothing(index_elements=["chat_id", "thread_id", "query"])
        .returning(Follow.id)
    )
    added = await session.scalar(stmt)
    return added is not None


async def remove_follow(
    session: AsyncSession,
    chat_id: int,
    thread_id: int,
    *,
    follow_id: int | None = None,
    query: str | None = None,
) -> Follow | None:
    """Remove one of the target's follows, by id or by key; the removed row, or None."""
    stmt = select(Follow).where(Follow.chat_id == chat_id, Follow.thread_id == thread_id)
    if follow_id is not None:
        stmt = stmt.where(Follow.id == follow_id)
    elif query is not None:
        stmt = stmt.where(Follow.query == query)
    else:
        return None
    found = await session.scalar(stmt)
    if found is not None:
        await session.execute(delete(Follow).where(Follow.id == found.id))
    return found


async def follows_of_targets(
    session: AsyncSession, targets: Collection[TargetKey]
) -> dict[TargetKey, list[str]]:
    """The follow keys of each of ``targets``. One pass over the table (it has a row per
    chat and follow, far fewer than a day's deliveries): no statement per target."""
    wanted = set(targets)
    found: dict[TargetKey, list[str]] = defaultdict(list)
    if not wanted:
        return found
    rows = await session.execute(select(Follow.chat_id, Follow.thread_id, Follow.query))
    for chat_id, thread_id, query in rows.tuples():
        if (chat_id, thread_id) in wanted:
            found[(chat_id, thread_id)].append(query)
    return found
