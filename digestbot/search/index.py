"""Keeps the full-text index in step with the archive, inside the ingest's transaction.

What is indexed is defined in :mod:`digestbot.search.query`: per paper, the *head*
(title, then each author) and the *body* (each section's text), as index tokens.
SQLite keeps them in the FTS5 table ``search_fts`` whose rowid is the paper's ranking key;
PostgreSQL keeps them as tsvectors in ``search_docs`` (``head``, and ``doc`` = head and
body). ``search_docs`` also records the latest appearance (day, votes) the key was built
from, so that papers dropped from a re-ingested day get their key rebuilt too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    BindParameter,
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from digestbot.digest.model import Digest
from digestbot.search.tokens import fields_tokens, sort_key, tsvector_literal
from digestbot.store import models as m
from digestbot.store.archive import StoredDay

log = logging.getLogger(__name__)

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

# Statements built once, so each ingest only binds parameters (ingest speed matters:
# benchmarks/ingest.py). Expanding IN lists take a Python list of ids.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_STALE = select(search_docs.c.paper_id).where(
    search_docs.c.day.in_(
        select(m.Appearance.day).where(m.Appearance.paper_id.in_(_IDS)).distinct()
    ),
    ~exists().where(
        and_(
            m.Appearance.paper_id == search_docs.c.paper_id,
            m.Appearance.day == search_docs.c.day,
        )
    ),
)
_PAPERS = select(m.Paper.id, m.Paper.title, m.Paper.authors).where(m.Paper.id.in_(_IDS))
_SECTIONS = (
    select(m.Section.paper_id, m.Section.text)
    .where(m.Section.paper_id.in_(_IDS))
    .order_by(m.Section.paper_id, m.Section.position)
)
_LATEST_DAY = (
    select(m.Appearance.paper_id, func.max(m.Appearance.day).label("day"))
    .where(m.Appearance.paper_id.in_(_IDS))
    .group_by(m.Appearance.paper_id)
    .subquery()
)
_LATEST = select(m.Appearance.paper_id, m.Appearance.day, m.Appearance.votes).join(
    _LATEST_DAY,
    and_(
        _LATEST_DAY.c.paper_id == m.Appearance.paper_id,
        _LATEST_DAY.c.day == m.Appearance.day,
    ),
)
_DELETE_FTS = text(
    "DELETE FROM search_fts WHERE rowid IN "
    "(SELECT sort_key FROM search_docs WHERE paper_id IN :ids)"
).bindparams(bindparam("ids", expanding=True))
_CLEAN_PENDING = text(
    "SELECT gin_clean_pending_list('ix_search_docs_doc'::regclass),"
    " gin_clean_pending_list('ix_search_docs_head'::regclass)"
)
_DELETE_DOCS = delete(search_docs).where(search_docs.c.paper_id.in_(_IDS))
_INSERT_DOCS = insert(search_docs)
_INSERT_FTS = text("INSERT INTO search_fts (rowid, head, body) VALUES (:key, :head, :body)")
_INSERT_DOCS_PG = text(
    "INSERT INTO search_docs (paper_id, sort_key, day, votes, head, doc) VALUES "
    "(:paper_id, :sort_key, :day, :votes, CAST(:head AS tsvector), CAST(:doc AS tsvector))"
)


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """What is indexed of one paper: its title, authors and section texts."""

    title: str
    authors: Sequence[str]
    sections: Sequence[str]


async def index_day(session: AsyncSession, digest: Digest, stored: StoredDay) -> None:
    """Index the papers ``store_digest`` just wrote for ``digest``, in its transaction
    (the texts are at hand; papers stored for the first time skip the index lookups). A
    known paper the digest gave no sections kept its stored ones: those are read back."""
    ids = stored.ids
    docs = {
        ids[p.arxiv_id]: IndexDoc(p.title, p.authors, [s.text for s in p.sections])
        for p in digest.papers
        if p.sections or ids[p.arxiv_id] not in stored.known
    }
    fresh = {
        ids[p.arxiv_id]: (digest.date, p.votes)
        for p in digest.papers
        if ids[p.arxiv_id] not in stored.known
    }
    paper_ids = [ids[p.arxiv_id] for p in digest.papers]
    await index_papers(session, paper_ids, docs, new=fresh, check_stale=stored.day_was_stored)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


async def index_papers(
    session: AsyncSession,
    paper_ids: Sequence[int],
    docs: Mapping[int, IndexDoc] | None = None,
    *,
    new: Mapping[int, tuple[dt.date, int | None]] | None = None,
    check_stale: bool = True,
) -> None:
    """(Re)index these papers in the caller's transaction. ``docs`` may give the texts of
    some of them (the ingest has them at hand); the others are read from their rows.

    Papers indexed with a day these papers are on but no longer listed that day (a
    re-ingested day that dropped them) get their ranking key rebuilt too, unless the
    caller knows there are none (``check_stale=False``: the day was not stored before).
    ``new`` names papers stored for the first time in this transaction, with their only
    appearance (day, votes): they have no index rows to delete and no other day to look up.
    """
    if not paper_ids:
        return
    conn = await session.connection()  # Core, not the ORM: ingest speed matters
    wanted = list(dict.fromkeys(paper_ids))
    if check_stale:
        stale: set[int] = set()
        for chunk in _chunks(wanted):
            stale.update((await conn.scalars(_STALE, {"ids": chunk})).all())
        wanted += sorted(stale - set(wanted))
    for chunk in _chunks(wanted):
        await _index_chunk(conn, chunk, docs or {}, new or {})
    if conn.dialect.name == "postgresql":
        # GIN keeps new entries in a "pending list" that every query reads in full until
        # a vacuum merges it, and a few hundred papers a day are too few for autovacuum:
        # the list grew to its 4 MB limit and searches and /similar read ~450 pages of it
        # each (/similar's median on 5,500 papers: 35 ms, 17 ms merged). Merged here;
        # a database role that may not do it (not the index's owner) leaves it to vacuum.
        try:
            async with conn.begin_nested():
                await merge_pending_lists(conn)
        except DBAPIError as exc:
            log.warning("search index: pending list not merged (%s); vacuum will", exc.orig)


async def merge_pending_lists(conn: AsyncConnection) -> tuple[int, int]:
    """PostgreSQL: merge the pending lists of the two GIN indexes into the indexes; the
    pages each list held."""
    row = (await conn.execute(_CLEAN_PENDING)).one()
    return int(row[0]), int(row[1])


async def _read_docs(conn: AsyncConnection, ids: list[int]) -> dict[int, IndexDoc]:
    if not ids:
        return {}
    sections: dict[int, list[str]] = {pid: [] for pid in ids}
    for pid, section_text in (await conn.execute(_SECTIONS, {"ids": ids})).tuples():
        sections[pid].append(section_text)
    return {
        pid: IndexDoc(title, authors, sections[pid])
        for pid, title, authors in (await conn.execute(_PAPERS, {"ids": ids})).tuples()
    }


async def _index_chunk(
    conn: AsyncConnection,
    ids: list[int],
    known: Mapping[int, IndexDoc],
    new: Mapping[int, tuple[dt.date, int | None]],
) -> None:
    sqlite = conn.dialect.name == "sqlite"
    docs = {pid: known[pid] for pid in ids if pid in known}
    docs.update(await _read_docs(conn, [pid for pid in ids if pid not in known]))
    latest: dict[int, tuple[dt.date, int | None]] = {pid: new[pid] for pid in ids if pid in new}
    indexed = [pid for pid in ids if pid not in new]  # papers that may have index rows
    if indexed:
        rows = await conn.execute(_LATEST, {"ids": indexed})
        latest.update({pid: (day, votes) for pid, day, votes in rows.tuples()})
        if sqlite:
            await conn.execute(_DELETE_FTS, {"ids": indexed})
        await conn.execute(_DELETE_DOCS, {"ids": indexed})

    doc_rows: list[dict[str, object]] = []
    fts_rows: list[dict[str, object]] = []
    for pid in ids:
        doc = docs.get(pid)
        if doc is None:
            continue
        day, votes = latest.get(pid, (None, None))
        key = sort_key(pid, votes, day)
        row: dict[str, object] = {"paper_id": pid, "sort_key": key, "day": day, "votes": votes}
        head_fields = [doc.title, *doc.authors]
        if sqlite:
            head = " ".join(fields_tokens(head_fields))
            body = " ".join(fields_tokens(doc.sections))
            fts_rows.append({"key": key, "head": head, "body": body})
        else:
            row["head"] = tsvector_literal(head_fields)
            row["doc"] = tsvector_literal([*head_fields, *doc.sections])
        doc_rows.append(row)
    if not doc_rows:
        return
    if sqlite:
        await conn.execute(_INSERT_DOCS, doc_rows)
        await conn.execute(_INSERT_FTS, fts_rows)
    else:
        await conn.execute(_INSERT_DOCS_PG, doc_rows)
