"""Repository functions for chats and their subscriptions. None of them commits: the
caller owns the transaction. (What Telegram's answers do to a chat's queued deliveries
is the outbox's part: ``digestbot.delivery.outbox``.)"""

from __future__ import annotations

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from digestbot.clock import EPOCH
from digestbot.store.models import Chat, Follow, Subscription


async def ensure_chat(
    session: AsyncSession, chat_id: int, chat_type: str, title: str, language: str
) -> Chat:
    """The chat's row, created on first contact with the default ``language``."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(id=chat_id, type=chat_type, title=title, language=language, active=True)
        session.add(chat)
        await session.flush()
    elif not chat.active:
        # a chat that blocked the bot and talks to it again is reachable again
        chat.active = True
        chat.inactive_reason = ""
        # its pushes resume: the next push tick works their moments out
        await session.execute(
            update(Subscription)
            .where(Subscription.chat_id == chat_id, Subscription.active.is_(True))
            .values(next_push_at=EPOCH)
        )
    return chat


async def chat_language(session: AsyncSession, chat_id: int) -> str | None:
    """The chat's UI language; None for a chat the bot has never seen."""
    language: str | None = await session.scalar(select(Chat.language).where(Chat.id == chat_id))
    return language


async def set_language(session: AsyncSession, chat_id: int, language: str) -> None:
    chat = await session.get(Chat, chat_id)
    if chat is not None:
        chat.language = language


async def find_subscription(
    session: AsyncSession, chat_id: int, thread_id: int
) -> Subscription | None:
    found: Subscription | None = await session.scalar(
        select(Subscription).where(
            Subscription.chat_id == chat_id, Subscription.thread_id == thread_id
        )
    )
    return found


async def deactivate_chat(session: AsyncSession, chat_id: int, reason: str) -> None:
    """The bot may no longer write to ``chat_id`` (blocked, kicked, deleted): the chat is
    marked inactive with the reason; its subscriptions are kept as the user left them (a
    chat that comes back with /start is active again with its settings)."""
    await session.execute(
        update(Chat).where(Chat.id == chat_id).values(active=False, inactive_reason=reason)
    )


async def deactivate_topic(session: AsyncSession, chat_id: int, thread_id: int) -> None:
    """A forum topic is gone or closed: its subscription stops, the chat stays active."""
    await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.thread_id == thread_id)
        .values(active=False, next_push_at=None)
    )


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became supergroup ``new_chat_id``: the chat and its subscriptions (by
    ``ON UPDATE CASCADE``) take the new id. When the new id is already known (the bot saw
    the supergroup first), the old chat's subscriptions join it unless it already has one
    for the same topic (its follows likewise, unless followed there already), and the
    old row goes."""
    old_exists = await session.scalar(select(Chat.id).where(Chat.id == old_chat_id))
    new_exists = await session.scalar(select(Chat.id).where(Chat.id == new_chat_id))
    if old_exists is None:
        return
    if new_exists is None:
        await session.execute(
            update(Chat)
            .where(Chat.id == old_chat_id)
            .values(id=new_chat_id, type="supergroup", active=True, inactive_reason="")
        )
        return
    taken = select(Subscription.thread_id).where(Subscription.chat_id == new_chat_id)
    await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == old_chat_id, Subscription.thread_id.not_in(taken))
        .values(chat_id=new_chat_id)
    )
    twin = aliased(Follow)
    await session.execute(
        update(Follow)
        .where(
            Follow.chat_id == old_chat_id,
            ~exists().where(
                twin.chat_id == new_chat_id,
                twin.thread_id == Follow.thread_id,
                twin.query == Follow.query,
            ),
        )
        .values(chat_id=new_chat_id)
    )
    await session.execute(
        update(Chat).where(Chat.id == new_chat_id).values(active=True, inactive_reason="")
    )
    await session.execute(delete(Chat).where(Chat.id == old_chat_id))
