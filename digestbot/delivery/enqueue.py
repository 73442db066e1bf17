"""Building deliveries: the morning push, an admin's repost, a broadcast.

The rendered messages are stored in the row, so what is sent after a restart is exactly
what was queued. Every delivery has a ``dedupe_key`` (unique in the table):

* ``push:{day}:{chat_id}:{thread_id}`` — a day's push reaches a target once, however
  often the push job runs;
* ``repost:{request_id}:{chat_id}:{thread_id}`` and
  ``broadcast:{request_id}:{chat_id}:{thread_id}`` — one admin request reaches a target
  once; a new request (new id) sends again, which is what a repost is for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.config import Language
from digestbot.delivery.outbox import (
    NewDelivery,
    Part,
    add_deliveries,
    chunked,
    target_key,
)
from digestbot.present.html import esc
from digestbot.present.push import render_push
from digestbot.present.split import pack_blocks
from digestbot.store.archive import PaperView, day_papers
from digestbot.store.models import Chat, DeliveryKind, Subscription

# (day, papers shown, the target's cut, papers that day) -> messages of at most 4096
# characters with their buttons; the last argument lets the header say "top 5 of 40"
Renderer = Callable[[dt.date, Sequence[PaperView], "Target", int], list[Part]]


def push_key(day: dt.date, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"push:{day.isoformat()}", chat_id, thread_id)


def repost_key(request_id: str, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"repost:{request_id}", chat_id, thread_id)


def broadcast_key(request_id: str, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"broadcast:{request_id}", chat_id, thread_id)


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def default_renderer(
    day: dt.date, papers: Sequence[PaperView], target: Target, total: int
) -> list[Part]:
    """The compact push (``present.push``), or every section in full when the target
    asked for it."""
    return render_push(
        day,
        papers,
        sections=target.sections,
        lang=target.language,
        total=total,
        full=target.full_sections,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """Where a digest goes and how it is cut: a chat, or a forum topic in it."""

    chat_id: int
    thread_id: int = 0
    top_n: int = 5
    sections: tuple[str, ...] = ()
    language: str = Language.KO
    full_sections: bool = False  # every section in full (several messages), not compact


async def subscription_targets(
    session: AsyncSession,
    *,
    subscription_ids: Sequence[int] | None = None,
    chat_id: int | None = None,
) -> list[Target]:
    """Active subscriptions of active chats (all, the given ones, or one chat's), in
    subscription order. Any number of ids: they are asked for ``outbox.ID_CHUNK`` at a time
    (SQLite and asyncpg cap the parameters of one statement at 32,766/32,767)."""
    stmt = (
        select(
            Subscription.chat_id,
            Subscription.thread_id,
            Subscription.top_n,
            Subscription.sections,
            Chat.language,
            Subscription.full_sections,
        )
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Subscription.active.is_(True), Chat.active.is_(True))
        .order_by(Subscription.id)
    )
    if chat_id is not None:
        stmt = stmt.where(Subscription.chat_id == chat_id)
    if subscription_ids is None:
        statements = [stmt]
    else:
        wanted = sorted(set(subscription_ids))
        statements = [stmt.where(Subscription.id.in_(chunk)) for chunk in chunked(wanted)]
    targets: list[Target] = []
    for statement in statements:
        targets += [
            Target(chat_id, thread_id, top_n, tuple(sections or ()), language, full)
            for chat_id, thread_id, top_n, sections, language, full in (
                await session.execute(statement)
            ).tuples()
        ]
    return targets


async def enqueue_digest(
    session: AsyncSession,
    day: dt.date,
    targets: Sequence[Target],
    *,
    kind: DeliveryKind,
    key: Callable[[Target], str],
    render: Renderer | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Render ``day``'s digest for each target (once per distinct cut) and queue it.
    Returns how many deliveries were queued (0 when the day has no papers)."""
    render = render or default_renderer
    page = await day_papers(session, day)
    papers, total = page.papers, page.total
    if not papers:
        return 0
    # a target queued already is skipped by the outbox's unique key (ON CONFLICT DO
    # NOTHING): no lookup first
    keyed = {key(t): t for t in targets}
    cache: dict[tuple[int, tuple[str, ...], str, bool], list[Part]] = {}
    items: list[NewDelivery] = []
    for dedupe_key, target in keyed.items():
        cut = (target.top_n, target.sections, target.language, target.full_sections)
        if cut not in cache:
            cache[cut] = render(day, papers[: target.top_n], target, total)
        items.append(
            NewDelivery(dedupe_key, kind, target.chat_id, target.thread_id, cache[cut], day=day)
        )
    return await add_deliveries(session, items, now=now)


async def enqueue_push(
    session: AsyncSession,
    day: dt.date,
    *,
    subscription_ids: Sequence[int] | None = None,
    render: Renderer | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Queue ``day``'s morning push for the active subscriptions (all, or the ones the
    scheduler found due). Safe to call again and again: each target gets it once."""
    targets = await subscription_targets(session, subscription_ids=subscription_ids)
    return await enqueue_digest(
        session,
        day,
        targets,
        kind=DeliveryKind.PUSH,
        key=lambda t: push_key(day, t.chat_id, t.thread_id),
        render=render,
        now=now,
    )


async def enqueue_repost(
    session: AsyncSession,
    day: dt.date,
    request_id: str,
    *,
    chat_id: int | None = None,
    thread_id: int = 0,
    top_n: int = 5,
    language: str = Language.KO,
    render: Renderer | None = None,
    now: dt.datetime | None = None,
) -> int:
    """An admin's re-send of ``day``: to every active subscription (``chat_id`` None),
    or to one chat — its subscriptions, or, when it has none (a channel, a chat the
    admin names), the chat itself with ``top_n`` papers."""
    if chat_id is None:
        targets = await subscription_targets(session)
    else:
        targets = await subscription_targets(session, chat_id=chat_id)
        if thread_id:
            targets = [t for t in targets if t.thread_id == thread_id]
        if not targets:
            targets = [Target(chat_id, thread_id, top_n, (), language)]
    return await enqueue_digest(
        session,
        day,
        targets,
        kind=DeliveryKind.REPOST,
        key=lambda t: repost_key(request_id, t.chat_id, t.thread_id),
        render=render,
        now=now,
    )


async def enqueue_broadcast(
    session: AsyncSession,
    text: str,
    request_id: str,
    *,
    now: dt.datetime | None = None,
) -> int:
    """An admin's message (plain text: it is HTML-escaped here) to every active
    subscription, cut into messages of at most 4096 characters."""
    parts = pack_blocks([esc(text)])
    if not parts:
        return 0
    targets = await subscription_targets(session)
    items = [
        NewDelivery(
            broadcast_key(request_id, t.chat_id, t.thread_id),
            DeliveryKind.BROADCAST,
            t.chat_id,
            t.thread_id,
            parts,
        )
        for t in targets
    ]
    return await add_deliveries(session, items, now=now)
