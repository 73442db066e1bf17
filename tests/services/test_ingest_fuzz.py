"""Thousands of damaged digests through the real ingest into a real database: each one
either is stored or fails with the project's format error, and a failed day leaves no
row behind (the archive tables are exactly as before)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.parser import parse_digest
from digestbot.errors import DigestFormatError
from digestbot.services.ingest import store_text
from digestbot.store import models as m
from tests.support.mutations import mutate, sample_texts

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


async def test_damaged_digests_are_stored_whole_or_not_at_all(
    sessions: Sessions, db_url: str
) -> None:
    samples = sample_texts()
    for name, text in samples.items():
        assert (await store_text(sessions, text.encode(), name)).status == "stored"
    rng = random.Random(20261124)
    rounds = 1000 if db_url.startswith("sqlite") else 500
    outcomes = {"stored": 0, "failed": 0}
    names = sorted(samples)
    for i in range(rounds):
        name = names[i % len(names)]
        damaged = mutate(samples[name], rng)
        raw = damaged if isinstance(damaged, bytes) else damaged.encode()
        try:
            expected = parse_digest(raw, source=name)
        except DigestFormatError:
            expected = None
        before = await snapshot(sessions) if expected is None else ""
        result = await store_text(sessions, raw, f"mutant-{i}")
        outcomes[result.status] += 1
        if expected is None:
            assert result.status == "failed", (i, name)
            assert await snapshot(sessions) == before, (i, name)
        else:
            assert result.status == "stored", (i, name, result.message)
            async with sessions() as s:
                stored = (
                    await s.scalars(
                        select(m.Appearance.rank).where(m.Appearance.day == expected.date)
                    )
                ).all()
            assert sorted(stored) == list(range(1, len(expected.papers) + 1))
    # the mutations must exercise both outcomes, or this test proves little
    assert outcomes["stored"] > rounds // 10 and outcomes["failed"] > rounds // 10, outcomes


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
