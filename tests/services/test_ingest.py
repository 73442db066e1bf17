"""Ingest into a real database (SQLite and PostgreSQL): samples, idempotency, failures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.sources import FolderSource, HttpSource
from digestbot.services.ingest import Sources, ingest_day, ingest_file, store_text
from digestbot.store import models as m
from digestbot.store.archive import (
    day_papers,
    export_papers,
    get_paper,
    load_sections,
    top_papers,
)
from tests.conftest import DIGESTS
from tests.support.digest_server import DigestServer

SAMPLE_COUNTS = {
    dt.date(2023, 11, 22): 8,
    dt.date(2024, 3, 15): 14,
    dt.date(2024, 6, 11): 14,
    dt.date(2024, 6, 12): 16,
    dt.date(2024, 8, 23): 20,
    dt.date(2024, 10, 18): 9,
    dt.date(2024, 11, 14): 7,
    dt.date(2025, 2, 19): 68,
    dt.date(2025, 5, 9): 20,
}

Sessions = async_sessionmaker[AsyncSession]


async def counts(sessions: Sessions) -> dict[str, int]:
    async with sessions() as s:
        return {
            model.__tablename__: await s.scalar(select(func.count()).select_from(model)) or 0
            for model in (m.Paper, m.Section, m.DigestDay, m.Appearance)
        }


async def ingest_samples(sessions: Sessions) -> None:
    folder = FolderSource(DIGESTS)
    for day in folder.days():
        result = await ingest_day(sessions, Sources(folder), day)
        assert result.status == "stored", result


async def test_every_sample_ingests_with_its_paper_count(sessions: Sessions) -> None:
    await ingest_samples(sessions)
    async with sessions() as s:
        for day, expected in SAMPLE_COUNTS.items():
            page = await day_papers(s, day)
            assert page.total == expected, day
            assert [p.rank for p in page.papers] == list(range(1, expected + 1))
    assert (await counts(sessions))["papers"] == sum(SAMPLE_COUNTS.values())


async def test_reingest_is_idempotent_and_updates_votes(sessions: Sessions) -> None:
    await ingest_samples(sessions)
    before = await counts(sessions)
    await ingest_samples(sessions)
    assert await counts(sessions) == before

    text = (DIGESTS / "2024/06/12.md").read_text()
    changed = text.replace("Vote: 52", "Vote: 99", 1)
    result = await store_text(sessions, changed.encode(), "edited")
    assert result.status == "stored"
    assert await counts(sessions) == before
    async with sessions() as s:
        paper = await get_paper(s, "2406.07550")
    assert paper is not None and paper.votes == 99 and paper.rank == 1


async def test_a_day_that_loses_a_paper_loses_its_appearance_only(sessions: Sessions) -> None:
    text = (DIGESTS / "2024/11/14.md").read_text()
    await store_text(sessions, text.encode(), "full")
    start = text.index("### [Motion Control")
    end = text.index("### [Can sparse")
    await store_text(sessions, (text[:start] + text[end:]).encode(), "shorter")
    async with sessions() as s:
        page = await day_papers(s, dt.date(2024, 11, 14))
        assert page.total == 6
        assert "2411.08328" not in {p.arxiv_id for p in page.papers}
        assert await get_paper(s, "2411.08328") is not None  # the paper itself is kept


async def test_a_failed_day_writes_nothing_and_keeps_what_was_stored(sessions: Sessions) -> None:
    good = (DIGESTS / "2025/05/09.md").read_bytes()
    await store_text(sessions, good, "good")
    before = await counts(sessions)
    # not a digest: its date header is gone (a damaged paper would be repaired instead)
    broken = good.replace(b"## Daily Papers (2025-05-09)", b"## Daily Papers", 1)
    result = await store_text(sessions, broken, "broken.md", expected_day=dt.date(2025, 5, 9))
    assert result.status == "failed"
    assert "broken.md:" in result.message
    assert await counts(sessions) == before
    async with sessions() as s:
        runs = (await s.scalars(select(m.IngestRun).order_by(m.IngestRun.id))).all()
    assert [r.status for r in runs] == ["stored", "failed"]


async def test_a_file_with_another_date_is_refused(sessions: Sessions) -> None:
    result = await store_text(
        sessions, (DIGESTS / "2025/05/09.md").read_bytes(), "x.md", dt.date(2025, 5, 8)
    )
    assert result.status == "failed" and "2025-05-09" in result.message
    assert (await counts(sessions))["papers"] == 0


async def test_ingest_over_http_stored_missing_and_failing_days(
    sessions: Sessions, tmp_path: Path
) -> None:
    import httpx

    target = tmp_path / "2024" / "08"
    target.mkdir(parents=True)
    (target / "23.md").write_bytes((DIGESTS / "2024/08/23.md").read_bytes())
    with DigestServer(tmp_path) as server:
        server.fail("2024/08/24.md", 502, times=5)
        async with httpx.AsyncClient(timeout=2) as client:
            src = HttpSource(server.url + "/{YYYY}/{MM}/{DD}.md", client, retries=1, backoff=0)
            stored = await ingest_day(sessions, Sources(src), dt.date(2024, 8, 23))
            missing = await ingest_day(sessions, Sources(src), dt.date(2024, 8, 25))
            failed = await ingest_day(sessions, Sources(src), dt.date(2024, 8, 24))
    assert (stored.status, stored.papers) == ("stored", 20)
    assert missing.status == "missing"
    assert failed.status == "failed" and "HTTP 502" in failed.message
    assert (await counts(sessions))["digest_days"] == 1


async def test_ingest_file_reports_unreadable_files(sessions: Sessions, tmp_path: Path) -> None:
    result = await ingest_file(sessions, tmp_path / "missing.md")
    assert result.status == "failed" and "missing.md" in result.message


async def test_top_over_a_period_counts_a_paper_once(sessions: Sessions) -> None:
    await ingest_samples(sessions)
    # the same paper again on a later day, with more votes
    again = (DIGESTS / "2024/11/14.md").read_text().replace("2024-11-14", "2024-11-15")
    again = again.replace("Vote: 39", "Vote: 41")
    assert (await store_text(sessions, again.encode(), "again")).status == "stored"
    async with sessions() as s:
        page = await top_papers(s, dt.date(2024, 11, 14), dt.date(2024, 11, 20), limit=3)
    assert page.total == 7
    top = page.papers[0]
    assert (top.arxiv_id, top.votes, top.day) == ("2411.08147", 41, dt.date(2024, 11, 15))
    assert [p.votes for p in page.papers] == [41, 15, 10]


async def test_export_orders_by_day_then_rank(sessions: Sessions) -> None:
    await ingest_samples(sessions)
    async with sessions() as s:
        everything = await export_papers(s)
        one_day = await export_papers(s, dt.date(2024, 11, 14), dt.date(2024, 11, 14))
    assert len(everything) == sum(SAMPLE_COUNTS.values())
    keys = [(p.day, p.rank) for p in everything]
    assert keys == sorted(keys, key=lambda k: (k[0] or dt.date.min, k[1] or 0))
    assert [p.votes for p in one_day] == [39, 15, 10, 8, 4, 2, 0]


async def test_reingest_does_not_use_up_paper_ids(sessions: Sessions) -> None:
    first = (DIGESTS / "2024/06/12.md").read_bytes()
    for _ in range(3):
        assert (await store_text(sessions, first, "again")).status == "stored"
    await store_text(sessions, (DIGESTS / "2024/08/23.md").read_bytes(), "next day")
    async with sessions() as s:
        ids = sorted((await s.scalars(select(m.Paper.id))).all())
    # 16 + 20 papers, numbered without gaps: re-ingesting drew no new ids
    assert ids == list(range(ids[0], ids[0] + 36))


async def test_sections_of_more_papers_than_bound_parameters_allow(sessions: Sessions) -> None:
    await store_text(sessions, (DIGESTS / "2024/11/14.md").read_bytes(), "day")
    async with sessions() as s:
        real = list((await s.scalars(select(m.Paper.id))).all())
        # SQLite and asyncpg accept at most 32,766 / 32,767 bound parameters
        ids = real + list(range(1_000_000, 1_040_000))
        found = await load_sections(s, ids)
    assert len(found) == len(ids)
    assert all(len(found[pid]) == 3 for pid in real)
    assert not any(found[pid] for pid in ids[len(real) :])
