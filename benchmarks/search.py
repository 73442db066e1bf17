"""Benchmark of `/search` on SQLite and PostgreSQL, with agreement against brute force.

    python -m benchmarks.search            # about 5,500 and 110,000 papers
    python -m benchmarks.search --quick    # about 5,500 papers, fewer queries

The corpus is the nine sample digests' papers replicated with new arXiv ids, random votes
and one synthetic day per ~60 papers, written through the real store (``store_digest``,
one transaction per day, which also indexes). Queries come in five classes drawn from
the samples' own text. Latency = one ``search_papers`` call (count, first page of 10 and
the papers' rows). Agreement = the total and the first page equal what the brute-force
reference (``digestbot.search.query.matches`` and the documented order) gives. The
``similar`` row times ``/similar`` (the paper read by id, then ``similar_papers``) for
100 random papers; its "hits" are the papers listed.

PostgreSQL: ``DIGESTBOT_TEST_POSTGRES_URL`` or postgresql+asyncpg://postgres@127.0.0.1:5432/test;
a schema of its own is made and dropped. Skipped with a message when unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot.digest.model import Digest, Paper
from digestbot.digest.parser import parse_digest
from digestbot.packaged import sample_digests
from digestbot.search.engine import search_papers
from digestbot.search.query import Query, normalise, parse_query, runs
from digestbot.search.reference import matches, matches_head
from digestbot.search.similar import similar_papers
from digestbot.search.tokens import sort_key
from digestbot.services.ingest import write_day
from digestbot.store import models as m
from digestbot.store.archive import get_paper
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade

SAMPLES = sample_digests()
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PER_DAY = 60
PAGE = 10
CLASSES = ("ko 1-2", "ko 3+", "english", "multi-word", "author")


def base_papers() -> list[Paper]:
    seen: dict[str, Paper] = {}
    for path in sorted(SAMPLES.glob("*/*/*.md")):
        for p in parse_digest(path.read_bytes(), str(path)).papers:
            seen.setdefault(p.arxiv_id, p)
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class Replica:
    arxiv_id: str
    base: int  # index into base papers
    day: dt.date
    votes: int | None


def plan_corpus(bases: list[Paper], size: int, seed: int) -> list[list[Replica]]:
    """Days of replicas: ``size`` papers, ``PER_DAY`` a day, new ids, random votes."""
    rng = random.Random(seed)
    days: list[list[Replica]] = []
    first = dt.date(2020, 1, 1)
    for n in range(size):
        if n % PER_DAY == 0:
            days.append([])
        votes = None if rng.random() < 0.05 else rng.randrange(0, 300)
        day = first + dt.timedelta(days=len(days) - 1)
        days[-1].append(
            Replica(f"{9000 + n // 100000}.{n % 100000:05d}", n % len(bases), day, votes)
        )
    return days


async def build(
    sessions: async_sessionmaker[AsyncSession], bases: list[Paper], plan: list[list[Replica]]
) -> None:
    for day_replicas in plan:
        ranked = sorted(day_replicas, key=lambda r: -(r.votes if r.votes is not None else -1))
        rank = {r.arxiv_id: i for i, r in enumerate(ranked, start=1)}
        papers = tuple(
            replace(
                bases[r.base],
                arxiv_id=r.arxiv_id,
                url=f"https://arxiv.org/abs/{r.arxiv_id}",
                votes=r.votes,
                position=i,
                rank=rank[r.arxiv_id],
            )
            for i, r in enumerate(day_replicas, start=1)
        )
        digest = Digest(date=day_replicas[0].day, papers=papers, source="benchmark")
        async with sessions.begin() as session:
            await write_day(session, digest, "0" * 64)


def make_queries(bases: list[Paper], per_class: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    hangul: list[str] = []
    latin: list[str] = []
    titles: list[list[str]] = []
    for p in bases:
        for s in p.sections:
            for h, run in runs(normalise(s.text)):
                (hangul if h else latin).append(run)
        title_words = [w for h, w in runs(normalise(p.title)) if not h]
        latin.extend(title_words)
        titles.append(title_words)
    latin = [w for w in latin if len(w) >= 2]
    short = [r for r in hangul if len(r) >= 1]
    long_ = [r for r in hangul if len(r) >= 3]
    authors = [a for p in bases for a in p.authors if a.strip()]
    out: dict[str, list[str]] = {c: [] for c in CLASSES}
    for _ in range(per_class):
        run = rng.choice(short)
        k = rng.choice((1, 2, 2, 2)) if len(run) >= 2 else 1
        start = rng.randrange(0, len(run) - k + 1)
        out["ko 1-2"].append(run[start : start + k])
        run = rng.choice(long_)
        k = rng.randint(3, min(len(run), 6))
        out["ko 3+"].append(run[:k])
        word = rng.choice(latin)
        out["english"].append(word if rng.random() < 0.7 else word[: rng.randint(2, len(word))])
        p = rng.choice(bases)
        pool = [w for w in titles[bases.index(p)] if len(w) >= 3]
        pool += [r for s in p.sections for h, r in runs(normalise(s.text)) if h and len(r) >= 2]
        out["multi-word"].append(" ".join(rng.sample(pool, min(len(pool), rng.randint(2, 3)))))
        out["author"].append(rng.choice(authors))
    return out


@dataclass(frozen=True, slots=True)
class Truth:
    total: int
    first_page: list[str]


def brute_force(
    query: Query, bases: list[Paper], replicas: list[Replica], ids: dict[str, int]
) -> Truth:
    hit = [matches(query, [p.title, *p.authors, *(s.text for s in p.sections)]) for p in bases]
    head = [matches_head(query, p.title, p.authors) for p in bases]
    found = [r for r in replicas if hit[r.base]]
    found.sort(key=lambda r: (not head[r.base], sort_key(ids[r.arxiv_id], r.votes, r.day)))
    return Truth(len(found), [r.arxiv_id for r in found[:PAGE]])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_backend(
    label: str,
    engine: AsyncEngine,
    bases: list[Paper],
    size: int,
    queries: dict[str, list[str]],
    rows: list[list[str]],
) -> None:
    await upgrade(engine)
    sessions = session_factory(engine)
    plan = plan_corpus(bases, size, seed=size)
    started = time.perf_counter()
    await build(sessions, bases, plan)
    built = time.perf_counter() - started
    replicas = [r for day in plan for r in day]
    async with sessions() as session:
        rows_ = (await session.execute(select(m.Paper.arxiv_id, m.Paper.id))).tuples()
        ids = {arxiv_id: pid for arxiv_id, pid in rows_}
        if engine.dialect.name == "postgresql":
            await session.execute(text("ANALYZE"))
            await session.commit()
    print(f"{label}: built {len(replicas):,} papers in {built:.0f} s", file=sys.stderr)
    parsed = {q: parse_query(q) for qs in queries.values() for q in qs}
    truths = {q: brute_force(pq, bases, replicas, ids) for q, pq in parsed.items()}
    async with sessions() as session:
        for q in list(parsed)[:20]:  # warm-up
            await search_papers(session, q, limit=PAGE)
        for cls in CLASSES:
            times: list[float] = []
            agree = 0
            for q in queries[cls]:
                t0 = time.perf_counter()
                # as /search runs it: the query and its first page of titles
                result = await search_papers(session, q, limit=PAGE, with_sections=False)
                times.append((time.perf_counter() - t0) * 1000)
                got = Truth(result.total, [p.arxiv_id for p in result.papers])
                agree += got == truths[q]
            n = len(queries[cls])
            hits = statistics.median(truths[q].total for q in queries[cls])
            rows.append(
                [
                    label,
                    f"{len(replicas):,}",
                    cls,
                    str(n),
                    f"{statistics.median(times):.2f}",
                    f"{_pct(times, 0.95):.2f}",
                    f"{hits:,.0f}",
                    f"{100 * agree / n:.1f}%",
                ]
            )
            print("  ".join(rows[-1]), file=sys.stderr)
        await _time_similar(label, session, sorted(ids), len(replicas), rows)


async def _time_similar(
    label: str, session: AsyncSession, arxiv_ids: list[str], size: int, rows: list[list[str]]
) -> None:
    """``/similar`` as it runs: the paper read by id, then its similar papers (the
    agreement column does not apply: there is no brute-force reference for a ranking)."""
    picks = random.Random(size).sample(arxiv_ids, min(len(arxiv_ids), 100))
    times: list[float] = []
    found: list[int] = []
    for arxiv_id in picks:
        t0 = time.perf_counter()
        paper = await get_paper(session, arxiv_id)
        assert paper is not None
        result = await similar_papers(session, paper)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(len(result.papers))
    rows.append(
        [
            label,
            f"{size:,}",
            "similar",
            str(len(picks)),
            f"{statistics.median(times):.2f}",
            f"{_pct(times, 0.95):.2f}",
            f"{statistics.median(found):,.0f}",
            "-",
        ]
    )
    print("  ".join(rows[-1]), file=sys.stderr)


def print_table(rows: list[list[str]]) -> None:
    header = [
        "backend",
        "papers",
        "class",
        "queries",
        "median ms",
        "p95 ms",
        "median hits",
        "agreement",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


async def main_async(
    quick: bool, backends: list[str], sizes: list[int] | None = None, per_class: int = 0
) -> None:
    bases = base_papers()
    sizes = sizes or ([5_500] if quick else [5_500, 110_000])
    queries = make_queries(bases, per_class or (50 if quick else 200), seed=7)
    rows: list[list[str]] = []
    pg_url = os.environ.get("DIGESTBOT_TEST_POSTGRES_URL") or DEFAULT_PG
    for size in sizes:
        if "sqlite" in backends:
            with tempfile.TemporaryDirectory() as tmp:
                engine = create_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
                try:
                    await run_backend("sqlite", engine, bases, size, queries, rows)
                finally:
                    await engine.dispose()
        if "postgresql" in backends:
            await run_postgres(pg_url, bases, size, queries, rows)
    print_table(rows)


async def run_postgres(
    url: str, bases: list[Paper], size: int, queries: dict[str, list[str]], rows: list[list[str]]
) -> None:
    admin = create_engine(url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # any failure to connect means "skip"
        print(f"postgresql: skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        await admin.dispose()
        return
    sep = "&" if "?" in url else "?"
    engine = create_engine(f"{url}{sep}search_path={schema}")
    try:
        await run_backend("postgresql", engine, bases, size, queries, rows)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,500 papers, 50 queries a class")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="default: both"
    )
    parser.add_argument("--size", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--queries", type=int, default=0, help="queries per class")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    asyncio.run(main_async(args.quick, backends, args.size, args.queries))


if __name__ == "__main__":
    main()
