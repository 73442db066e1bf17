"""Ingest benchmark: a synthetic archive of DAYS x PAPERS that looks like the real eras,
ingested into a fresh SQLite database (and PostgreSQL with --postgres URL).

Prints files/s, papers/s and the ratio of full ingest time to parse-only time
(goal: within 3x of parsing alone, so the database does not dominate).

    python -m benchmarks.ingest                 # 1,000 days x 20 papers, SQLite
    python -m benchmarks.ingest --days 100      # quicker
    python -m benchmarks.ingest --postgres postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from benchmarks.synthetic import synthetic_archive
from digestbot.digest.parser import parse_digest
from digestbot.digest.sources import FolderSource
from digestbot.services.ingest import Sources, ingest_day
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade


def parse_only(files: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    papers = 0
    for path in files:
        papers += len(parse_digest(path.read_bytes(), str(path)).papers)
    return time.perf_counter() - start, papers


async def ingest_all(root: Path, database_url: str) -> tuple[float, int, int]:
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    folder = FolderSource(root)
    days = folder.days()
    start = time.perf_counter()
    papers = 0
    for day in days:
        result = await ingest_day(sessions, Sources(folder), day)
        if result.status != "stored":
            raise SystemExit(f"{day}: {result.status} {result.message}")
        papers += result.papers
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return elapsed, len(days), papers


async def fresh_postgres_schema(url: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}search_path={schema}", schema


async def drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()


def report(label: str, files: int, papers: int, seconds: float, parse_seconds: float) -> None:
    print(
        f"{label:<22} {seconds:8.2f} s  {files / seconds:9.0f} files/s  "
        f"{papers / seconds:9.0f} papers/s  ingest/parse = {seconds / parse_seconds:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--postgres", default="", help="also ingest into this PostgreSQL URL")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        files = synthetic_archive(root, args.days, args.papers, seed=1)
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        print(f"synthetic archive: {len(files)} files, {megabytes:.1f} MB")
        parse_seconds, papers = parse_only(files)
        print(
            f"{'parse only':<22} {parse_seconds:8.2f} s  {len(files) / parse_seconds:9.0f} "
            f"files/s  {papers / parse_seconds:9.0f} papers/s"
        )
        seconds, days, stored = asyncio.run(
            ingest_all(root, f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        )
        assert stored == papers, (stored, papers)
        report("ingest, SQLite", days, stored, seconds, parse_seconds)
        if args.postgres:
            url, schema = asyncio.run(fresh_postgres_schema(args.postgres))
            try:
                seconds, days, stored = asyncio.run(ingest_all(root, url))
                report("ingest, PostgreSQL", days, stored, seconds, parse_seconds)
            finally:
                asyncio.run(drop_schema(args.postgres, schema))


if __name__ == "__main__":
    main()
