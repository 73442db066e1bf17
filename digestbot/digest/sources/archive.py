"""Where digests come from: a URL template over HTTP, a local folder, or one file.

``fetch(day)`` returns the raw bytes of that day's digest, or ``None`` when the source
has no digest that day (HTTP 404, no file): days without a digest are normal.
Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and then
reported as ``SourceUnavailable``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from digestbot.clock import backoff_delay
from digestbot.errors import ConfigError, SourceError, SourceUnavailable

log = logging.getLogger(__name__)

TEMPLATE_FIELDS = ("{date}", "{YYYY}", "{MM}", "{DD}")


@dataclass(frozen=True, slots=True)
class Fetched:
    day: dt.date
    content: bytes
    location: str  # URL or path, for messages and the stored record


class DigestSource(Protocol):
    # a remote source's health (last success, newest day) is worth keeping; a local
    # folder or file (a backfill) is not
    remote: bool

    def location(self, day: dt.date) -> str: ...

    async def fetch(self, day: dt.date) -> Fetched | None: ...


def fill_template(template: str, day: dt.date) -> str:
    return (
        template.replace("{date}", day.isoformat())
        .replace("{YYYY}", f"{day.year:04d}")
        .replace("{MM}", f"{day.month:02d}")
        .replace("{DD}", f"{day.day:02d}")
    )


class HttpSource:
    """A URL template such as ``https://host/paper_logs/{YYYY}/{MM}/{DD}.md``."""

    remote = True

    def __init__(
        self,
        template: str,
        client: httpx.AsyncClient,
        *,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.template = template
        self.client = client
        self.retries = retries
        self.backoff = backoff

    def location(self, day: dt.date) -> str:
        return fill_template(self.template, day)

    async def fetch(self, day: dt.date) -> Fetched | None:
        url = self.location(day)
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = backoff_delay(attempt, base=self.backoff, cap=60.0)
                log.info("retrying %s in %.1fs (%s)", url, delay, problem)
                await asyncio.sleep(delay)
            try:
                response = await self.client.get(url, follow_redirects=True)
            except httpx.TimeoutException:
                problem = "timed out"
                continue
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
                continue
            if response.status_code == 404:
                return None
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise SourceError(f"{url}: HTTP {response.status_code}")
            return Fetched(day, response.content, url)
        raise SourceUnavailable(f"{url}: {problem} after {self.retries + 1} attempts")


class FolderSource:
    """A local folder in the upstream layout: ``YYYY/MM/DD.md`` or ``paper_logs/YYYY/MM/DD.md``."""

    remote = False

    def __init__(self, root: Path) -> None:
        self.root = root
        nested = root / "paper_logs"
        self.base = nested if nested.is_dir() else root

    def location(self, day: dt.date) -> str:
        return str(self.base / f"{day.year:04d}" / f"{day.month:02d}" / f"{day.day:02d}.md")

    async def fetch(self, day: dt.date) -> Fetched | None:
        path = Path(self.location(day))
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SourceUnavailable(f"{path}: {exc.strerror}") from exc
        return Fetched(day, content, str(path))

    def days(self) -> list[dt.date]:
        """Every day the folder holds a file for, oldest first."""
        found: list[dt.date] = []
        for path in self.base.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9].md"):
            try:
                found.append(
                    dt.date(int(path.parent.parent.name), int(path.parent.name), int(path.stem))
                )
            except ValueError:
                continue
        return sorted(found)


class FileSource:
    """One digest file, served for whichever day it is fetched for (the ingest checks the
    date inside it)."""

    remote = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def location(self, day: dt.date) -> str:
        return str(self.path)

    async def fetch(self, day: dt.date) -> Fetched | None:
        try:
            content = await asyncio.to_thread(self.path.read_bytes)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SourceUnavailable(f"{self.path}: {exc.strerror}") from exc
        return Fetched(day, content, str(self.path))


def make_source(
    source: str, client: httpx.AsyncClient, *, retries: int = 3, backoff: float = 1.0
) -> DigestSource:
    """Build the source ``DIGESTBOT_SOURCE`` names."""
    if "://" in source:
        if not source.startswith(("http://", "https://")):
            raise ConfigError("DIGESTBOT_SOURCE", "only http:// and https:// URLs are supported")
        if not any(field in source for field in TEMPLATE_FIELDS):
            raise ConfigError(
                "DIGESTBOT_SOURCE", "a URL template needs {date} or {YYYY}/{MM}/{DD} fields"
            )
        return HttpSource(source, client, retries=retries, backoff=backoff)
    path = Path(source).expanduser()
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        return FileSource(path)
    raise ConfigError("DIGESTBOT_SOURCE", f"no such folder or file: {source}")
