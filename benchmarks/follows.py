"""Follows benchmark: a morning push with follows for many subscribers.

    python -m benchmarks.follows                          # 100,000 subscribers, SQLite
    python -m benchmarks.follows --postgres postgresql+asyncpg://postgres@127.0.0.1/test
    python -m benchmarks.follows --subscribers 5000 --follows 1000   # a quick run

A day of 50 papers (the real samples' papers, with new ids), 20,000 distinct follows
made of the archive's own topical words (in at most 3% of its papers), Korean runs and
author names (1–2 terms, some ``author:``), followed by the subscribers 1–3 each
(every distinct follow at least once, the rest skewed towards popular ones); 10% of the
chats in English, a mix of push sizes and sections, 5% "only papers I follow".
Timed: the day's matches (read the follows, match every distinct follow once, map them
to the chats) and queueing every push (``enqueue_push``: render once per distinct cut,
insert the deliveries, commit). Prints matching time, queueing time, deliveries queued
and distinct renders, and where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from benchmarks.ingest import drop_schema, fresh_postgres_schema  # noqa: E402
from digestbot.delivery.enqueue import (  # noqa: E402
    Target,
    daily_key,
    default_renderer,
    enqueue_push,
    follow_matches,
    subscription_targets,
)
from digestbot.delivery.outbox import Part, existing_keys  # noqa: E402
from digestbot.digest.model import Digest, Paper  # noqa: E402
from digestbot.digest.parser import parse_digest  # noqa: E402
from digestbot.packaged import sample_digests  # noqa: E402
from digestbot.search.follow import PaperText, day_matches, follow_key, parse_follow  # noqa: E402
from digestbot.search.query import normalise, runs  # noqa: E402
from digestbot.services.ingest import write_day  # noqa: E402
from digestbot.store.archive import PaperView, day_papers  # noqa: E402
from digestbot.store.db import create_engine, session_factory  # noqa: E402
from digestbot.store.follows import follows_of_targets  # noqa: E402
from digestbot.store.migrate import upgrade  # noqa: E402
from digestbot.store.models import Chat, Delivery, Follow, Subscription  # noqa: E402

DAY = dt.date(2025, 6, 2)
Sessions = async_sessionmaker[AsyncSession]


def sample_papers() -> list[Paper]:
    papers: list[Paper] = []
    for path in sorted(sample_digests().glob("*/*/*.md")):
        papers += parse_digest(path.read_bytes(), str(path)).papers
    return papers


def the_day(pool: Sequence[Paper], size: int, rng: random.Random) -> Digest:
    chosen = rng.sample(list(pool), min(size, len(pool)))
    papers = tuple(
        dataclasses.replace(p, arxiv_id=f"2506.{i:05d}", votes=size - i, position=i + 1, rank=i + 1)
        for i, p in enumerate(chosen)
    )
    return Digest(DAY, papers, "benchmark")


def follow_texts(pool: Sequence[Paper], n: int, rng: random.Random) -> list[str]:
    """``n`` distinct follows (distinct keys) from the archive's words and authors."""
    # topical words, as people follow: in at most 3% of the papers (not "the", "모델을")
    papers_with: dict[str, int] = {}
    for p in pool:
        seen = {r for f in (p.title, *(s.text for s in p.sections)) for _, r in runs(normalise(f))}
        for word in seen:
            papers_with[word] = papers_with.get(word, 0) + 1
    rare = max(2, len(pool) * 3 // 100)
    words = sorted(w for w, n in papers_with.items() if len(w) > 2 and n <= rare)
    authors = [a for p in pool for a in p.authors]
    found: dict[str, str] = {}
    while len(found) < n:
        kind = rng.random()
        if kind < 0.55:
            candidate = rng.choice(words)
        elif kind < 0.85:
            candidate = f"{rng.choice(words)} {rng.choice(words)}"
        elif kind < 0.95:
            candidate = f"author:{rng.choice(authors)}"
        else:
            candidate = f"{rng.choice(words)} author:{rng.choice(authors).split()[-1]}"
        key = follow_key(parse_follow(candidate))
        if key and key not in found and len(candidate) <= 100:
            found[key] = candidate
    return list(found)


async def populate(sessions: Sessions, subscribers: int, distinct: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = sample_papers()
    async with sessions.begin() as session:
        await write_day(session, the_day(pool, 50, rng), "0" * 64)
    keys = follow_texts(pool, distinct, rng)
    chats, subs, follows = [], [], []
    for i in range(subscribers):
        chat_id = 10_000_001 + i
        chats.append({"id": chat_id, "type": "private", "title": "", "language": "ko"})
        if rng.random() < 0.1:
            chats[-1]["language"] = "en"
        subs.append(
            {
                "chat_id": chat_id,
                "thread_id": 0,
                "top_n": rng.choices([5, 3, 10], [8, 1, 1])[0],
                "sections": rng.choices([[], ["What's New"]], [9, 1])[0],
                "follows_only": rng.random() < 0.05,
            }
        )
        mine = {keys[i % len(keys)]} if i < len(keys) else set()
        while len(mine) < rng.randint(1, 3):
            # popular follows are followed by many: a skewed pick
            mine.add(keys[min(int(rng.paretovariate(1.2)) - 1, len(keys) - 1)])
        follows += [{"chat_id": chat_id, "thread_id": 0, "query": k, "text": k} for k in mine]
    async with sessions.begin() as session:
        for table, rows in ((Chat, chats), (Subscription, subs), (Follow, follows)):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(table), rows[start : start + 5000])


@dataclasses.dataclass
class Figures:
    subscribers: int
    follow_rows: int
    distinct: int
    read_follows: float
    match_distinct: float
    matching: float
    queueing: float
    render: float
    read_targets: float
    dedupe: float
    renders: int
    queued: int
    matched_chats: int


async def measure(sessions: Sessions) -> Figures:
    async with sessions() as session:
        subscribers = int(await session.scalar(select(func.count()).select_from(Subscription)) or 0)
        rows = int(await session.scalar(select(func.count()).select_from(Follow)) or 0)
        papers = (await day_papers(session, DAY)).papers
        t_targets = time.perf_counter()
        targets = await subscription_targets(session)
        read_targets = time.perf_counter() - t_targets
        t_keys = time.perf_counter()
        key = daily_key(DAY)
        await existing_keys(session, [key(t) for t in targets])
        dedupe = time.perf_counter() - t_keys
        # the pieces of the matching, timed apart
        t0 = time.perf_counter()
        by_target = await follows_of_targets(session, [t.key for t in targets])
        t1 = time.perf_counter()
        distinct = {k for keys in by_target.values() for k in keys}
        texts = [PaperText(p.title, p.authors, [s.text for s in p.sections]) for p in papers]
        day_matches(texts, distinct)
        t2 = time.perf_counter()
        # what the push does: read the follows, match, map to the chats
        matched = await follow_matches(session, papers, targets)
        t3 = time.perf_counter()

    render_time = 0.0
    renders = 0

    def counting(
        day: dt.date,
        papers: Sequence[PaperView],
        target: Target,
        total: int,
        followed: Sequence[PaperView] = (),
    ) -> list[Part]:
        nonlocal render_time, renders
        start = time.perf_counter()
        parts = default_renderer(day, papers, target, total, followed)
        render_time += time.perf_counter() - start
        renders += 1
        return parts

    t4 = time.perf_counter()
    async with sessions.begin() as session:
        queued = await enqueue_push(session, DAY, render=counting)
    t5 = time.perf_counter()
    async with sessions() as session:
        stored = int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)
    assert stored == queued, (stored, queued)
    matching = t3 - t2
    return Figures(
        subscribers=subscribers,
        follow_rows=rows,
        distinct=len(distinct),
        read_follows=t1 - t0,
        match_distinct=t2 - t1,
        matching=matching,
        queueing=(t5 - t4) - matching,
        render=render_time,
        read_targets=read_targets,
        dedupe=dedupe,
        renders=renders,
        queued=queued,
        matched_chats=len(matched),
    )


def report(name: str, f: Figures) -> None:
    print(
        f"\n{name}: {f.subscribers:,} subscribers, {f.follow_rows:,} follows,"
        f" {f.distinct:,} distinct"
    )
    print(
        f"  matching time     {f.matching:7.2f} s  (read follows {f.read_follows:.2f} s, "
        f"match distinct follows {f.match_distinct:.2f} s, the rest: mapping to chats)"
    )
    rest = f.queueing - f.render - f.read_targets - f.dedupe
    print(
        f"  queueing time     {f.queueing:7.2f} s  (read subscriptions {f.read_targets:.2f} s,"
        f" dedupe check {f.dedupe:.2f} s, render {f.render:.2f} s,"
        f" insert and commit {rest:.2f} s)"
    )
    print(f"  total             {f.matching + f.queueing:7.2f} s  (goal < 60 s)")
    print(f"  deliveries queued {f.queued:7,}   chats with a followed paper {f.matched_chats:,}")
    print(f"  distinct renders  {f.renders:7,}")


async def run(url: str, subscribers: int, distinct: int, seed: int) -> Figures:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        await populate(sessions, subscribers, distinct, seed)
        print(f"  (set-up: {time.perf_counter() - started:.1f} s)", flush=True)
        return await measure(sessions)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--follows", type=int, default=20_000, help="distinct follows")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default="", help="also run on this PostgreSQL URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        print("SQLite", flush=True)
        report("SQLite", asyncio.run(run(url, args.subscribers, args.follows, args.seed)))
    if args.postgres:
        url, schema = asyncio.run(fresh_postgres_schema(args.postgres))
        try:
            print("PostgreSQL", flush=True)
            figures = asyncio.run(run(url, args.subscribers, args.follows, args.seed))
            report("PostgreSQL", figures)
        finally:
            asyncio.run(drop_schema(args.postgres, schema))


if __name__ == "__main__":
    main()
