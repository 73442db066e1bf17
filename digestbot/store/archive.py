"""Repository functions for the digest archive. None of them commits: the caller owns
the transaction (one day's ingest is one transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.digest.model import Digest, Section
from digestbot.store import models as m
from digestbot.store.search_index import index_papers


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


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


async def store_digest(session: AsyncSession, digest: Digest, content_sha256: str) -> int:
    """Write one day: upsert its papers, replace their sections and the day's appearances.

    Idempotent: storing the same digest again leaves the same rows (votes updated).
    Returns the number of papers stored.
    """
    day = digest.date
    insert = _insert(session)
    now = m.utcnow()

    day_stmt = insert(m.DigestDay).values(
        day=day,
        source=digest.source,
        paper_count=len(digest.papers),
        content_sha256=content_sha256,
        ingested_at=now,
    )
    await session.execute(
        day_stmt.on_conflict_do_update(
            index_elements=[m.DigestDay.day],
            set_={
                "source": day_stmt.excluded.source,
                "paper_count": day_stmt.excluded.paper_count,
                "content_sha256": day_stmt.excluded.content_sha256,
                "ingested_at": day_stmt.excluded.ingested_at,
            },
        )
    )
    await session.execute(delete(m.Appearance).where(m.Appearance.day == day))
    if not digest.papers:
        return 0

    paper_rows = [
        {
            "arxiv_id": p.arxiv_id,
            "title": p.title,
            "url": p.url,
            "media_url": p.media_url,
            "media_kind": p.media_kind,
            "authors": list(p.authors),
            "updated_at": now,
        }
        for p in digest.papers
    ]
    upsert = insert(m.Paper)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[m.Paper.arxiv_id],
            set_={
                col: getattr(upsert.excluded, col)
                for col in ("title", "url", "media_url", "media_kind", "authors", "updated_at")
            },
        ),
        paper_rows,
    )
    found = await session.execute(
        select(m.Paper.arxiv_id, m.Paper.id).where(
            m.Paper.arxiv_id.in_([p.arxiv_id for p in digest.papers])
        )
    )
    ids: dict[str, int] = {arxiv_id: pid for arxiv_id, pid in found.tuples()}
    paper_ids = [ids[p.arxiv_id] for p in digest.papers]
    await session.execute(delete(m.Section).where(m.Section.paper_id.in_(paper_ids)))
    section_rows = [
        {"paper_id": ids[p.arxiv_id], "position": i, "name": s.name, "text": s.text}
        for p in digest.papers
        for i, s in enumerate(p.sections, start=1)
    ]
    if section_rows:
        await session.execute(insert(m.Section), section_rows)
    await session.execute(
        insert(m.Appearance),
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
    await index_papers(session, paper_ids)
    return len(digest.papers)


async def record_ingest_run(
    session: AsyncSession, day: dt.date, status: str, papers: int = 0, message: str = ""
) -> None:
    session.add(m.IngestRun(day=day, status=status, papers=papers, message=message))
    await session.flush()


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


async def load_sections(
    session: AsyncSession, paper_ids: Sequence[int]
) -> dict[int, tuple[Section, ...]]:
    found: dict[int, list[Section]] = {pid: [] for pid in paper_ids}
    if paper_ids:
        rows = await session.execute(
            select(m.Section.paper_id, m.Section.name, m.Section.text)
            .where(m.Section.paper_id.in_(list(paper_ids)))
            .order_by(m.Section.paper_id, m.Section.position)
        )
        for pid, name, text in rows.tuples():
            found[pid].append(Section(name, text))
    return {pid: tuple(sections) for pid, sections in found.items()}


async def _views(
    session: AsyncSession, rows: Sequence[tuple[m.Paper, m.Appearance | None]]
) -> tuple[PaperView, ...]:
    sections = await load_sections(session, [paper.id for paper, _ in rows])
    return tuple(
        PaperView(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            url=paper.url,
            media_url=paper.media_url,
            media_kind=paper.media_kind,
            authors=tuple(paper.authors),
            sections=sections[paper.id],
            day=app.day if app else None,
            rank=app.rank if app else None,
            position=app.position if app else None,
            votes=app.votes if app else None,
        )
        for paper, app in rows
    )


async def day_papers(
    session: AsyncSession, day: dt.date, limit: int | None = None, offset: int = 0
) -> Page:
    """A day's papers in rank order."""
    total = await session.scalar(
        select(func.count()).select_from(m.Appearance).where(m.Appearance.day == day)
    )
    stmt = (
        select(m.Paper, m.Appearance)
        .join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(m.Appearance.day == day)
        .order_by(m.Appearance.rank)
        .offset(offset)
        .limit(limit)
    )
    rows = [(p, a) for p, a in (await session.execute(stmt)).tuples()]
    return Page(await _views(session, rows), total or 0, offset)


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
        select(m.Paper, m.Appearance)
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
    rows = [(p, a) for p, a in (await session.execute(stmt)).tuples()]
    return Page(await _views(session, rows), total or 0, offset)


async def get_paper(session: AsyncSession, arxiv_id: str) -> PaperView | None:
    """A paper with its latest appearance."""
    stmt = (
        select(m.Paper, m.Appearance)
        .outerjoin(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(m.Paper.arxiv_id == arxiv_id)
        .order_by(m.Appearance.day.desc())
        .limit(1)
    )
    rows = [(p, a) for p, a in (await session.execute(stmt)).tuples()]
    views = await _views(session, rows)
    return views[0] if views else None


async def papers_by_ids(session: AsyncSession, paper_ids: Sequence[int]) -> list[PaperView]:
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
        select(m.Paper, m.Appearance)
        .outerjoin(latest, latest.c.paper_id == m.Paper.id)
        .outerjoin(
            m.Appearance,
            (m.Appearance.paper_id == m.Paper.id) & (m.Appearance.day == latest.c.day),
        )
        .where(m.Paper.id.in_(list(paper_ids)))
    )
    rows = {p.id: (p, a) for p, a in (await session.execute(stmt)).tuples()}
    ordered = [rows[pid] for pid in paper_ids if pid in rows]
    return list(await _views(session, ordered))


async def export_papers(
    session: AsyncSession, start: dt.date | None = None, end: dt.date | None = None
) -> list[PaperView]:
    """Every stored appearance in ``start..end`` (all when None), by day then rank."""
    stmt = select(m.Paper, m.Appearance).join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
    if start is not None:
        stmt = stmt.where(m.Appearance.day >= start)
    if end is not None:
        stmt = stmt.where(m.Appearance.day <= end)
    stmt = stmt.order_by(m.Appearance.day, m.Appearance.rank)
    rows = [(p, a) for p, a in (await session.execute(stmt)).tuples()]
    return list(await _views(session, rows))
