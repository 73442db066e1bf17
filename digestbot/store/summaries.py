"""Repository functions for the Korean summaries the bot has written: which papers still
need one, a claim so that one instance asks the model for a paper once, the sections it
wrote, and what the requests cost. None of them commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.store import models as m

MODEL_ORIGIN_PREFIX = "model:"


# correlated: "this paper has sections" (inside a statement over papers)
_HAS_SECTIONS = exists().where(m.Section.paper_id == m.Paper.id)


def model_origin(model: str) -> str:
    """``sections.origin`` of a summary ``model`` wrote (the column holds 80 characters)."""
    return f"{MODEL_ORIGIN_PREFIX}{model}"[:80]


@dataclass(frozen=True, slots=True)
class SummaryTask:
    paper_id: int
    arxiv_id: str
    title: str
    abstract: str


async def papers_to_summarise(
    session: AsyncSession, day: dt.date, *, max_attempts: int
) -> list[SummaryTask]:
    """The day's papers (in rank order) that have no sections yet, an abstract to write
    from, and attempts left."""
    rows = await session.execute(
        select(m.Paper.id, m.Paper.arxiv_id, m.Paper.title, m.Paper.abstract)
        .join(m.Appearance, m.Appearance.paper_id == m.Paper.id)
        .where(
            m.Appearance.day == day,
            m.Paper.abstract.is_not(None),
            m.Paper.summary_attempts < max_attempts,
            ~_HAS_SECTIONS,
        )
        .order_by(m.Appearance.rank)
    )
    return [
        SummaryTask(pid, arxiv_id, title, abstract or "")
        for pid, arxiv_id, title, abstract in rows.tuples()
    ]


async def claim_summary(
    session: AsyncSession, paper_id: int, *, now: dt.datetime, lease: float, max_attempts: int
) -> bool:
    """Take the paper for one summary attempt: only when it still has no sections, has
    attempts left and nobody else holds it (or their claim ran out). One statement, so
    two instances never both get it."""
    result = await session.execute(
        update(m.Paper)
        .where(
            m.Paper.id == paper_id,
            m.Paper.summary_attempts < max_attempts,
            or_(m.Paper.summary_claimed_until.is_(None), m.Paper.summary_claimed_until < now),
            ~exists().where(m.Section.paper_id == paper_id),
        )
        .values(
            summary_attempts=m.Paper.summary_attempts + 1,
            summary_claimed_until=now + dt.timedelta(seconds=lease),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def store_summary(
    session: AsyncSession, paper_id: int, sections: Sequence[tuple[str, str]], origin: str
) -> bool:
    """The sections the model wrote, unless the paper got sections meanwhile (the
    archive's text is never replaced by generated text). True when they were stored."""
    if await session.scalar(select(exists().where(m.Section.paper_id == paper_id))):
        await release_summary(session, paper_id, "")
        return False
    await session.execute(
        insert(m.Section),
        [
            {"paper_id": paper_id, "position": i, "name": name, "text": text, "origin": origin}
            for i, (name, text) in enumerate(sections, start=1)
        ],
    )
    await release_summary(session, paper_id, "")
    return True


async def release_summary(session: AsyncSession, paper_id: int, error: str) -> None:
    """Give the claim back; ``error`` says why the attempt failed ("" when it did not)."""
    await session.execute(
        update(m.Paper)
        .where(m.Paper.id == paper_id)
        .values(summary_claimed_until=None, summary_error=error[:500])
        .execution_options(synchronize_session=False)
    )


async def record_usage(
    session: AsyncSession,
    *,
    paper_id: int,
    day: dt.date | None,
    model: str,
    ok: bool,
    prompt_tokens: int,
    completion_tokens: int,
    now: dt.datetime,
) -> None:
    await session.execute(
        insert(m.LlmUsage).values(
            paper_id=paper_id,
            day=day,
            model=model[:128],
            ok=ok,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            created_at=now,
        )
    )


async def papers_summarised_for(session: AsyncSession, day: dt.date) -> int:
    """How many of ``day``'s papers the model was asked about so far (the daily cap)."""
    count = await session.scalar(
        select(func.count(func.distinct(m.LlmUsage.paper_id))).where(m.LlmUsage.day == day)
    )
    return int(count or 0)


@dataclass(frozen=True, slots=True)
class Usage:
    requests: int
    summaries: int  # requests that gave a summary
    prompt_tokens: int
    completion_tokens: int


async def usage_since(session: AsyncSession, since: dt.datetime) -> Usage:
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(m.LlmUsage.ok.is_(True)),
                func.coalesce(func.sum(m.LlmUsage.prompt_tokens), 0),
                func.coalesce(func.sum(m.LlmUsage.completion_tokens), 0),
            ).where(m.LlmUsage.created_at >= since)
        )
    ).one()
    return Usage(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def pending_summaries(session: AsyncSession, day: dt.date) -> int:
    """The day's papers still without sections (summary pending)."""
    count = await session.scalar(
        select(func.count())
        .select_from(m.Appearance)
        .join(m.Paper, m.Paper.id == m.Appearance.paper_id)
        .where(and_(m.Appearance.day == day, ~_HAS_SECTIONS))
    )
    return int(count or 0)
