"""The operations behind the bot's commands, without Telegram.

The Telegram handlers (``digestbot.bot.handlers``) and the terminal commands
(``digestbot today|top|search|paper``) both call these with plain values; none of them
commits: the caller owns the session and its transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.bot.args import BadCommandArgument, Period, PeriodKind, TopRequest
from digestbot.bot.render import ListPage, section_key
from digestbot.config import Settings
from digestbot.store import models as m
from digestbot.store.archive import PaperView, day_papers, get_paper, newest_day, top_papers
from digestbot.store.search import search_papers

# The sections a subscriber can pick in /settings (every other name is shown when
# "all" is chosen); the order is the order of the buttons and their callback index.
SECTION_CHOICES: tuple[str, ...] = (
    "What's New",
    "Technical Details",
    "Performance Highlights",
    "Summary",
)
COUNT_CHOICES: tuple[int, ...] = (1, 3, 5, 10, 15, 20)
TIME_CHOICES: tuple[str, ...] = (
    "06:00",
    "07:00",
    "08:00",
    "09:00",
    "10:00",
    "12:00",
    "18:00",
    "21:00",
)


# --------------------------------------------------------------------------- archive


@dataclass(frozen=True, slots=True)
class DigestAnswer:
    day: dt.date
    papers: tuple[PaperView, ...]
    total: int


@dataclass(frozen=True, slots=True)
class TopAnswer:
    papers: tuple[PaperView, ...]
    page: ListPage
    kind: PeriodKind
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    papers: tuple[PaperView, ...]
    page: ListPage
    query: str


async def today(session: AsyncSession, limit: int, offset: int = 0) -> DigestAnswer | None:
    """The newest stored digest's top ``limit`` papers (None: the archive is empty)."""
    day = await newest_day(session)
    if day is None:
        return None
    page = await day_papers(session, day, limit=limit, offset=offset)
    return DigestAnswer(day, page.papers, page.total)


async def top(session: AsyncSession, request: TopRequest, page: int = 0) -> TopAnswer | None:
    """Top-voted papers of ``request.period`` (anchored at the newest stored day when the
    period has no end), page ``page`` of ``request.size``. None: the archive is empty."""
    anchor = request.period.end or await newest_day(session)
    if anchor is None:
        return None
    start, end = Period(request.period.kind, anchor).days(anchor)
    found = await top_papers(session, start, end, limit=request.size, offset=page * request.size)
    listed = ListPage(page, request.size, found.total)
    return TopAnswer(found.papers, listed, request.period.kind, start, end)


async def search(
    session: AsyncSession,
    query: str,
    page: int = 0,
    size: int = 10,
    *,
    with_sections: bool = True,
) -> SearchAnswer:
    found = await search_papers(
        session, query, limit=size, offset=page * size, with_sections=with_sections
    )
    return SearchAnswer(found.papers, ListPage(page, size, found.total), query)


async def find_paper(session: AsyncSession, ref: str | int) -> PaperView | None:
    """A paper by arXiv id, or by its rank in the newest digest (a rank past the end of
    that digest is a ``BadCommandArgument``)."""
    if isinstance(ref, str):
        return await get_paper(session, ref)
    day = await newest_day(session)
    if day is None:
        return None
    page = await day_papers(session, day, limit=1, offset=ref - 1)
    if not page.papers:
        raise BadCommandArgument("arg.bad_rank", "/paper 1", value=ref, high=page.total)
    return page.papers[0]


# --------------------------------------------------------------------------- chats


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    active: bool
    push_time: str
    timezone: str
    top_n: int
    sections: tuple[str, ...]


def _view(sub: m.Subscription) -> SubscriptionView:
    return SubscriptionView(sub.active, sub.push_time, sub.timezone, sub.top_n, tuple(sub.sections))


def default_subscription(settings: Settings) -> SubscriptionView:
    return SubscriptionView(False, settings.push_time, settings.timezone, settings.top_n, ())


async def ensure_chat(
    session: AsyncSession, chat_id: int, chat_type: str, title: str, language: str
) -> m.Chat:
    """The chat's row, created on first contact with the default ``language``."""
    chat = await session.get(m.Chat, chat_id)
    if chat is None:
        chat = m.Chat(id=chat_id, type=chat_type, title=title, language=language, active=True)
        session.add(chat)
        await session.flush()
    elif not chat.active:
        # a chat that blocked the bot and talks to it again is reachable again
        chat.active = True
        chat.inactive_reason = ""
    return chat


async def set_language(session: AsyncSession, chat_id: int, language: str) -> None:
    chat = await session.get(m.Chat, chat_id)
    if chat is not None:
        chat.language = language


async def _subscription(
    session: AsyncSession, chat_id: int, thread_id: int
) -> m.Subscription | None:
    found: m.Subscription | None = await session.scalar(
        select(m.Subscription).where(
            m.Subscription.chat_id == chat_id, m.Subscription.thread_id == thread_id
        )
    )
    return found


async def get_subscription(
    session: AsyncSession, chat_id: int, thread_id: int
) -> SubscriptionView | None:
    sub = await _subscription(session, chat_id, thread_id)
    return _view(sub) if sub else None


async def _get_or_create(
    session: AsyncSession, chat_id: int, thread_id: int, settings: Settings
) -> m.Subscription:
    sub = await _subscription(session, chat_id, thread_id)
    if sub is None:
        sub = m.Subscription(
            chat_id=chat_id,
            thread_id=thread_id,
            active=False,
            push_time=settings.push_time,
            timezone=settings.timezone,
            top_n=settings.top_n,
            sections=[],
        )
        session.add(sub)
    return sub


async def subscribe(
    session: AsyncSession,
    chat_id: int,
    thread_id: int,
    settings: Settings,
    *,
    push_time: str | None = None,
    top_n: int | None = None,
    timezone: str | None = None,
) -> SubscriptionView:
    """Start (or restart) the push; given values replace the stored ones (``timezone``: an
    IANA name, checked by the caller)."""
    sub = await _get_or_create(session, chat_id, thread_id, settings)
    sub.active = True
    return await _apply(session, sub, push_time=push_time, top_n=top_n, timezone=timezone)


async def unsubscribe(session: AsyncSession, chat_id: int, thread_id: int) -> bool:
    """Stop the push and keep the settings; False when there was nothing to stop."""
    sub = await _subscription(session, chat_id, thread_id)
    if sub is None or not sub.active:
        return False
    sub.active = False
    await session.flush()
    return True


async def change_subscription(
    session: AsyncSession,
    chat_id: int,
    thread_id: int,
    settings: Settings,
    *,
    push_time: str | None = None,
    top_n: int | None = None,
    toggle_section: str | None = None,
) -> SubscriptionView:
    """Change one setting; a chat without a subscription gets an inactive one holding it."""
    sub = await _get_or_create(session, chat_id, thread_id, settings)
    return await _apply(
        session, sub, push_time=push_time, top_n=top_n, toggle_section=toggle_section
    )


async def _apply(
    session: AsyncSession,
    sub: m.Subscription,
    *,
    push_time: str | None = None,
    top_n: int | None = None,
    timezone: str | None = None,
    toggle_section: str | None = None,
) -> SubscriptionView:
    """Store the settings that were given; None leaves one as it is."""
    if push_time is not None:
        sub.push_time = push_time
    if top_n is not None:
        sub.top_n = top_n
    if timezone is not None:
        sub.timezone = timezone
    if toggle_section is not None:
        sub.sections = toggled_sections(sub.sections, toggle_section)
    await session.flush()
    return _view(sub)


def toggled_sections(chosen: Sequence[str], name: str) -> list[str]:
    """``chosen`` with ``name`` added, or removed when there (in any spelling: ``What’s
    New`` is ``What's New``); in the order of SECTION_CHOICES, so the stored list is
    stable, then any other names sorted. Known names are stored as SECTION_CHOICES
    spells them, and each section once."""
    canonical = {section_key(s): s for s in SECTION_CHOICES}
    keys: dict[str, str] = {}
    for section in chosen:
        keys.setdefault(section_key(section), canonical.get(section_key(section), section))
    key = section_key(name)
    if key in keys:
        del keys[key]
    else:
        keys[key] = canonical.get(key, name)
    known = [s for s in SECTION_CHOICES if section_key(s) in keys]
    return known + sorted(v for k, v in keys.items() if k not in canonical)
