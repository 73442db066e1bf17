"""Ingest: source → parse → store (archive and search index), one day per transaction.

These are the operations the CLI, the scheduler and the /ingest command share."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.model import Digest
from digestbot.digest.parser import parse_digest
from digestbot.digest.sources import DigestSource, FolderSource
from digestbot.errors import DigestFormatError, SourceError
from digestbot.search.index import index_day
from digestbot.store.archive import newest_day, record_ingest_run, store_digest
from digestbot.store.models import IngestStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestResult:
    day: dt.date | None  # None: a file that could not be read or parsed names no day
    status: IngestStatus
    papers: int = 0
    message: str = ""


async def write_day(session: AsyncSession, digest: Digest, content_sha256: str) -> int:
    """Store ``digest`` and index its papers in the caller's transaction; the number of
    papers stored."""
    stored = await store_digest(session, digest, content_sha256)
    await index_day(session, digest, stored)
    return stored.papers


async def store_text(
    sessions: async_sessionmaker[AsyncSession],
    content: bytes | str,
    location: str,
    expected_day: dt.date | None = None,
) -> IngestResult:
    """Parse ``content`` and store it in one transaction; nothing is written on error."""
    raw = content.encode() if isinstance(content, str) else content
    try:
        digest = parse_digest(raw, source=location)
    except DigestFormatError as exc:
        return await _record(
            sessions, IngestResult(expected_day, IngestStatus.FAILED, message=str(exc))
        )
    if expected_day is not None and digest.date != expected_day:
        message = f"{location}: holds the digest of {digest.date}, not {expected_day}"
        return await _record(
            sessions, IngestResult(expected_day, IngestStatus.FAILED, message=message)
        )
    return await store_parsed(sessions, digest, hashlib.sha256(raw).hexdigest())


async def store_parsed(
    sessions: async_sessionmaker[AsyncSession], digest: Digest, content_sha256: str
) -> IngestResult:
    async with sessions.begin() as session:
        count = await write_day(session, digest, content_sha256)
        result = IngestResult(digest.date, IngestStatus.STORED, count, digest.source)
        await record_ingest_run(session, digest.date, result.status, count, result.message)
    log.info("ingest %s: stored %d papers from %s", digest.date, count, digest.source)
    return result


async def ingest_day(
    sessions: async_sessionmaker[AsyncSession], source: DigestSource, day: dt.date
) -> IngestResult:
    """Fetch ``day`` from ``source`` and store it. Never raises for a bad or missing day."""
    try:
        fetched = await source.fetch(day)
    except SourceError as exc:
        return await _record(sessions, IngestResult(day, IngestStatus.FAILED, message=str(exc)))
    if fetched is None:
        where = source.location(day)
        missing = IngestResult(day, IngestStatus.MISSING, message=f"no digest: {where}")
        return await _record(sessions, missing)
    return await store_text(sessions, fetched.content, fetched.location, expected_day=day)


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
        result = await ingest_day(sessions, source, day)
        stored += result.status is IngestStatus.STORED
    return stored


async def _record(sessions: async_sessionmaker[AsyncSession], result: IngestResult) -> IngestResult:
    what = result.day.isoformat() if result.day is not None else "file"
    if result.status is IngestStatus.FAILED:
        log.warning("ingest %s failed: %s", what, result.message)
    else:
        log.info("ingest %s: %s", what, result.message)
    if result.day is not None:
        async with sessions.begin() as session:
            await record_ingest_run(session, result.day, result.status, 0, result.message)
    return result
