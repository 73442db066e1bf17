"""Keeps the full-text index in step with the archive, inside the ingest's transaction.

What is indexed is defined in :mod:`digestbot.search_query`: per paper, the *head*
(title, then each author) and the *body* (each section's text), as index tokens.
SQLite keeps them in the FTS5 table ``search_fts`` whose rowid is the paper's ranking key;
PostgreSQL keeps them as tsvectors in ``search_docs`` (``head``, and ``doc`` = head and
body). ``search_docs`` also records the latest appearance (day, votes) the key was built
from, so that papers dropped from a re-ingested day get their key rebuilt too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.search_query import fields_tokens, sort_key, tsvector_literal
from digestbot.store import models as m

# The index's own tables are not models (Alembic revision 0002 makes them, per dialect).
_meta = MetaData()
search_docs = Table(
    "search_docs",
    _meta,
    Column("paper_id", Integer, primary_key=True),
    Column("sort_key", BigInteger, nullable=False),
    Column("day", Date),
    Column("votes", Integer),
)

_CHUNK = 500  # ids per IN (...) list


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


async def _stale(session: AsyncSession, paper_ids: Sequence[int]) -> set[int]:
    """Indexed papers whose recorded appearance is gone from a day these papers are on
    (a re-ingested day that no longer lists them): their ranking key must be rebuilt."""
    found: set[int] = set()
    for chunk in _chunks(paper_ids):
        days = select(m.Appearance.day).where(m.Appearance.paper_id.in_(chunk)).distinct()
        gone = ~exists().where(
            and_(
                m.Appearance.paper_id == search_docs.c.paper_id,
                m.Appearance.day == search_docs.c.day,
            )
        )
        stmt = select(search_docs.c.paper_id).where(search_docs.c.day.in_(days), gone)
        found.update((await session.scalars(stmt)).all())
    return found


async def index_papers(session: AsyncSession, paper_ids: Sequence[int]) -> None:
    """(Re)index these papers from their stored rows, in the caller's transaction."""
    if not paper_ids:
        return
    wanted = list(dict.fromkeys(paper_ids))
    wanted += sorted(await _stale(session, wanted) - set(wanted))
    for chunk in _chunks(wanted):
        await _index_chunk(session, chunk)


async def _index_chunk(session: AsyncSession, ids: list[int]) -> None:
    sqlite = session.bind.dialect.name == "sqlite"
    papers = (
        await session.execute(
            select(m.Paper.id, m.Paper.title, m.Paper.authors).where(m.Paper.id.in_(ids))
        )
    ).tuples()
    sections: dict[int, list[str]] = {pid: [] for pid in ids}
    rows = await session.execute(
        select(m.Section.paper_id, m.Section.text)
        .where(m.Section.paper_id.in_(ids))
        .order_by(m.Section.paper_id, m.Section.position)
    )
    for pid, section_text in rows.tuples():
        sections[pid].append(section_text)
    latest_day = (
        select(m.Appearance.paper_id, func.max(m.Appearance.day).label("day"))
        .where(m.Appearance.paper_id.in_(ids))
        .group_by(m.Appearance.paper_id)
        .subquery()
    )
    latest: dict[int, tuple[dt.date, int | None]] = {
        pid: (day, votes)
        for pid, day, votes in (
            await session.execute(
                select(m.Appearance.paper_id, m.Appearance.day, m.Appearance.votes).join(
                    latest_day,
                    and_(
                        latest_day.c.paper_id == m.Appearance.paper_id,
                        latest_day.c.day == m.Appearance.day,
                    ),
                )
            )
        ).tuples()
    }

    if sqlite:
        await session.execute(
            text(
                "DELETE FROM search_fts WHERE rowid IN "
                "(SELECT sort_key FROM search_docs WHERE paper_id IN :ids)"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        )
    await session.execute(delete(search_docs).where(search_docs.c.paper_id.in_(ids)))

    doc_rows: list[dict[str, object]] = []
    fts_rows: list[dict[str, object]] = []
    for pid, title, authors in papers:
        day, votes = latest.get(pid, (None, None))
        key = sort_key(pid, votes, day)
        row: dict[str, object] = {"paper_id": pid, "sort_key": key, "day": day, "votes": votes}
        if sqlite:
            head = " ".join(fields_tokens([title, *authors]))
            body = " ".join(fields_tokens(sections[pid]))
            fts_rows.append({"key": key, "head": head, "body": body})
        else:
            row["head"] = tsvector_literal([title, *authors])
            row["doc"] = tsvector_literal([title, *authors, *sections[pid]])
        doc_rows.append(row)
    if not doc_rows:
        return
    if sqlite:
        await session.execute(insert(search_docs), doc_rows)
        await session.execute(
            text("INSERT INTO search_fts (rowid, head, body) VALUES (:key, :head, :body)"),
            fts_rows,
        )
    else:
        await session.execute(
            text(
                "INSERT INTO search_docs (paper_id, sort_key, day, votes, head, doc) VALUES "
                "(:paper_id, :sort_key, :day, :votes, "
                "CAST(:head AS tsvector), CAST(:doc AS tsvector))"
            ),
            doc_rows,
        )
