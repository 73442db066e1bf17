"""Korean summaries written by the bot for a day's papers that have none.

Each paper is summarised once: a paper is claimed in the database before the model is
asked (``store.summaries.claim_summary``), only while it has no sections, so a re-ingest,
a restart or a second instance never asks again for a paper that has its sections. A
failed attempt (the model's answer invalid twice, or the endpoint down after the
client's retries) leaves the paper "summary pending" — its English abstract is shown,
labelled — and it is tried again by a later ingest, ``MAX_ATTEMPTS`` times in all. At
most ``max_papers`` papers a day are sent to the model; every request's tokens are
recorded (``/stats``). The generated sections join the search index in the same
transaction that stores them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.clock import utcnow
from digestbot.digest.summaries import Summarized, SummaryOutcome
from digestbot.search.index import index_papers
from digestbot.store import summaries as repo

if TYPE_CHECKING:  # the model client is loaded only when a model is configured
    from digestbot.digest.sources.summarizer import Summarizer

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# a claim outlives the slowest summary (the client's timeout × its retries)
CLAIM_SECONDS = 15 * 60.0


@dataclass(frozen=True, slots=True)
class SummaryReport:
    written: int = 0
    failed: int = 0
    pending: int = 0  # the day's papers still without sections afterwards
    over_cap: int = 0  # left for another day: the daily cap was reached
    prompt_tokens: int = 0
    completion_tokens: int = 0


async def summarise_day(
    sessions: async_sessionmaker[AsyncSession],
    summarizer: Summarizer,
    day: dt.date,
    *,
    max_papers: int,
) -> SummaryReport:
    """Write the Korean sections of ``day``'s papers that lack them; returns when every
    one was written or given up for now."""
    async with sessions() as session:
        tasks = await repo.papers_to_summarise(session, day, max_attempts=MAX_ATTEMPTS)
        done = await repo.papers_summarised_for(session, day)
    budget = max(0, max_papers - done)
    chosen, over_cap = tasks[:budget], max(0, len(tasks) - budget)
    found = await asyncio.gather(*(_summarise(sessions, summarizer, day, task) for task in chosen))
    outcomes = [o for o in found if o is not None]
    async with sessions() as session:
        pending = await repo.pending_summaries(session, day)
    written = sum(isinstance(o, Summarized) for o in outcomes)
    report = SummaryReport(
        written=written,
        failed=len(outcomes) - written,
        pending=pending,
        over_cap=over_cap,
        prompt_tokens=sum(o.prompt_tokens for o in outcomes),
        completion_tokens=sum(o.completion_tokens for o in outcomes),
    )
    if chosen or over_cap:
        log.info(
            "summaries %s: %d written, %d failed, %d pending, %d over the daily cap; "
            "%d + %d tokens",
            day,
            report.written,
            report.failed,
            report.pending,
            report.over_cap,
            report.prompt_tokens,
            report.completion_tokens,
        )
    return report


async def _summarise(
    sessions: async_sessionmaker[AsyncSession],
    summarizer: Summarizer,
    day: dt.date,
    task: repo.SummaryTask,
) -> SummaryOutcome | None:
    """One paper: claim, ask, store. None: someone else has it (or it got sections)."""
    async with sessions.begin() as session:
        claimed = await repo.claim_summary(
            session,
            task.paper_id,
            now=utcnow(),
            lease=CLAIM_SECONDS,
            max_attempts=MAX_ATTEMPTS,
        )
    if not claimed:
        return None
    try:
        outcome = await summarizer.summarize(task.title, task.abstract)
    except BaseException:
        async with sessions.begin() as session:
            await repo.release_summary(session, task.paper_id, "interrupted")
        raise
    async with sessions.begin() as session:
        await repo.record_usage(
            session,
            paper_id=task.paper_id,
            day=day,
            model=outcome.model,
            ok=isinstance(outcome, Summarized),
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            now=utcnow(),
        )
        if isinstance(outcome, Summarized):
            stored = await repo.store_summary(
                session, task.paper_id, outcome.sections, repo.model_origin(outcome.model)
            )
            if stored:
                await index_papers(session, [task.paper_id])
        else:
            await repo.release_summary(session, task.paper_id, outcome.reason)
    return outcome
