"""Follows in the database (SQLite and PostgreSQL): one row per target and normalised
query, per forum topic, removed only by their own target, carried by a supergroup move."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.store import chats
from digestbot.store import follows as repo
from digestbot.store.models import Chat, Follow

Sessions = async_sessionmaker[AsyncSession]
GROUP, SUPER, USER, TOPIC = -500, -100500, 1001, 7


async def rows(sessions: Sessions) -> list[tuple[int, int, str]]:
    async with sessions() as session:
        found = await session.execute(
            select(Follow.chat_id, Follow.thread_id, Follow.query).order_by(Follow.id)
        )
        return [(c, t, q) for c, t, q in found.tuples()]


async def test_one_row_per_target_and_query(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for chat_id, kind in ((USER, "private"), (GROUP, "group")):
            await chats.ensure_chat(session, chat_id, kind, "", "ko")
        assert await repo.add_follow(session, USER, 0, "diffusion", "Diffusion")
        assert not await repo.add_follow(session, USER, 0, "diffusion", "DIFFUSION")
        assert await repo.add_follow(session, USER, TOPIC, "diffusion", "diffusion")
        assert await repo.add_follow(session, GROUP, 0, "diffusion", "diffusion")
        assert await repo.add_follow(session, GROUP, 0, "lego", "lego")
        assert await repo.count_follows(session, USER, 0) == 1
        assert await repo.follows_of_targets(session, [(USER, 0), (GROUP, 0)]) == {
            (USER, 0): ["diffusion"],
            (GROUP, 0): ["diffusion", "lego"],
        }
    async with sessions.begin() as session:
        [group_follow, _] = await repo.list_follows(session, GROUP, 0)
        # another target's id removes nothing (button data can be forged)
        assert await repo.remove_follow(session, USER, 0, follow_id=group_follow.id) is None
        removed = await repo.remove_follow(session, GROUP, 0, query="lego")
        assert removed is not None and removed.text == "lego"
    assert await rows(sessions) == [
        (USER, 0, "diffusion"),
        (USER, TOPIC, "diffusion"),
        (GROUP, 0, "diffusion"),
    ]


async def test_a_supergroup_move_carries_the_follows(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await chats.ensure_chat(session, GROUP, "group", "", "ko")
        await repo.add_follow(session, GROUP, 0, "lego", "lego")
        await repo.add_follow(session, GROUP, 0, "diffusion", "diffusion")
    async with sessions.begin() as session:
        await chats.move_chat(session, GROUP, SUPER)  # the new id is unknown: renamed
    assert await rows(sessions) == [(SUPER, 0, "lego"), (SUPER, 0, "diffusion")]
    # the bot already knew the new chat, which follows one of them: one row each
    async with sessions.begin() as session:
        session.add(Chat(id=GROUP, type="group", title=""))
        await session.flush()
        await repo.add_follow(session, GROUP, 0, "lego", "lego")
        await repo.add_follow(session, GROUP, 0, "robots", "robots")
    async with sessions.begin() as session:
        await chats.move_chat(session, GROUP, SUPER)
    assert sorted(await rows(sessions)) == sorted(
        [(SUPER, 0, "lego"), (SUPER, 0, "diffusion"), (SUPER, 0, "robots")]
    )
