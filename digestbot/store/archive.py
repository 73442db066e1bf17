"""Repository functions for the digest archive. None of them commits: the caller owns
the transaction (one day's ingest is one transaction)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Mapping, Sequence
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

from digestbot.clock import as_utc, utcnow
from digestbot.digest.listing import ListedPaper
from digestbot.digest.model import Digest, Section
from digestbot.store import models as m

ARCHIVE_ORIGIN = "archive"  # sections.origin of the archive's text; "model:<name>" otherwise


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
    more_authors: bool = False  # the digest listed only some of the authors
    day: dt.date | None = None
    rank: int | None = None
    position: int | None = None
    votes: int | None = None
    # where the sections came from: ARCHIVE_ORIGIN or "model:<name>"; None: no sections
    summary_origin: str | None = None
    # Hugging Face's metadata (None / empty: not listed there, or not said)
    abstract: str | None = None
    ai_summary: str | None = None
    keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None

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
    update_metadata: Executable
    paper_ids: Executable
    delete_sections: Executable
    delete_archive_sections: Executable
    insert_sections: Executable
    insert_appearances: Executable


def _table(model: type[m.Base]) -> Table:
    return cast(Table, model.__table__)


_PAPER_FIELDS = (
    "title",
    "url",
    "media_url",
    "media_kind",
    "authors",
    "more_authors",
    "updated_at",
)
# what Hugging Face's list says of a paper: written when it listed the paper, kept when not
_METADATA_FIELDS = (
    "abstract",
    "ai_summary",
    "keywords",
    "github_repo",
    "github_stars",
    "project_page",
)


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
            set_={name: paper_stmt.excluded[name] for name in _PAPER_FIELDS},
        ).returning(papers.c.arxiv_id, papers.c.id),
        update_papers=update(papers)
        .where(papers.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in _PAPER_FIELDS}),
        update_metadata=update(papers)
        .where(papers.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in _METADATA_FIELDS}),
        paper_ids=select(papers.c.arxiv_id, papers.c.id).where(
            papers.c.arxiv_id.in_(bindparam("arxiv_ids", expanding=True))
        ),
        delete_sections=delete(sections).where(
            sections.c.paper_id.in_(bindparam("paper_ids", expanding=True))
        ),
        delete_archive_sections=delete(sections).where(
            sections.c.paper_id.in_(bindparam("paper_ids", expanding=True)),
            sections.c.origin == ARCHIVE_ORIGIN,
        ),
        insert_sections=insert(sections),
        insert_appearances=insert(appearances),
    )


# every row of one executemany has the same keys: a paper Hugging Face did not list
_NO_METADATA: dict[str, object] = {
    "abstract": None,
    "ai_summary": None,
    "keywords": [],
    "github_repo": None,
    "github_stars": None,
    "project_page": None,
}


def _metadata(item: ListedPaper) -> dict[str, object]:
    return {
        "abstract": item.abstract,
        "ai_summary": item.ai_summary,
        "keywords": list(item.ai_keywords),
        "github_repo": item.github_repo,
        "github_stars": item.github_stars,
        "project_page": item.project_page,
    }


async def store_digest(
    session: AsyncSession,
    digest: Digest,
    content_sha256: str,
    listed: Mapping[str, ListedPaper] | None = None,
    *,
    votes_at: dt.datetime | None = None,
    from_archive: Collection[str] | None = None,
) -> StoredDay:
    """Write one day: upsert its papers, the day's appearances (votes, ranks) and the
    sections the digest has; ``listed`` adds Hugging Face's metadata of the papers it
    lists (``votes_at``: when those votes were read).

    Sections: the archive's file is the authority on the archive's text of the papers
    it lists (``from_archive``, their arXiv ids; None: every paper of the digest) — their
    archive sections are replaced by the file's, or removed when it has none; a summary
    the bot wrote stays unless the file now has text for the paper. Papers the archive
    did not list this time (Hugging Face only) keep their sections. Idempotent: storing
    the same digest again leaves the same rows.
    Core statements on the session's connection: no ORM state is needed here. The search
    index is not touched: ``digestbot.services.ingest.write_day`` writes both.
    """
    listed = listed or {}
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
            "warnings": [w.format(digest.source) for w in digest.warnings],
            "votes_at": votes_at,
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
            "more_authors": p.more_authors,
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
        described = [
            {"b_id": pid, **{f"b_{k}": v for k, v in _metadata(listed[arxiv_id]).items()}}
            for arxiv_id, pid in ids.items()
            if arxiv_id in listed
        ]
        if described:
            await conn.execute(stmts.update_metadata, described)
    new = [
        {"arxiv_id": a, **row, **(_metadata(listed[a]) if a in listed else _NO_METADATA)}
        for a, row in rows.items()
        if a not in ids
    ]
    known = set(ids.values())
    if new:
        # an upsert, in case another writer stored the paper meanwhile
        inserted = await conn.execute(stmts.upsert_papers, new)
        ids.update({arxiv_id: pid for arxiv_id, pid in inserted.tuples()})  # not a Mapping
    authority = None if from_archive is None else set(from_archive)
    archived = [p for p in digest.papers if authority is None or p.arxiv_id in authority]
    rewritten = sorted(ids[p.arxiv_id] for p in archived if p.sections and ids[p.arxiv_id] in known)
    if rewritten:
        await conn.execute(stmts.delete_sections, {"paper_ids": rewritten})
    emptied = sorted(
        ids[p.arxiv_id] for p in archived if not p.sections and ids[p.arxiv_id] in known
    )
    if emptied:
        await conn.execute(stmts.delete_archive_sections, {"paper_ids": emptied})
    section_rows = [
        {
            "paper_id": ids[p.arxiv_id],
            "position": i,
            "name": s.name,
            "text": s.text,
            "origin": ARCHIVE_ORIGIN,
        }
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
    session: AsyncSession,
    day: dt.date,
    status: str,
    papers: int = 0,
    message: str = "",
    warnings: Sequence[str] = (),
) -> None:
    conn = await session.connection()
    await conn.execute(
        insert(_table(m.IngestRun)).values(
            day=day,
            status=status,
            papers=papers,
            message=message,
            warnings=list(warnings),
            finished_at=utcnow(),
        )
    )


async def last_ingest_run(session: AsyncSession) -> m.IngestRun | None:
    run: m.IngestRun | None = await session.scalar(
        select(m.IngestRun).order_by(m.IngestRun.id.desc()).limit(1)
    )
    return run


async def day_warnings(session: AsyncSession, day: dt.date) -> list[str]:
    """What the parser repaired or skipped in the stored digest of ``day``."""
    found = await session.scalar(select(m.DigestDay.warnings).where(m.DigestDay.day == day))
    return list(found or [])


async def votes_read_at(session: AsyncSession, day: dt.date) -> dt.datetime | None:
    """When the stored day's votes were last read from Hugging Face (None: never)."""
    at: dt.datetime | None = await session.scalar(
        select(m.DigestDay.votes_at).where(m.DigestDay.day == day)
    )
    return None if at is None else as_utc(at)


async def day_appearances(
    session: AsyncSession, day: dt.date
) -> list[tuple[int, str, int, int | None]]:
    """(paper id, arXiv id, position, votes) of the day's papers, in position order."""
    rows = await session.execute(
        select(m.Paper.id, m.Paper.arxiv_id, m.Appearance.position, m.Appearance.votes)
        .join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(m.Appearance.day == day)
        .order_by(m.Appearance.position)
    )
    return [(pid, arxiv_id, position, votes) for pid, arxiv_id, position, votes in rows.tuples()]


async def rewrite_votes(
    session: AsyncSession,
    day: dt.date,
    rows: Sequence[tuple[int, int, int, int | None]],
    *,
    votes_at: dt.datetime,
) -> None:
    """Replace the day's appearances with ``(paper id, position, rank, votes)`` rows (new
    votes and ranks; ranks are unique in a day, so the rows go and come back whole)."""
    conn = await session.connection()
    stmts = _write_statements(conn.dialect.name)
    await conn.execute(stmts.delete_appearances, {"d": day})
    if rows:
        await conn.execute(
            stmts.insert_appearances,
            [
                {"day": day, "paper_id": pid, "position": pos, "rank": rank, "votes": votes}
                for pid, pos, rank, votes in rows
            ],
        )
    await conn.execute(
        update(_table(m.DigestDay))
        .where(_table(m.DigestDay).c.day == day)
        .values(votes_at=votes_at)
    )


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
    select(m.Section.paper_id, m.Section.name, m.Section.text, m.Section.origin)
    .where(m.Section.paper_id.in_(bindparam("paper_ids", expanding=True)))
    .order_by(m.Section.paper_id, m.Section.position)
)


async def load_sections(
    session: AsyncSession, paper_ids: Sequence[int]
) -> dict[int, tuple[Section, ...]]:
    return {pid: sections for pid, (sections, _) in (await _sections(session, paper_ids)).items()}


async def _sections(
    session: AsyncSession, paper_ids: Sequence[int]
) -> dict[int, tuple[tuple[Section, ...], str | None]]:
    """Each paper's sections in order, and where they came from (the first's origin)."""
    found: dict[int, list[Section]] = {pid: [] for pid in paper_ids}
    origins: dict[int, str] = {}
    ids = list(found)
    for i in range(0, len(ids), _IN_CHUNK):  # SQLite and asyncpg cap bound parameters
        rows = await session.execute(_SECTIONS_OF, {"paper_ids": ids[i : i + _IN_CHUNK]})
        for pid, name, text, origin in rows.tuples():
            found[pid].append(Section(name, text))
            origins.setdefault(pid, origin)
    return {pid: (tuple(sections), origins.get(pid)) for pid, sections in found.items()}


# The columns a PaperView is built from, labelled with its field names: plain rows, not
# ORM objects (reads are hot: every /top, /search page and inline query).
_VIEW_COLUMNS = (
    m.Paper.id.label("paper_id"),
    m.Paper.arxiv_id,
    m.Paper.title,
    m.Paper.url,
    m.Paper.media_url,
    m.Paper.media_kind,
    m.Paper.authors,
    m.Paper.more_authors,
    m.Paper.github_repo,
    m.Paper.github_stars,
    m.Paper.project_page,
    m.Appearance.day,
    m.Appearance.rank,
    m.Appearance.position,
    m.Appearance.votes,
)
# what a card shows beyond a list's line: long texts, read only when sections are
_CARD_COLUMNS = (*_VIEW_COLUMNS, m.Paper.abstract, m.Paper.ai_summary, m.Paper.keywords)


async def _views(session: AsyncSession, stmt: Select[Any]) -> tuple[PaperView, ...]:
    return tuple(view for _, view in await _views_by_id(session, stmt))


async def _views_by_id(
    session: AsyncSession, stmt: Select[Any], *, with_sections: bool = True
) -> list[tuple[int, PaperView]]:
    """Run a select of ``_VIEW_COLUMNS``; (paper id, view) pairs, sections included
    unless ``with_sections`` is False (a result list that shows none)."""
    rows = [dict(row) for row in (await session.execute(stmt)).mappings()]
    ids = [row["paper_id"] for row in rows]
    sections = await _sections(session, ids) if with_sections else {}
    views: list[tuple[int, PaperView]] = []
    for row in rows:
        pid = row.pop("paper_id")
        row["authors"] = tuple(row["authors"])
        row["keywords"] = tuple(row.get("keywords") or ())
        texts, origin = sections.get(pid, ((), None))
        views.append((pid, PaperView(**row, sections=texts, summary_origin=origin)))
    return views


async def day_papers(
    session: AsyncSession, day: dt.date, limit: int | None = None, offset: int = 0
) -> Page:
    """A day's papers in rank order."""
    total = await session.scalar(
        select(func.count()).select_from(m.Appearance).where(m.Appearance.day == day)
    )
    stmt = (
        select(*_CARD_COLUMNS)
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
        select(*_CARD_COLUMNS)
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
        select(*(_CARD_COLUMNS if with_sections else _VIEW_COLUMNS))
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
    stmt = select(*_CARD_COLUMNS).join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
    if start is not None:
        stmt = stmt.where(m.Appearance.day >= start)
    if end is not None:
        stmt = stmt.where(m.Appearance.day <= end)
    stmt = stmt.order_by(m.Appearance.day, m.Appearance.rank)
    return list(await _views(session, stmt))
