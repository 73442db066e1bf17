"""Ingest: sources → parse → merge → store (archive and search index), one day per
transaction, then the Korean summaries the day still lacks.

``ingest_day`` reads every configured source (``Sources``): the archive file gives the
Korean sections it has, Hugging Face's list the day's papers, their metadata and the
freshest votes (``digestbot.digest.merge``). A source that fails does not stop the
other: the day is stored from what answered, and the failure is in the result's message
and the source's health. ``ingest_file`` and ``--dir`` are archive-only. These are the
operations the CLI, the scheduler and the /ingest command share; they never raise for a
bad or missing day."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.clock import utcnow
from digestbot.digest.listing import ListedPaper
from digestbot.digest.merge import ARCHIVE, HUGGING_FACE, merge_day
from digestbot.digest.model import Digest, ranks_by_votes
from digestbot.digest.parser import parse_digest
from digestbot.digest.sources import DigestSource, FolderSource
from digestbot.digest.sources.huggingface import HuggingFaceSource
from digestbot.errors import DigestFormatError, SourceError
from digestbot.search.index import index_day, index_papers
from digestbot.services.summaries import SummaryReport, summarise_day
from digestbot.store import sources as health
from digestbot.store.archive import (
    day_appearances,
    newest_day,
    record_ingest_run,
    rewrite_votes,
    store_digest,
    votes_read_at,
)
from digestbot.store.models import IngestStatus

if TYPE_CHECKING:  # the model client is loaded only when a model is configured
    from digestbot.digest.sources.summarizer import Summarizer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sources:
    """What ``ingest_day`` reads: the archive (None: not configured), Hugging Face's
    list (None: off) and the model that writes missing summaries (None: none)."""

    archive: DigestSource | None
    hf: HuggingFaceSource | None = None
    summarizer: Summarizer | None = None
    max_summaries: int = 60


@dataclass(frozen=True, slots=True)
class IngestResult:
    day: dt.date | None  # None: a file that could not be read or parsed names no day
    status: IngestStatus
    papers: int = 0
    message: str = ""
    warnings: tuple[str, ...] = ()  # what was repaired or skipped ("file:line: what")
    sources: tuple[str, ...] = ()  # which sources the stored day came from
    summaries: SummaryReport | None = None  # None: no model configured
    problems: tuple[str, ...] = ()  # sources that failed (the day may still be stored)


async def write_day(
    session: AsyncSession,
    digest: Digest,
    content_sha256: str,
    listed: dict[str, ListedPaper] | None = None,
    *,
    votes_at: dt.datetime | None = None,
    from_archive: Collection[str] | None = None,
) -> int:
    """Store ``digest`` and index its papers in the caller's transaction; the number of
    papers stored (``from_archive``: see ``store_digest``)."""
    stored = await store_digest(
        session, digest, content_sha256, listed, votes_at=votes_at, from_archive=from_archive
    )
    await index_day(session, digest, stored)
    return stored.papers


def _warnings(digest: Digest) -> tuple[str, ...]:
    return tuple(w.format(digest.source) for w in digest.warnings)


def _parse_archive(content: bytes, location: str, expected_day: dt.date | None) -> Digest | str:
    """The archive file's digest, or why it cannot be that day's (one line)."""
    try:
        digest = parse_digest(content, source=location)
    except DigestFormatError as exc:
        return str(exc)
    if expected_day is not None and digest.date != expected_day:
        return f"{location}: holds the digest of {digest.date}, not {expected_day}"
    return digest


async def store_text(
    sessions: async_sessionmaker[AsyncSession],
    content: bytes | str,
    location: str,
    expected_day: dt.date | None = None,
) -> IngestResult:
    """Parse ``content`` and store it in one transaction; nothing is written on error."""
    raw = content.encode() if isinstance(content, str) else content
    parsed = _parse_archive(raw, location, expected_day)
    if isinstance(parsed, str):
        return await _record(
            sessions, IngestResult(expected_day, IngestStatus.FAILED, message=parsed)
        )
    return await store_parsed(sessions, parsed, hashlib.sha256(raw).hexdigest())


async def store_parsed(
    sessions: async_sessionmaker[AsyncSession], digest: Digest, content_sha256: str
) -> IngestResult:
    return await _store(sessions, digest, content_sha256, None, (ARCHIVE,), ())


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    digest: Digest,
    content_sha256: str,
    listed: dict[str, ListedPaper] | None,
    sources: tuple[str, ...],
    extra_warnings: tuple[str, ...],
    *,
    votes_at: dt.datetime | None = None,
    problems: tuple[str, ...] = (),
    from_archive: Collection[str] | None = None,
    events: Sequence[_Health] = (),
) -> IngestResult:
    warnings = _warnings(digest) + extra_warnings
    message = "; ".join([digest.source, *problems]) if problems else digest.source
    async with sessions.begin() as session:
        count = await write_day(
            session, digest, content_sha256, listed, votes_at=votes_at, from_archive=from_archive
        )
        result = IngestResult(
            digest.date,
            IngestStatus.STORED,
            count,
            message,
            warnings=warnings,
            sources=sources,
            problems=problems,
        )
        await record_ingest_run(
            session, digest.date, result.status, count, result.message, warnings
        )
        await _write_health(session, events)
    log.info(
        "ingest %s: stored %d papers from %s (%d warnings)",
        digest.date,
        count,
        " + ".join(sources) or digest.source,
        len(warnings),
    )
    return result


async def ingest_day(
    sessions: async_sessionmaker[AsyncSession], sources: Sources, day: dt.date
) -> IngestResult:
    """Fetch ``day`` from every configured source, store what they have as one day, then
    write the summaries it lacks. Never raises for a bad or missing day."""
    problems: list[str] = []
    events: list[_Health] = []
    archive: Digest | None = None
    raw = b""
    where = ""
    if sources.archive is not None:
        remote = sources.archive.remote
        where = sources.archive.location(day)
        try:
            fetched = await sources.archive.fetch(day)
        except SourceError as exc:
            problems.append(str(exc))
            if remote:
                events.append(_Health(ARCHIVE, utcnow(), error=str(exc)))
        else:
            if fetched is not None:
                raw = fetched.content
                parsed = _parse_archive(fetched.content, fetched.location, day)
                if isinstance(parsed, str):
                    problems.append(parsed)
                else:
                    archive = parsed
            if remote:
                events.append(_Health(ARCHIVE, utcnow(), archive.date if archive else None))
    listing: tuple[ListedPaper, ...] | None = None
    listing_warnings: tuple[str, ...] = ()
    votes_at: dt.datetime | None = None
    if sources.hf is not None:
        try:
            listed = await sources.hf.fetch_day(day)
        except SourceError as exc:
            problems.append(str(exc))
            events.append(_Health(HUGGING_FACE, utcnow(), error=str(exc)))
        else:
            listing, listing_warnings, votes_at = listed.papers, listed.warnings, listed.fetched_at
            where = where or listed.location
            events.append(_Health(HUGGING_FACE, utcnow(), day if listed.papers else None))
    if archive is None and not listing:
        status = IngestStatus.FAILED if problems else IngestStatus.MISSING
        message = "; ".join(problems) if problems else f"no digest: {where}"
        return await _record(sessions, IngestResult(day, status, message=message), events)
    merged = merge_day(day, archive, listing)
    digest_hash = hashlib.sha256(raw)
    for item in listing or ():
        digest_hash.update(f"\n{item.arxiv_id} {item.upvotes}".encode())
    result = await _store(
        sessions,
        merged.digest,
        digest_hash.hexdigest(),
        merged.listed,
        merged.sources,
        listing_warnings,
        votes_at=votes_at,
        problems=tuple(problems),
        from_archive={p.arxiv_id for p in archive.papers} if archive is not None else (),
        events=events,
    )
    if sources.summarizer is not None:
        report = await summarise_day(
            sessions, sources.summarizer, day, max_papers=sources.max_summaries
        )
        result = dataclasses.replace(result, summaries=report)
    return result


def summary_counts(result: IngestResult) -> tuple[int, int, int, int] | None:
    """(written, failed, pending, tokens) of the result's summaries; None: no model."""
    report = result.summaries
    if report is None:
        return None
    tokens = report.prompt_tokens + report.completion_tokens
    return report.written, report.failed, report.pending, tokens


async def refresh_votes(
    sessions: async_sessionmaker[AsyncSession],
    hf: HuggingFaceSource,
    day: dt.date,
    *,
    max_age: dt.timedelta,
    now: dt.datetime | None = None,
) -> bool:
    """Read ``day``'s votes from Hugging Face again when they are older than ``max_age``,
    and re-rank the stored day by them (papers, positions and texts stay). True when the
    votes were refreshed; a failure is logged and the stored votes stay."""
    now = now or utcnow()
    async with sessions() as session:
        read_at = await votes_read_at(session, day)
        stored = await day_appearances(session, day)
    if not stored or (read_at is not None and now - read_at < max_age):
        return False
    try:
        listed = await hf.fetch_day(day)
    except SourceError as exc:
        log.warning("votes of %s not refreshed: %s", day, exc)
        async with sessions.begin() as session:
            await health.record_failure(session, HUGGING_FACE, str(exc), now=utcnow())
        return False
    fresh = {item.arxiv_id: item.upvotes for item in listed.papers}
    # a paper Hugging Face no longer lists, or lists without a count, keeps its votes
    votes = [old if (new := fresh.get(arxiv_id)) is None else new for _, arxiv_id, _, old in stored]
    ranks = ranks_by_votes(votes)
    rows = [(pid, position, ranks[i], votes[i]) for i, (pid, _, position, _) in enumerate(stored)]
    async with sessions.begin() as session:
        await rewrite_votes(session, day, rows, votes_at=listed.fetched_at)
        await index_papers(session, [pid for pid, *_ in rows])  # the rank key holds votes
        await health.record_success(session, HUGGING_FACE, now=listed.fetched_at, day=None)
    log.info("votes of %s refreshed from Hugging Face (%d papers)", day, len(rows))
    return True


async def ingest_file(sessions: async_sessionmaker[AsyncSession], path: Path) -> IngestResult:
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return IngestResult(None, IngestStatus.FAILED, message=f"{path}: {exc.strerror}")
    return await store_text(sessions, content, str(path))


async def ensure_samples(sessions: async_sessionmaker[AsyncSession], folder: Path) -> int:
    """Store the digests in ``folder`` when the archive is empty; the days stored."""
    async with sessions() as session:
        if await newest_day(session) is not None:
            return 0
    if not await asyncio.to_thread(folder.is_dir):
        return 0
    source = FolderSource(folder)
    stored = 0
    for day in source.days():
        result = await ingest_day(sessions, Sources(source), day)
        stored += result.status is IngestStatus.STORED
    return stored


@dataclass(frozen=True, slots=True)
class _Health:
    """A source answered (``error`` None; ``day``: a day it had content for) or failed;
    written with the ingest's own transaction (no commit of its own: ingest speed)."""

    name: str
    at: dt.datetime
    day: dt.date | None = None
    error: str | None = None


async def _write_health(session: AsyncSession, events: Sequence[_Health]) -> None:
    for event in events:
        if event.error is None:
            await health.record_success(session, event.name, now=event.at, day=event.day)
        else:
            await health.record_failure(session, event.name, event.error, now=event.at)


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    result: IngestResult,
    events: Sequence[_Health] = (),
) -> IngestResult:
    what = result.day.isoformat() if result.day is not None else "file"
    if result.status is IngestStatus.FAILED:
        log.warning("ingest %s failed: %s", what, result.message)
    else:
        log.info("ingest %s: %s", what, result.message)
    if result.day is not None:
        async with sessions.begin() as session:
            await record_ingest_run(session, result.day, result.status, 0, result.message)
            await _write_health(session, events)
    return result
