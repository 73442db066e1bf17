"""The operations behind the bot's commands, without Telegram.

The Telegram handlers (``digestbot.bot.commands``) and the terminal commands
(``digestbot today|top|search|paper``) both call these with plain values; none of them
commits: the caller owns the session and its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.present.args import BadCommandArgument, Period, PeriodKind, TopRequest
from digestbot.present.html import ListPage
from digestbot.search.engine import search_papers
from digestbot.search.similar import SimilarResult, similar_papers
from digestbot.store.archive import PaperView, day_papers, get_paper, newest_day, top_papers


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


async def similar(session: AsyncSession, ref: str | int, limit: int = 8) -> SimilarResult | None:
    """The papers most like the paper ``ref`` names (None: no such paper)."""
    paper = await find_paper(session, ref)
    if paper is None:
        return None
    return await similar_papers(session, paper, limit)
