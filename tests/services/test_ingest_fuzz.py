"""Thousands of damaged digests through the real ingest into a real database: a damaged
digest that is still a digest is always stored, holding only what its input holds; a
text that is not a digest fails with the project's format error and leaves no row
behind (the archive tables are exactly as before)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.services.ingest import store_text
from digestbot.store import models as m
from digestbot.store.archive import PaperView, export_papers
from tests.support.mutations import comparable, keeps_a_digest, mutate, sample_texts

Sessions = async_sessionmaker[AsyncSession]


async def snapshot(sessions: Sessions) -> str:
    """A digest of every archive row (not the ingest log)."""
    async with sessions() as s:
        rows = [
            *(await s.execute(select(m.Paper.arxiv_id, m.Paper.title, m.Paper.authors))).all(),
            *(await s.execute(select(m.Section.paper_id, m.Section.position, m.Section.text))),
            *(await s.execute(select(m.DigestDay.day, m.DigestDay.content_sha256))).all(),
            *(
                await s.execute(select(m.Appearance.day, m.Appearance.paper_id, m.Appearance.votes))
            ).all(),
        ]
    return hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()


async def _stored_day(sessions: Sessions, day: dt.date) -> list[PaperView]:
    async with sessions() as s:
        return list(await export_papers(s, day, day))


async def test_damaged_digests_with_a_header_and_a_paper_always_ingest(
    sessions: Sessions, db_url: str
) -> None:
    """The tolerant parser's promise, through the real store: every mutation of a real
    sample that still has its header and a paper with an arXiv heading is stored (with
    warnings), and the stored day holds no paper and no section text the input does
    not contain; anything else fails with the format error and leaves no row behind."""
    samples = sample_texts()
    for name, text in samples.items():
        assert (await store_text(sessions, text.encode(), name)).status == "stored"
    rng = random.Random(20261124)
    rounds = 240 if db_url.startswith("sqlite") else 120
    outcomes = {"stored": 0, "failed": 0, "warned": 0}
    names = sorted(samples)
    for i in range(rounds):
        name = names[i % len(names)]
        damaged = mutate(samples[name], rng)
        raw = damaged if isinstance(damaged, bytes) else damaged.encode()
        must_store = keeps_a_digest(damaged)
        before = "" if must_store else await snapshot(sessions)
        result = await store_text(sessions, raw, f"mutant-{i}")
        outcomes[result.status] += 1
        outcomes["warned"] += bool(result.warnings)
        if not must_store:
            if result.status == "failed":
                assert await snapshot(sessions) == before, (i, name)
            continue
        assert result.status == "stored", (i, name, result.message)
        assert result.day is not None
        source = comparable(damaged)
        stored = await _stored_day(sessions, result.day)
        assert [p.rank for p in stored] == list(range(1, len(stored) + 1)), (i, name)
        for paper in stored:
            assert paper.arxiv_id in source, (i, name, paper.arxiv_id)
            for section in paper.sections:
                for line in comparable(section.text).split("\n"):
                    assert line.strip() in source, (i, name, paper.arxiv_id, line[:80])
    # the mutations must exercise both outcomes and the repairs, or this proves little
    assert outcomes["stored"] > rounds // 2 and outcomes["failed"] > rounds // 20, outcomes
    assert outcomes["warned"] > rounds // 10, outcomes


async def test_hostile_but_parseable_values_fail_cleanly_or_store(sessions: Sessions) -> None:
    text = sample_texts()["2024/06/12.md"]
    long_id = text.replace("https://arxiv.org/abs/2406.07550", "https://arxiv.org/abs/" + "9" * 80)
    result = await store_text(sessions, long_id.encode(), "long-id")
    assert result.status in {"stored", "failed"}
    if result.status == "failed":
        async with sessions() as s:
            assert await s.scalar(select(m.DigestDay.day)) is None
    else:
        async with sessions() as s:
            day = await s.scalar(select(m.DigestDay.day))
        assert day == dt.date(2024, 6, 12)
