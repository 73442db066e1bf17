"""`/search`: full text over titles, authors and every section, ranked and paginated.

The query semantics and the index tokens live in :mod:`digestbot.search.query` (pure);
this module runs them on SQLite (FTS5) or PostgreSQL (tsvector + GIN). Ranking: papers
matching in the title/authors first, then by the index's ranking key (votes, day, id),
which both backends store as the row's sort key, so a page is read in key order without
sorting every match.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.search.query import Query, parse_query
from digestbot.search.tokens import fts5_expression, paper_id_of, tsquery_expression
from digestbot.store.archive import PaperView, papers_by_ids

__all__ = ["SearchResult", "search_papers", "seqscan_off"]


@dataclass(frozen=True, slots=True)
class SearchResult:
    papers: tuple[PaperView, ...]  # in rank order, each with its latest appearance
    total: int
    offset: int
    terms: tuple[str, ...]  # the normalised terms searched for (empty: nothing to search)


async def search_papers(
    session: AsyncSession,
    query: str | Query,
    limit: int = 10,
    offset: int = 0,
    *,
    with_sections: bool = True,
) -> SearchResult:
    """Search the archive. Never raises for any query text; no terms finds nothing.
    ``with_sections=False`` leaves the papers' sections out (a list of titles)."""
    parsed = parse_query(query) if isinstance(query, str) else query
    offset = max(offset, 0)
    if not parsed:
        return SearchResult((), 0, offset, parsed.words)
    if session.bind.dialect.name == "sqlite":
        ids, total = await _search_sqlite(session, parsed, limit, offset)
    else:
        ids, total = await _search_postgresql(session, parsed, limit, offset)
    papers = await papers_by_ids(session, ids, with_sections=with_sections) if ids else []
    return SearchResult(tuple(papers), total, offset, parsed.words)


async def _ids(session: AsyncSession, sql: str, params: Mapping[str, object]) -> list[int]:
    return [int(v) for v in (await session.scalars(text(sql), params)).all()]


async def _search_sqlite(
    session: AsyncSession, query: Query, limit: int, offset: int
) -> tuple[list[int], int]:
    expr = fts5_expression(query)
    head = f"{{head}} : ({expr})"
    rest = f"({expr}) NOT ({head})"
    counts = (
        "SELECT (SELECT count(*) FROM search_fts WHERE search_fts MATCH :e),"
        " (SELECT count(*) FROM search_fts WHERE search_fts MATCH :h)"
    )
    page = (
        "SELECT rowid FROM search_fts WHERE search_fts MATCH :e "
        "ORDER BY rowid LIMIT :limit OFFSET :offset"
    )
    row = (await session.execute(text(counts), {"e": expr, "h": head})).one()
    total, in_head = int(row[0]), int(row[1])
    if total == 0 or limit <= 0 or offset >= total:
        return [], total
    keys: list[int] = []
    if offset < in_head:
        keys += await _ids(session, page, {"e": head, "limit": limit, "offset": offset})
    if len(keys) < limit and in_head < total:
        more = {"e": rest, "limit": limit - len(keys), "offset": max(offset - in_head, 0)}
        keys += await _ids(session, page, more)
    return [paper_id_of(k) for k in keys], total


async def _search_postgresql(
    session: AsyncSession, query: Query, limit: int, offset: int
) -> tuple[list[int], int]:
    q = {"q": tsquery_expression(query)}
    tsq = "CAST(:q AS tsquery)"
    async with seqscan_off(session):
        counts = (
            await session.execute(
                text(
                    f"SELECT (SELECT count(*) FROM search_docs WHERE doc @@ {tsq}),"
                    f" (SELECT count(*) FROM search_docs WHERE head @@ {tsq})"
                ),
                q,
            )
        ).one()
        total, in_head = int(counts[0]), int(counts[1])
        if total == 0 or limit <= 0 or offset >= total:
            return [], total
        page = (
            "SELECT paper_id FROM search_docs WHERE {where} "
            "ORDER BY sort_key LIMIT :limit OFFSET :offset"
        )
        ids: list[int] = []
        if offset < in_head:
            where = f"head @@ {tsq}"
            ids += await _ids(
                session, page.format(where=where), {**q, "limit": limit, "offset": offset}
            )
        if len(ids) < limit and in_head < total:
            more = {**q, "limit": limit - len(ids), "offset": max(offset - in_head, 0)}
            where = f"doc @@ {tsq} AND NOT (head @@ {tsq})"
            ids += await _ids(session, page.format(where=where), more)
        return ids, total


@asynccontextmanager
async def seqscan_off(session: AsyncSession) -> AsyncIterator[None]:
    """PostgreSQL: no sequential scans inside. A common word matches most rows, so the
    planner would rather scan the table and test every row's (large, TOASTed) vector;
    the GIN bitmap answers without reading them. Off for this search only, then back to
    what it was."""
    previous = await session.scalar(
        text(
            "SELECT current_setting('enable_seqscan') || set_config('enable_seqscan', 'off', true)"
        )
    )
    try:
        yield
    finally:
        was = "on" if str(previous).startswith("on") else "off"
        await session.execute(text("SELECT set_config('enable_seqscan', :was, true)"), {"was": was})
