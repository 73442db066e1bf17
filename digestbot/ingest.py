"""Ingest: source → parse → store, one day per transaction.

These are the operations the CLI, the scheduler and the /ingest command share."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.model import Digest
from digestbot.digest.parser import parse_digest
from digestbot.digest.source import DigestSource
from digestbot.errors import DigestFormatError, SourceError
from digestbot.store.archive import record_ingest_run, store_digest

log = logging.getLogger(__name__)

Status = Literal["stored", "missing", "failed"]


@dataclass(frozen=True, slots=True)
class IngestResult:
    day: dt.date
    status: Status
    papers: int = 0
    message: str = ""


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
        day = expected_day or dt.date.min
        return await _record(sessions, IngestResult(day, "failed", message=str(exc)))
    if expected_day is not None and digest.date != expected_day:
        message = f"{location}: holds the digest of {digest.date}, not {expected_day}"
        return await _record(sessions, IngestResult(expected_day, "failed", message=message))
    return await store_parsed(sessions, digest, hashlib.sha256(raw).hexdigest())


async def store_parsed(
    sessions: async_sessionmaker[AsyncSession], digest: Digest, content_sha256: str
) -> IngestResult:
    async with sessions.begin() as session:
        count = await store_digest(session, digest, content_sha256)
        result = IngestResult(digest.date, "stored", count, digest.source)
        await record_ingest_run(session, result.day, result.status, count, result.message)
    log.info("ingest %s: stored %d papers from %s", digest.date, count, digest.source)
    return result


async def ingest_day(
    sessions: async_sessionmaker[AsyncSession], source: DigestSource, day: dt.date
) -> IngestResult:
    """Fetch ``day`` from ``source`` and store it. Never raises for a bad or missing day."""
    try:
        fetched = await source.fetch(day)
    except SourceError as exc:
        return await _record(sessions, IngestResult(day, "failed", message=str(exc)))
    if fetched is None:
        where = source.location(day)
        return await _record(sessions, IngestResult(day, "missing", message=f"no digest: {where}"))
    return await store_text(sessions, fetched.content, fetched.location, expected_day=day)


async def ingest_file(sessions: async_sessionmaker[AsyncSession], path: Path) -> IngestResult:
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return IngestResult(dt.date.min, "failed", message=f"{path}: {exc.strerror}")
    return await store_text(sessions, content, str(path))


async def _record(sessions: async_sessionmaker[AsyncSession], result: IngestResult) -> IngestResult:
    what = result.day.isoformat() if result.day != dt.date.min else "file"
    if result.status == "failed":
        log.warning("ingest %s failed: %s", what, result.message)
    else:
        log.info("ingest %s: %s", what, result.message)
    if result.day != dt.date.min:
        async with sessions.begin() as session:
            await record_ingest_run(session, result.day, result.status, 0, result.message)
    return result
