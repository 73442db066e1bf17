"""Follows without Telegram: ``/follow``, ``/following``, ``/unfollow``. None commits.

A follow belongs to a target (a chat, or a forum topic in it, like a subscription) and is
stored under its normalised key (:func:`digestbot.search.follow.follow_key`): the same
words in another order, case or spelling are one follow. Refusals are
``BadCommandArgument``s, which the bot answers with one line and an example."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.present.args import (
    FOLLOW_EXAMPLE,
    UNFOLLOW_EXAMPLE,
    BadCommandArgument,
    parse_follow_text,
    shown,
)
from digestbot.present.html import FollowLine
from digestbot.search.follow import follow_key, parse_follow
from digestbot.store import chats
from digestbot.store import follows as repo

MAX_FOLLOWS = 20


@dataclass(frozen=True, slots=True)
class FollowItem:
    id: int
    number: int  # 1-based, oldest first: what /unfollow <number> reads
    text: str

    @property
    def line(self) -> FollowLine:
        return FollowLine(self.number, self.text)


@dataclass(frozen=True, slots=True)
class FollowResult:
    added: bool  # False: the target already followed it
    text: str
    count: int  # the target's follows now
    subscribed: bool  # the target has an active subscription (else no push carries it)


async def follow(session: AsyncSession, chat_id: int, thread_id: int, words: str) -> FollowResult:
    """Follow ``words`` (as typed after /follow)."""
    text = parse_follow_text(words)
    key = follow_key(parse_follow(text))
    if not key:
        raise BadCommandArgument("arg.follow_nothing", FOLLOW_EXAMPLE, value=shown(text))
    sub = await chats.find_subscription(session, chat_id, thread_id)
    subscribed = sub is not None and sub.active
    count = await repo.count_follows(session, chat_id, thread_id)
    existing = {f.query: f.text for f in await repo.list_follows(session, chat_id, thread_id)}
    if key in existing:
        return FollowResult(False, existing[key], count, subscribed)
    if count >= MAX_FOLLOWS:
        raise BadCommandArgument("arg.follow_too_many", UNFOLLOW_EXAMPLE, max=MAX_FOLLOWS)
    added = await repo.add_follow(session, chat_id, thread_id, key, text)
    return FollowResult(added, text, count + int(added), subscribed)


async def following(session: AsyncSession, chat_id: int, thread_id: int) -> list[FollowItem]:
    rows = await repo.list_follows(session, chat_id, thread_id)
    return [FollowItem(f.id, i, f.text) for i, f in enumerate(rows, start=1)]


async def unfollow(session: AsyncSession, chat_id: int, thread_id: int, ref: int | str) -> str:
    """Stop following a number of /following's list or the words of a follow; returns
    what was typed when it was followed."""
    items = await following(session, chat_id, thread_id)
    if isinstance(ref, int):
        if not 1 <= ref <= len(items):
            raise BadCommandArgument(
                "arg.unknown_follow_number", UNFOLLOW_EXAMPLE, value=ref, high=len(items)
            )
        removed = await repo.remove_follow(session, chat_id, thread_id, follow_id=items[ref - 1].id)
    else:
        key = follow_key(parse_follow(ref))
        removed = await repo.remove_follow(session, chat_id, thread_id, query=key) if key else None
    if removed is None:
        raise BadCommandArgument("arg.unknown_follow", UNFOLLOW_EXAMPLE, value=shown(str(ref)))
    return removed.text


async def unfollow_id(
    session: AsyncSession, chat_id: int, thread_id: int, follow_id: int
) -> str | None:
    """The ✕ button: remove the follow ``follow_id`` if it is this target's (callback
    data can be forged); None when it is not (any more)."""
    removed = await repo.remove_follow(session, chat_id, thread_id, follow_id=follow_id)
    return removed.text if removed is not None else None
