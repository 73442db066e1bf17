"""Helpers for the delivery tests: chats, subscriptions and a stored digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.model import Digest, Paper, Section
from digestbot.services.ingest import write_day
from digestbot.store.models import Chat, Subscription

DAY = dt.date(2025, 5, 9)


def sample_digest(day: dt.date = DAY, papers: int = 3) -> Digest:
    return Digest(
        date=day,
        papers=tuple(
            Paper(
                arxiv_id=f"2505.{i:05d}",
                title=f"Paper number {i} <b>bold</b>",
                url=f"https://arxiv.org/abs/2505.{i:05d}",
                votes=100 - i,
                authors=("Kim", "Lee"),
                sections=(Section("What's New", f"새로운 점 {i}"),),
                position=i,
                rank=i,
            )
            for i in range(1, papers + 1)
        ),
        source="test",
    )


async def store_sample_digest(
    sessions: async_sessionmaker[AsyncSession], day: dt.date = DAY, papers: int = 3
) -> None:
    async with sessions.begin() as session:
        await write_day(session, sample_digest(day, papers), "0" * 64)


async def add_subscribers(
    sessions: async_sessionmaker[AsyncSession],
    chat_ids: Sequence[int],
    *,
    thread_id: int = 0,
    top_n: int = 5,
) -> None:
    async with sessions.begin() as session:
        for chat_id in chat_ids:
            if await session.get(Chat, chat_id) is None:
                kind = "private" if chat_id > 0 else "supergroup"
                session.add(Chat(id=chat_id, type=kind, title=str(chat_id)))
                await session.flush()
            session.add(Subscription(chat_id=chat_id, thread_id=thread_id, top_n=top_n))
