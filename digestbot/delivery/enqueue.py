"""Building deliveries: the morning push, the weekly digest, an admin's repost, a broadcast.

The rendered messages are stored in the row, so what is sent after a restart is exactly
what was queued. Every delivery has a ``dedupe_key`` (unique in the table):

* ``push:{day}:{chat_id}:{thread_id}`` — a day's push reaches a target once, however
  often the push job runs; the papers the target follows (below its top N) are part of
  that one delivery, under their own heading;
* ``follow:{day}:{chat_id}:{thread_id}`` — the push of a "only papers I follow"
  subscription: only the day's papers matching its follows, once; a day without a match
  queues nothing;
* ``weekly:{monday}:{chat_id}:{thread_id}`` — the weekly digest of the week starting on
  ``monday`` (Monday–Sunday, sent on the next Monday), once; for a follows-only
  subscription only the week's papers matching its follows, and nothing in a week
  without a match;
* ``repost:{request_id}:{chat_id}:{thread_id}`` and
  ``broadcast:{request_id}:{chat_id}:{thread_id}`` — one admin request reaches a target
  once; a new request (new id) sends again, which is what a repost is for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.config import Language
from digestbot.delivery.outbox import (
    NewDelivery,
    Part,
    add_deliveries,
    chunked,
    existing_keys,
    target_key,
)
from digestbot.present.html import esc, render_weekly_messages
from digestbot.present.push import render_push
from digestbot.present.split import pack_blocks
from digestbot.search.follow import PaperText, day_matches, papers_of
from digestbot.store.archive import Page, PaperView, day_papers, top_papers
from digestbot.store.follows import TargetKey, follows_of_targets
from digestbot.store.models import Chat, DeliveryKind, Subscription

# the most followed papers one push shows (the best-ranked of them): a broad follow on a
# busy day must not turn the morning push into a wall of text
MAX_FOLLOWED = 10

# (day, papers shown, the target's cut, papers that day, followed papers) -> messages of
# at most 4096 characters with their buttons; ``total`` lets the header say "top 5 of
# 40"; ``followed`` are the day's papers matching the target's follows that are not
# among the papers shown, under their own heading (with no papers: a follows-only push)
Renderer = Callable[[dt.date, Sequence[PaperView], "Target", int, Sequence[PaperView]], list[Part]]

# (Monday, Sunday, papers shown, sections, language, papers that week, whether they are
# the papers the target follows) -> HTML messages
WeeklyRenderer = Callable[
    [dt.date, dt.date, Sequence[PaperView], Sequence[str], str, int, bool], list[str]
]
# a follows-only weekly digest looks for its matches among this many of the week's
# papers, best-voted first (a week of the archive holds a few hundred)
WEEK_MAX_PAPERS = 2000


def push_key(day: dt.date, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"push:{day.isoformat()}", chat_id, thread_id)


def follow_key(day: dt.date, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"follow:{day.isoformat()}", chat_id, thread_id)


def weekly_key(monday: dt.date, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"weekly:{monday.isoformat()}", chat_id, thread_id)


def repost_key(request_id: str, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"repost:{request_id}", chat_id, thread_id)


def broadcast_key(request_id: str, chat_id: int, thread_id: int = 0) -> str:
    return target_key(f"broadcast:{request_id}", chat_id, thread_id)


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def default_renderer(
    day: dt.date,
    papers: Sequence[PaperView],
    target: Target,
    total: int,
    followed: Sequence[PaperView] = (),
) -> list[Part]:
    """The compact push (``present.push``), or every section in full when the target
    asked for it."""
    return render_push(
        day,
        papers,
        followed=followed,
        sections=target.sections,
        lang=target.language,
        total=total,
        full=target.full_sections,
    )


def default_weekly_renderer(
    monday: dt.date,
    sunday: dt.date,
    papers: Sequence[PaperView],
    sections: Sequence[str],
    lang: str,
    total: int,
    followed: bool,
) -> list[str]:
    return render_weekly_messages(
        monday, sunday, papers, sections=sections, lang=lang, total=total, followed=followed
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
    follows_only: bool = False  # the push holds only the papers it follows

    @property
    def key(self) -> TargetKey:
        return (self.chat_id, self.thread_id)


# what a subscription's push is cut by, as columns (a push reads every subscription due:
# no ORM objects); ``target_of`` makes the Target of such a row
TARGET_COLUMNS = (
    Subscription.chat_id,
    Subscription.thread_id,
    Subscription.top_n,
    Subscription.sections,
    Chat.language,
    Subscription.full_sections,
    Subscription.follows_only,
)


def target_of(row: Sequence[Any]) -> Target:
    chat, thread, top_n, sections, language, full, only = row
    return Target(chat, thread, top_n, tuple(sections or ()), language, bool(full), bool(only))


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
        select(*TARGET_COLUMNS)
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
        targets += [target_of(row) for row in (await session.execute(statement)).tuples()]
    return targets


async def follow_matches(
    session: AsyncSession, papers: Sequence[PaperView], targets: Sequence[Target]
) -> dict[TargetKey, frozenset[int]]:
    """The indexes (into ``papers``) of the day's papers each target follows. Every
    distinct follow is matched once against the day's papers (in memory, the search's
    semantics: ``digestbot.search.follow``), then mapped to the targets following it."""
    by_target = await follows_of_targets(session, [t.key for t in targets])
    if not by_target:
        return {}
    texts = [PaperText(p.title, p.authors, [s.text for s in p.sections]) for p in papers]
    matched = day_matches(texts, (k for keys in by_target.values() for k in keys))
    found = {target: papers_of(matched, keys) for target, keys in by_target.items()}
    return {target: hits for target, hits in found.items() if hits}


async def enqueue_digest(
    session: AsyncSession,
    day: dt.date,
    targets: Sequence[Target],
    *,
    kind: DeliveryKind,
    key: Callable[[Target], str],
    render: Renderer | None = None,
    now: dt.datetime | None = None,
    follows: bool = False,
    page: Page | None = None,
) -> int:
    """Render ``day``'s digest for each target (once per distinct cut) and queue it.
    Returns how many deliveries were queued (0 when the day has no papers).

    ``follows``: add the day's papers each target follows that are not in its top N
    (the morning push; the best-ranked ``MAX_FOLLOWED``), and give a follows-only target
    only those — nothing on a day without any (its ``key`` decides its dedupe key).
    ``page``: the day's papers when the caller read them already (``day_papers``)."""
    render = render or default_renderer
    if page is None:
        page = await day_papers(session, day)
    papers, total = page.papers, page.total
    if not papers:
        return 0
    # a target queued already is skipped by the outbox's unique key (ON CONFLICT DO
    # NOTHING): no lookup first
    keyed = {key(t): t for t in targets}
    matched = await follow_matches(session, papers, list(keyed.values())) if follows else {}
    cache: dict[tuple[int, tuple[str, ...], str, bool, tuple[int, ...]], list[Part]] = {}
    items: list[NewDelivery] = []
    for dedupe_key, target in keyed.items():
        only = follows and target.follows_only
        top_n = 0 if only else target.top_n
        hits = matched.get(target.key, ())
        followed = tuple(sorted(i for i in hits if i >= top_n)[:MAX_FOLLOWED])
        if only and not followed:
            continue
        cut = (top_n, target.sections, target.language, target.full_sections, followed)
        if cut not in cache:
            cache[cut] = render(day, papers[:top_n], target, total, [papers[i] for i in followed])
        item_kind = DeliveryKind.FOLLOW if only else kind
        items.append(
            NewDelivery(
                dedupe_key, item_kind, target.chat_id, target.thread_id, cache[cut], day=day
            )
        )
    return await add_deliveries(session, items, now=now)


def daily_key(day: dt.date) -> Callable[[Target], str]:
    """A morning push's dedupe key: ``follow:`` for a follows-only target, else ``push:``."""
    return lambda t: (follow_key if t.follows_only else push_key)(day, t.chat_id, t.thread_id)


async def enqueue_push(
    session: AsyncSession,
    day: dt.date,
    *,
    subscription_ids: Sequence[int] | None = None,
    render: Renderer | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Queue ``day``'s morning push (with each target's followed papers) for the active
    subscriptions (all, or the ones the scheduler found due). Safe to call again and
    again: each target gets it once."""
    targets = await subscription_targets(session, subscription_ids=subscription_ids)
    return await enqueue_digest(
        session,
        day,
        targets,
        kind=DeliveryKind.PUSH,
        key=daily_key(day),
        render=render,
        now=now,
        follows=True,
    )


async def enqueue_weekly(
    session: AsyncSession,
    monday: dt.date,
    *,
    subscription_ids: Sequence[int] | None = None,
    render: WeeklyRenderer | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Queue the weekly digest of ``monday``..Sunday (the week's top N by votes, /top
    week's ranking) for the active subscriptions given; each target gets it once. A
    follows-only target gets the best-voted N of the week's papers it follows instead,
    and nothing in a week without one."""
    render = render or default_weekly_renderer
    targets = await subscription_targets(session, subscription_ids=subscription_ids)
    if not targets:
        return 0
    sunday = monday + dt.timedelta(days=6)
    keyed = {weekly_key(monday, t.chat_id, t.thread_id): t for t in targets}
    done = await existing_keys(session, keyed)
    todo = {k: t for k, t in keyed.items() if k not in done}
    if not todo:
        return 0
    only = [t for t in todo.values() if t.follows_only]
    limit = WEEK_MAX_PAPERS if only else max(t.top_n for t in todo.values())
    page = await top_papers(session, monday, sunday, limit=limit)
    if not page.papers:
        return 0
    matched = await follow_matches(session, page.papers, only) if only else {}
    cache: dict[tuple[tuple[int, ...], tuple[str, ...], str, bool], list[str]] = {}
    items: list[NewDelivery] = []
    for dedupe_key, target in todo.items():
        if target.follows_only:
            chosen = tuple(sorted(matched.get(target.key, ()))[: target.top_n])
            if not chosen:
                continue
        else:
            chosen = tuple(range(min(target.top_n, len(page.papers))))
        cut = (chosen, target.sections, target.language, target.follows_only)
        if cut not in cache:
            cache[cut] = render(
                monday,
                sunday,
                [page.papers[i] for i in chosen],
                target.sections,
                target.language,
                page.total,
                target.follows_only,
            )
        items.append(
            NewDelivery(
                dedupe_key,
                DeliveryKind.WEEKLY,
                target.chat_id,
                target.thread_id,
                cache[cut],
                day=monday,
            )
        )
    return await add_deliveries(session, items, now=now)


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
