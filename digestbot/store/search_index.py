"""Keeps the full-text index in step with the archive, inside the ingest's transaction.

The search engine itself (``digestbot.store.search``) defines what is indexed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession


async def index_papers(session: AsyncSession, paper_ids: Sequence[int]) -> None:
    """(Re)index these papers. Filled in by the search engine's migration (0002)."""
    return None
