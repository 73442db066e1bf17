"""Repository functions for the digest archive. None of them commits: the caller owns
the transaction (one day's ingest is one transaction)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.clock import utcnow
from digestbot.digest.model import Digest, Section
from digestbot.store import models as m


@dataclass(frozen=True, slots=True)
class PaperView:
    """A stored paper as the UI and the export see it, with one appearance."""

    arxiv_id: str
    title: str
    url: str
    media_url: str | None
    media_kind: str | None
    authors: tuple[str, ...]
    sections: tuple[Section, ...]
    day: dt.date | None = None
    rank: int | None = None
    position: int | None = None
    votes: int | None = None

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"


@dataclass(frozen=True, slots=True)
class Page:
    papers: tuple[PaperView, ...]
    total: int
    offset: int


@dataclass(frozen=True, slots=True)
class StoredDay:
    """What ``store_digest`` wrote, for the search index to follow in the same
    transaction: the papers' row ids, which of them were stored before, and whether the
    day itself was stored before."""

    papers: int
    ids: dict[str, int]  # arxiv_id -> papers.id
    known: frozenset[int]
    day_was_stored: bool


@dataclass(frozen=True, slots=True)
class _WriteStatements:
    """The statements of one day's write, built once per dialect so their compiled
    form is cached (ingest speed matters: see benchmarks/ingest.py)."""

    upsert_day: Executable
    delete_appearances: Executable
    upsert_papers: Executable
    update_papers: Executable
    paper_ids: Executable
    delete_sections: Executable
    insert_sections: Executable
    insert_appearances: Executable


def _table(model: type[m.Base]) -> Table:
    return cast(Table, model.__table__)


_PAPER_FIELDS = ("title", "url", "media_url", "media_kind", "authors", "updated_at")


@functools.cache
def _write_statements(dialect: str) -> _WriteStatements:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    days = _table(m.DigestDay)
    papers = _table(m.Paper)
    sections = _table(m.Section)
    appearances = _table(m.Appearance)
    day_stmt = insert(days)
    paper_stmt = insert(papers)
    return _WriteStatements(
        upsert_day=day_stmt.on_conflict_do_update(
            index_elements=[days.c.day],
            set_={c.name: day_stmt.excluded[c.name] for c in days.c if c.name != "day"},
        ),
        delete_appearances=delete(appearances).where(appearances.c.day == bindparam("d")),
        upsert_papers=paper_stmt.on_conflict_do_update(
            index_elements=[papers.c.arxiv_id],
            set_={
                c.name: paper_stmt.excluded[c.name]
                for c in papers.c
                if c.name not in ("id", "arxiv_id")
            },
        ).returning(papers.c.arxiv_id, papers.c.id),
        update_papers=update(papers)
        .where(papers.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in _PAPER_FIELDS}),
        paper_ids=select(papers.c.arxiv_id, papers.c.id).where(
            papers.c.arxiv_id.in_(bindparam("arxiv_ids", expanding=True))
        ),
        delete_sections=delete(sections).where(
            sections.c.paper_id.in_(bindparam("paper_ids", expanding=True))
        ),
        insert_sections=insert(sections),
        insert_appearances=insert(appearances),
    )


async def store_digest(session: AsyncSession, digest: Digest, content_sha256: str) -> StoredDay:
    """Write one day: upsert its papers, replace their sections and the day's appearances.

    Idempotent: storing the same digest again leaves the same rows (votes updated).
    Core statements on the session's connection: no ORM state is needed here. The search
    index is not touched: ``digestbot.services.ingest.write_day`` writes both.
    """
    conn = await session.connection()
    stmts = _write_statements(conn.dialect.name)
    day = digest.date
    now = utcnow()
    await conn.execute(
        stmts.upsert_day,
        {
            "day": day,
            "source": digest.source,
            "paper_count": len(digest.papers),
            "content_sha256": content_sha256,
            "ingested_at": now,
        },
    )
    gone = await conn.execute(stmts.delete_appearances, {"d": day})
    day_was_stored = gone.rowcount != 0
    if not digest.papers:
        return StoredDay(0, {}, frozenset(), day_was_stored)
    rows = {
        p.arxiv_id: {
            "title": p.title,
            "url": p.url,
            "media_url": p.media_url,
            "media_kind": p.media_kind,
            "authors": list(p.authors),
            "updated_at": now,
        }
        for p in digest.papers
    }
    # Known papers are updated by id and only new ones inserted: an upsert would draw a
    # PostgreSQL sequence number for every row, known or not, and re-ingests would use
    # the ids up (the search index packs them into 23 bits).
    arxiv_ids = list(rows)
    found = await conn.execute(stmts.paper_ids, {"arxiv_ids": arxiv_ids})
    ids: dict[str, int] = {arxiv_id: pid for arxiv_id, pid in found.tuples()}
    if ids:
        await conn.execute(
            stmts.update_papers,
            [
                {"b_id": pid, **{f"b_{k}": v for k, v in rows[arxiv_id].items()}}
                for arxiv_id, pid in ids.items()
            ],
        )
    new = [{"arxiv_id": a, **row} for a, row in rows.items() if a not in ids]
    known = set(ids.values())
    if new:
        # an upsert, in case another writer stored the paper meanwhile
        inserted = await conn.execute(stmts.upsert_papers, new)
        ids.update({arxiv_id: pid for arxiv_id, pid in inserted.tuples()})  # not a Mapping
    if known:
        await conn.execute(stmts.delete_sections, {"paper_ids": sorted(known)})
    section_rows = [
        {"paper_id": ids[p.arxiv_id], "position": i, "name": s.name, "text": s.text}
        for p in digest.papers
        for i, s in enumerate(p.sections, start=1)
    ]
    if section_rows:
        await conn.execute(stmts.insert_sections, section_rows)
    await conn.execute(
        stmts.insert_appearances,
        [
            {
                "day": day,
                "paper_id": ids[p.arxiv_id],
                "rank": p.rank,
                "position": p.position,
                "votes": p.votes,
            }
            for p in digest.papers
        ],
    )
    return StoredDay(len(digest.papers), ids, frozenset(known), day_was_stored)


async def record_ingest_run(
    session: AsyncSession, day: dt.date, status: str, papers: int = 0, message: str = ""
) -> None:
    conn = await session.connection()
    await conn.execute(
        insert(_table(m.IngestRun)).values(
            day=day, status=status, papers=papers, message=message, finished_at=utcnow()
        )
    )


async def last_ingest_run(session: AsyncSession) -> m.IngestRun | None:
    run: m.IngestRun | None = await session.scalar(
        select(m.IngestRun).order_by(m.IngestRun.id.desc()).limit(1)
    )
    return run


async def newest_day(session: AsyncSession) -> dt.date | None:
    return await session.scalar(select(func.max(m.DigestDay.day)))


async def stored_days(
    session: AsyncSession, start: dt.date | None = None, end: dt.date | None = None
) -> list[dt.date]:
    stmt = select(m.DigestDay.day).order_by(m.DigestDay.day)
    if start is not None:
        stmt = stmt.where(m.DigestDay.day >= start)
    if end is not None:
        stmt = stmt.where(m.DigestDay.day <= end)
    return list((await session.scalars(stmt)).all())


_IN_CHUNK = 500
_SECTIONS_OF = (
    select(m.Section.paper_id, m.Section.name, m.Section.text)
    .where(m.Section.paper_id.in_(bindparam("paper_ids", expanding=True)))
    .order_by(m.Section.paper_id, m.Section.position)
)


async def load_sections(
    session: AsyncSession, paper_ids: Sequence[int]
) -> dict[int, tuple[Section, ...]]:
    found: dict[int, list[Section]] = {pid: [] for pid in paper_ids}
    ids = list(found)
    for i in range(0, len(ids), _IN_CHUNK):  # SQLite and asyncpg cap bound parameters
        rows = await session.execute(_SECTIONS_OF, {"paper_ids": ids[i : i + _IN_CHUNK]})
        for pid, name, text in rows.tuples():
            found[pid].append(Section(name, text))
    return {pid: tuple(sections) for pid, sections in found.items()}


# The columns a PaperView is built from: plain rows, not ORM objects (reads are hot:
# every /top, /search page and inline query).
_VIEW_COLUMNS = (
    m.Paper.id,
    m.Paper.arxiv_id,
    m.Paper.title,
    m.Paper.url,
    m.Paper.media_url,
    m.Paper.media_kind,
    m.Paper.authors,
    m.Appearance.day,
    m.Appearance.rank,
    m.Appearance.position,
    m.Appearance.votes,
)


async def _views(session: AsyncSession, stmt: Select[Any]) -> tuple[PaperView, ...]:
    return tuple(view for _, view in await _views_by_id(session, stmt))


async def _views_by_id(
    session: AsyncSession, stmt: Select[Any], *, with_sections: bool = True
) -> list[tuple[int, PaperView]]:
    """Run a select of ``_VIEW_COLUMNS``; (paper id, view) pairs, sections included
    unless ``with_sections`` is False (a result list that shows none)."""
    rows = (await session.execute(stmt)).all()
    ids = [row[0] for row in rows]
    sections = await load_sections(session, ids) if with_sections else dict.fromkeys(ids, ())
    return [
        (
            pid,
            PaperView(
                arxiv_id=arxiv_id,
                title=title,
                url=url,
                media_url=media_url,
                media_kind=media_kind,
                authors=tuple(authors),
                sections=sections[pid],
                day=day,
                rank=rank,
                position=position,
                votes=votes,
            ),
        )
        for (
            pid,
            arxiv_id,
            title,
            url,
            media_url,
            media_kind,
            authors,
            day,
            rank,
            position,
            votes,
        ) in rows
    ]


async def day_papers(
    session: AsyncSession, day: dt.date, limit: int | None = None, offset: int = 0
) -> Page:
    """A day's papers in rank order."""
    total = await session.scalar(
        select(func.count()).select_from(m.Appearance).where(m.Appearance.day == day)
    )
    stmt = (
        select(*_VIEW_COLUMNS)
        .join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(m.Appearance.day == day)
        .order_by(m.Appearance.rank)
        .offset(offset)
        .limit(limit)
    )
    return Page(await _views(session, stmt), total or 0, offset)


async def top_papers(
    session: AsyncSession, start: dt.date, end: dt.date, limit: int, offset: int = 0
) -> Page:
    """Top-voted papers of the days ``start..end``; a paper listed on several of those
    days counts once, with its best votes (ties: the later day)."""
    best = (
        select(
            m.Appearance.day,
            m.Appearance.paper_id,
            func.row_number()
            .over(
                partition_by=m.Appearance.paper_id,
                order_by=(m.Appearance.votes.desc().nulls_last(), m.Appearance.day.desc()),
            )
            .label("n"),
        )
        .where(m.Appearance.day.between(start, end))
        .subquery()
    )
    chosen = select(best.c.day, best.c.paper_id).where(best.c.n == 1).subquery()
    total = await session.scalar(select(func.count()).select_from(chosen))
    stmt = (
        select(*_VIEW_COLUMNS)
        .join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(tuple_(m.Appearance.day, m.Appearance.paper_id).in_(select(chosen)))
        .order_by(
            m.Appearance.votes.desc().nulls_last(),
            m.Appearance.day.desc(),
            m.Appearance.rank,
        )
        .offset(offset)
        .limit(limit)
    )
    return Page(await _views(session, stmt), total or 0, offset)


async def get_paper(session: AsyncSession, arxiv_id: str) -> PaperView | None:
    """A paper with its latest appearance."""
    stmt = (
        select(*_VIEW_COLUMNS)
        .outerjoin(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(m.Paper.arxiv_id == arxiv_id)
        .order_by(m.Appearance.day.desc())
        .limit(1)
    )
    views = await _views(session, stmt)
    return views[0] if views else None


async def papers_by_ids(
    session: AsyncSession, paper_ids: Sequence[int], *, with_sections: bool = True
) -> list[PaperView]:
    """Papers by primary key, in the given order, each with its latest appearance."""
    if not paper_ids:
        return []
    latest = (
        select(m.Appearance.paper_id, func.max(m.Appearance.day).label("day"))
        .where(m.Appearance.paper_id.in_(list(paper_ids)))
        .group_by(m.Appearance.paper_id)
        .subquery()
    )
    stmt = (
        select(*_VIEW_COLUMNS)
        .outerjoin(latest, latest.c.paper_id == m.Paper.id)
        .outerjoin(
            m.Appearance,
            (m.Appearance.paper_id == m.Paper.id) & (m.Appearance.day == latest.c.day),
        )
        .where(m.Paper.id.in_(list(paper_ids)))
    )
    by_id = dict(await _views_by_id(session, stmt, with_sections=with_sections))
    return [by_id[pid] for pid in paper_ids if pid in by_id]


async def export_papers(
    session: AsyncSession, start: dt.date | None = None, end: dt.date | None = None
) -> list[PaperView]:
    """Every stored appearance in ``start..end`` (all when None), by day then rank."""
    stmt = select(*_VIEW_COLUMNS).join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
    if start is not None:
        stmt = stmt.where(m.Appearance.day >= start)
    if end is not None:
        stmt = stmt.where(m.Appearance.day <= end)
    stmt = stmt.order_by(m.Appearance.day, m.Appearance.rank)
    return list(await _views(session, stmt))
