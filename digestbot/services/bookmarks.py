"""Bookmarks (🔖) without Telegram: toggle, the /saved list, the BibTeX export. Shared by
the bot's buttons and commands; none of them commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.present.html import ListPage
from digestbot.store import bookmarks
from digestbot.store.archive import PaperView

SAVED_PAGE = 10


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    papers: tuple[PaperView, ...]
    page: ListPage


async def toggle(session: AsyncSession, user_id: int, arxiv_id: str) -> bool | None:
    """Save the paper, or forget it when it was saved; the new state (True: saved), or
    None for a paper the archive does not hold."""
    pid = await bookmarks.paper_id(session, arxiv_id)
    if pid is None:
        return None
    if await bookmarks.remove_bookmark(session, user_id, pid):
        return False
    await bookmarks.add_bookmark(session, user_id, pid)
    return True


async def save(session: AsyncSession, user_id: int, arxiv_id: str) -> bool | None:
    """Save the paper (saving it again changes nothing): True when it was not saved yet,
    False when it already was, None for a paper the archive does not hold."""
    pid = await bookmarks.paper_id(session, arxiv_id)
    if pid is None:
        return None
    return await bookmarks.add_bookmark(session, user_id, pid)


async def remove(session: AsyncSession, user_id: int, arxiv_id: str) -> bool:
    pid = await bookmarks.paper_id(session, arxiv_id)
    return pid is not None and await bookmarks.remove_bookmark(session, user_id, pid)


async def is_saved(session: AsyncSession, user_id: int | None, arxiv_id: str) -> bool:
    return user_id is not None and await bookmarks.is_saved(session, user_id, arxiv_id)


async def saved_page(
    session: AsyncSession, user_id: int, page: int, size: int = SAVED_PAGE
) -> SavedAnswer:
    """Page ``page`` of the user's saved papers, newest first; a page past the end (the
    last papers were just removed) shows the last page."""
    total = await bookmarks.count_saved(session, user_id)
    last = max(0, -(-total // size) - 1)
    page = min(max(page, 0), last)
    papers = await bookmarks.saved_papers(session, user_id, size, page * size)
    return SavedAnswer(tuple(papers), ListPage(page, size, total))


async def all_saved(session: AsyncSession, user_id: int) -> list[PaperView]:
    """Every saved paper, newest first (for the BibTeX file)."""
    return await bookmarks.saved_papers(session, user_id)
