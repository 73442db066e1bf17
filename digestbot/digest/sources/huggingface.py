"""Hugging Face's Daily Papers API: one day's list (votes, abstracts, GitHub repositories)
and single papers, over httpx. No token is needed.

``fetch_day(day)`` returns a :class:`DayListing`; no papers is an empty listing, normal on
weekends. ``fetch_paper(id)`` returns the paper or ``None`` (HTTP 404). Timeouts,
connection errors, 429 and 5xx are retried with exponential backoff (a ``Retry-After``
header, capped, replaces the backoff) and then reported as ``SourceUnavailable`` naming
the URL; any other status and a body that is not JSON are a ``SourceError`` at once.
Why httpx rather than ``huggingface_hub``: :mod:`digestbot.digest.listing`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import logging
from dataclasses import dataclass

import httpx

from digestbot.clock import as_utc, backoff_delay, utcnow
from digestbot.digest.listing import (
    ListedPaper,
    normalize_arxiv_id,
    parse_daily_papers,
    parse_paper,
    rank_papers,
)
from digestbot.errors import SourceError, SourceUnavailable

__all__ = ["DEFAULT_BASE_URL", "DayListing", "HuggingFaceSource", "parse_retry_after"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://huggingface.co"
PAGE_SIZE = 100  # the API's largest page (its default is 50)
MAX_PAGES = 10  # a day has tens of papers; past this the API is misbehaving
_HEADERS = {"Accept": "application/json"}


@dataclass(frozen=True, slots=True)
class DayListing:
    """One day of the Daily Papers page, ranked (see :func:`parse_daily_papers`)."""

    day: dt.date
    papers: tuple[ListedPaper, ...]
    warnings: tuple[str, ...]  # items skipped, fields dropped: the day is still good
    fetched_at: dt.datetime  # aware UTC
    location: str  # the URL of the first page


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date, as
    of the aware ``now``); ``None`` when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = (as_utc(when) - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class HuggingFaceSource:
    """The API under ``base_url`` (``https://huggingface.co``, or a test server)."""

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient,
        *,
        retries: int = 3,
        backoff: float = 1.0,
        retry_after_cap: float = 60.0,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.retries = retries
        self.backoff = backoff
        self.retry_after_cap = retry_after_cap
        self.page_size = page_size
        self.max_pages = max_pages

    def location(self, day: dt.date) -> str:
        """The URL of ``day``'s list (its first page)."""
        return f"{self.base_url}/api/daily_papers?date={day.isoformat()}&limit={self.page_size}"

    def paper_location(self, arxiv_id: str) -> str:
        return f"{self.base_url}/api/papers/{arxiv_id}"

    async def fetch_day(self, day: dt.date) -> DayListing:
        """``day``'s papers, every page of them; an empty listing when there are none."""
        first = self.location(day)
        papers: list[ListedPaper] = []
        warnings: list[str] = []
        seen: set[str] = set()
        for page in range(self.max_pages):
            url = first if page == 0 else f"{first}&p={page}"
            payload = await self._get_json(url, missing_ok=False)
            found, notes = parse_daily_papers(payload, url)
            new = [p for p in found if p.arxiv_id not in seen]
            if page and not new:
                break  # a page of papers already seen: the API ignores ``p``, or it shifted
            warnings.extend(notes)
            papers.extend(new)
            seen.update(p.arxiv_id for p in new)
            if not isinstance(payload, list) or len(payload) < self.page_size:
                break
        else:
            warnings.append(f"{first}: stopped after {self.max_pages} full pages")
        return DayListing(day, tuple(rank_papers(papers)), tuple(warnings), utcnow(), first)

    async def fetch_paper(self, arxiv_id: str) -> ListedPaper | None:
        """One paper (``position``/``rank`` 0), ``None`` when Hugging Face does not know
        it. ``ValueError`` when ``arxiv_id`` is not an arXiv id (nothing is requested)."""
        wanted = normalize_arxiv_id(arxiv_id)
        if wanted is None:
            raise ValueError(f"not an arXiv id: {arxiv_id!r}")
        url = self.paper_location(wanted)
        payload = await self._get_json(url, missing_ok=True)
        if payload is None:
            return None
        paper, warnings = parse_paper(payload, url)
        for warning in warnings:
            log.warning("%s", warning)
        if paper is None:
            raise SourceError(f"{url}: no usable paper in the answer")
        if paper.arxiv_id != wanted:
            log.warning("%s: answered with paper %s", url, paper.arxiv_id)
        return paper

    async def _get_json(self, url: str, *, missing_ok: bool) -> object | None:
        """The decoded JSON at ``url``; ``None`` for a 404 when ``missing_ok``."""
        problem = ""
        wait = 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                log.info("retrying %s in %.2fs (%s)", url, wait, problem)
                await asyncio.sleep(wait)
            hint: float | None = None
            try:
                response = await self.client.get(url, headers=_HEADERS, follow_redirects=True)
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    return _decode(response, url)
                if status == 404 and missing_ok:
                    return None
                if status != 429 and status < 500:
                    raise SourceError(f"{url}: HTTP {status}")
                problem = f"HTTP {status}"
                hint = parse_retry_after(response.headers.get("Retry-After"), utcnow())
            if hint is not None:
                wait = min(hint, self.retry_after_cap)
            else:
                wait = backoff_delay(attempt + 1, base=self.backoff, cap=60.0)
        raise SourceUnavailable(f"{url}: {problem} after {self.retries + 1} attempts")


def _decode(response: httpx.Response, url: str) -> object:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        kind = response.headers.get("Content-Type", "no content type")
        raise SourceError(f"{url}: not JSON ({kind}): {type(exc).__name__}") from None
