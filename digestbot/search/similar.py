"""`/similar`: the papers sharing the most distinctive terms with one paper, ranked by the
index's text score (SQLite FTS5 ``bm25``, PostgreSQL ``ts_rank``).

The terms (pure, :func:`candidate_terms`): the paper's Latin words — the technical names
(``GRPO``, ``LoRA``, ``MoE``) the Korean summaries keep in English — weighted by how often
the title (×3) and the sections use them, common English words left out. How distinctive
each is, is asked of the index: the number of papers it matches (one cheap count per
term, all in one statement). Terms found in no other paper, or in more than a tenth of
the archive (and more than :data:`COMMON_FLOOR` papers), say nothing about likeness; of
the rest the rarest :data:`QUERY_TERMS` are ORed, and the matches are ranked by the
backend's score, which weighs rare shared terms up (its IDF), the paper itself left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.search.engine import seqscan_off
from digestbot.search.query import Query, Term, normalise, runs
from digestbot.search.tokens import fts5_expression, tsquery_expression
from digestbot.store.archive import PaperView, papers_by_ids

__all__ = ["CANDIDATES", "QUERY_TERMS", "candidate_terms", "similar_papers"]

CANDIDATES = 24  # terms whose frequency in the archive is asked
QUERY_TERMS = 8  # the rarest of them that are searched for
COMMON_SHARE = 0.1  # a term in more of the archive than this says nothing
COMMON_FLOOR = 10  # …except in a small archive, where a tenth is only a few papers

_STOPWORDS = frozenset(
    " ".join(
        (
            "a an the and or of for to in on with by from as at is are be via we our this",
            "that these those its it into over under than then not no can using use based",
            "new large model models method methods approach paper task tasks data results",
            "performance learning towards toward through without more most their they",
            "which while show shows",
        )
    ).split()
)


@dataclass(frozen=True, slots=True)
class SimilarResult:
    paper: PaperView
    papers: tuple[PaperView, ...]
    terms: tuple[str, ...]  # the terms searched for


def candidate_terms(title: str, sections: Sequence[str], limit: int = CANDIDATES) -> list[str]:
    """The paper's Latin words worth asking about, most used first (title words ×3)."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for weight, field in [(3, title), *((1, s) for s in sections)]:
        for hangul, word in runs(normalise(field)):
            if hangul or len(word) < 3 or word.isdigit() or word in _STOPWORDS:
                continue
            counts[word] += weight
            first_seen.setdefault(word, len(first_seen))
    ranked = sorted(counts, key=lambda w: (-counts[w], first_seen[w]))
    return ranked[:limit]


def _query(words: Sequence[str]) -> Query:
    return Query(tuple(Term(False, (w,)) for w in words))


async def _match_counts(
    session: AsyncSession, words: Sequence[str], sqlite: bool, cap: int
) -> list[int]:
    """How many papers each word matches, counted up to ``cap`` (a word matching more
    is as useless as one matching ``cap``: the count stops there): one statement (one
    round trip), a subquery per word, each answered from the index (FTS5 doclist, GIN
    bitmap)."""
    if sqlite:
        match = "SELECT 1 FROM search_fts WHERE search_fts MATCH :w{i}"
        params = {f"w{i}": fts5_expression(_query([w])) for i, w in enumerate(words)}
    else:
        match = "SELECT 1 FROM search_docs WHERE doc @@ CAST(:w{i} AS tsquery)"
        params = {f"w{i}": tsquery_expression(_query([w])) for i, w in enumerate(words)}
    one = f"(SELECT count(*) FROM ({match} LIMIT :cap) AS m)"
    columns = ", ".join(one.format(i=i) for i in range(len(words)))
    row = (await session.execute(text(f"SELECT {columns}"), {**params, "cap": cap})).one()
    return [int(n) for n in row]


async def _ranked_sqlite(
    session: AsyncSession, words: Sequence[str], exclude: int, limit: int
) -> list[int]:
    expr = " OR ".join(f"({fts5_expression(_query([w]))})" for w in words)
    rows = await session.execute(
        text(
            "SELECT d.paper_id FROM search_fts JOIN search_docs d ON d.sort_key = search_fts.rowid"
            " WHERE search_fts MATCH :e AND d.paper_id != :own"
            " ORDER BY bm25(search_fts, 3.0, 1.0) LIMIT :limit"
        ),
        {"e": expr, "own": exclude, "limit": limit},
    )
    return [int(r[0]) for r in rows]


async def _ranked_postgresql(
    session: AsyncSession, words: Sequence[str], exclude: int, limit: int
) -> list[int]:
    q = " | ".join(f"({tsquery_expression(_query([w]))})" for w in words)
    rows = await session.execute(
        text(
            "SELECT paper_id FROM search_docs WHERE doc @@ CAST(:q AS tsquery) AND paper_id != :own"
            " ORDER BY ts_rank(doc, CAST(:q AS tsquery)) DESC, sort_key LIMIT :limit"
        ),
        {"q": q, "own": exclude, "limit": limit},
    )
    return [int(r[0]) for r in rows]


async def _archive_size(session: AsyncSession, sqlite: bool) -> int:
    """How many papers are indexed; on PostgreSQL the planner's count (a tenth of it is
    only a threshold, and counting the rows took 2–3 ms of every /similar), exact while
    the table has not been analysed yet."""
    if not sqlite:
        estimate = await session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'search_docs'::regclass")
        )
        if estimate is not None and estimate > 0:
            return int(estimate)
    return int(await session.scalar(text("SELECT count(*) FROM search_docs")) or 0)


async def _paper_row_id(session: AsyncSession, arxiv_id: str) -> int | None:
    found = await session.scalar(text("SELECT id FROM papers WHERE arxiv_id = :a"), {"a": arxiv_id})
    return int(found) if found is not None else None


async def similar_papers(session: AsyncSession, paper: PaperView, limit: int = 8) -> SimilarResult:
    """The ``limit`` papers most like ``paper`` (a stored paper with its sections)."""
    own = await _paper_row_id(session, paper.arxiv_id)
    words = candidate_terms(paper.title, [s.text for s in paper.sections])
    if own is None or not words:
        return SimilarResult(paper, (), ())
    sqlite = session.bind.dialect.name == "sqlite"
    # PostgreSQL: GIN lookups, never a scan testing every row's vector (see seqscan_off)
    async with nullcontext() if sqlite else seqscan_off(session):
        total = await _archive_size(session, sqlite)
        common = max(COMMON_FLOOR, int(total * COMMON_SHARE))
        counts = await _match_counts(session, words, sqlite, common + 1)
        # in this paper and at least one other, and not everywhere
        pairs = enumerate(zip(counts, words, strict=True))
        counted = [(n, i, word) for i, (n, word) in pairs if 2 <= n <= common]
        chosen = [word for _, _, word in sorted(counted)[:QUERY_TERMS]]
        if not chosen:
            return SimilarResult(paper, (), ())
        rank = _ranked_sqlite if sqlite else _ranked_postgresql
        ranked = await rank(session, chosen, own, limit)
    found = await papers_by_ids(session, ranked, with_sections=False)
    return SimilarResult(paper, tuple(found), tuple(chosen))
