"""A real local HTTP server speaking Hugging Face's Daily Papers API, with faults on demand
(for the Hugging Face source tests).

* ``GET /api/daily_papers?date=YYYY-MM-DD[&limit=N][&p=P]`` answers the items set with
  ``set_day`` (pages of ``limit`` items, 50 by default, at most 100, like the real API); a
  day never set is ``[]``; a malformed date is HTTP 400.
* ``GET /api/papers/{id}`` answers the ``paper`` object of an item of any day (or one set
  with ``set_paper``), else HTTP 404.
* ``fail(status, times, retry_after=...)``, ``slow(seconds, times)`` and ``garble(times)``
  queue faults for the next requests, in order (optionally only those whose path starts
  with ``path``); ``delay`` slows every answer down.
* ``requests`` records every request as (path, query); ``count(path)`` counts them.

``hf_item(...)`` builds an item shaped like the real API's JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.local_http import Answer, LocalHTTPServer

JSON = dict[str, Any]


def hf_item(
    arxiv_id: str,
    title: str,
    upvotes: int = 0,
    *,
    authors: Iterable[str] = ("Ada Lovelace", "Alan Turing"),
    summary: str | None = None,
    ai_summary: str | None = None,
    ai_keywords: Iterable[str] = (),
    github_repo: str | None = None,
    github_stars: int | None = None,
    project_page: str | None = None,
    num_comments: int = 0,
    published_at: str = "2025-05-07T00:00:00.000Z",
    submitted_at: str = "2025-05-08T01:23:45.678Z",
) -> JSON:
    """One ``/api/daily_papers`` item as Hugging Face shapes it; optional fields left
    ``None`` are absent, as they often are in the real answers."""
    abstract = summary if summary is not None else f"We study {title.lower()}."
    submitter = {
        "_id": "60f1abe7544c2adfd699860c",
        "avatarUrl": "/avatars/submitter.svg",
        "isPro": False,
        "fullname": "AK",
        "user": "akhaliq",
        "type": "user",
    }
    paper: JSON = {
        "id": arxiv_id,
        "authors": [
            {"_id": f"68{n:022x}", "name": name, "hidden": False} for n, name in enumerate(authors)
        ],
        "publishedAt": published_at,
        "submittedOnDailyAt": submitted_at,
        "title": title,
        "submittedOnDailyBy": submitter,
        "summary": abstract,
        "upvotes": upvotes,
        "discussionId": hashlib.sha1(arxiv_id.encode()).hexdigest()[:24],
        "ai_keywords": list(ai_keywords),
    }
    optional = {
        "ai_summary": ai_summary,
        "githubRepo": github_repo,
        "githubStars": github_stars,
        "projectPage": project_page,
    }
    paper.update({k: v for k, v in optional.items() if v is not None})
    return {
        "paper": paper,
        "publishedAt": published_at,
        "title": title,
        "summary": abstract,
        "thumbnail": (
            f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png"
        ),
        "numComments": num_comments,
        "submittedBy": submitter,
        "isAuthorParticipating": False,
    }


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the server got."""

    path: str
    query: dict[str, str]


@dataclass(slots=True)
class _Fault:
    status: int = 200
    body: bytes | None = None  # None: the normal answer (a slow fault)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    path: str = ""  # only requests whose path starts with this


class HFServer(LocalHTTPServer):
    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.requests: list[Seen] = []
        self._days: dict[str, list[JSON]] = {}
        self._papers: dict[str, JSON] = {}
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()

    # -- what the server serves ------------------------------------------------------

    def set_day(self, day: dt.date | str, items: Iterable[Mapping[str, Any]]) -> None:
        """Serve ``items`` (raw JSON values, hostile ones too) as ``day``'s list."""
        key = day.isoformat() if isinstance(day, dt.date) else day
        with self._lock:
            self._days[key] = [dict(item) for item in items]

    def set_paper(self, paper: Mapping[str, Any]) -> None:
        """Serve ``paper`` at ``/api/papers/{paper['id']}``."""
        with self._lock:
            self._papers[str(paper["id"])] = dict(paper)

    # -- faults --------------------------------------------------------------------

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: str | None = None,
        path: str = "",
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``Retry-After``)."""
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        body = json.dumps({"error": f"HTTP {status}"}).encode()
        self._queue(times, _Fault(status, body, headers, path=path))

    def slow(self, seconds: float, times: int = 1, *, path: str = "") -> None:
        """Answer the next ``times`` requests normally, ``seconds`` late."""
        self._queue(times, _Fault(delay=seconds, path=path))

    def garble(self, times: int = 1, *, path: str = "") -> None:
        """Answer the next ``times`` requests with 200 and an HTML page, not JSON."""
        headers = {"Content-Type": "text/html; charset=utf-8"}
        body = b"<!doctype html><title>We'll be right back</title>"
        self._queue(times, _Fault(200, body, headers, path=path))

    def count(self, path: str | None = None) -> int:
        """Requests got so far (to ``path`` only, when given)."""
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    def _queue(self, times: int, fault: _Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    # -- answering -----------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Message, body: bytes) -> Answer:
        status, content, answer_headers, delay = self._answer(path)
        return status, answer_headers, content, delay

    def _answer(self, target: str) -> tuple[int, bytes, dict[str, str], float]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests.append(Seen(parts.path, query))
            fault = next((f for f in self._faults if parts.path.startswith(f.path)), None)
            if fault is not None:
                self._faults.remove(fault)
            status, body = self._route(parts.path, query)
        delay = self.delay + (fault.delay if fault else 0.0)
        if fault is not None and fault.body is not None:
            return fault.status, fault.body, fault.headers, delay
        return status, body, {"Content-Type": "application/json; charset=utf-8"}, delay

    def _route(self, path: str, query: Mapping[str, str]) -> tuple[int, bytes]:
        if path == "/api/daily_papers":
            return self._daily(query)
        if path.startswith("/api/papers/"):
            paper = self._find_paper(path.removeprefix("/api/papers/"))
            if paper is None:
                return 404, _json({"error": "Paper not found"})
            return 200, _json(paper)
        return 404, _json({"error": "Not Found"})

    def _daily(self, query: Mapping[str, str]) -> tuple[int, bytes]:
        date = query.get("date", "")
        try:
            dt.date.fromisoformat(date)
            limit = min(100, max(1, int(query.get("limit", "50"))))
            page = max(0, int(query.get("p", "0")))
        except ValueError:
            return 400, _json({"error": "Invalid query"})
        items = self._days.get(date, [])
        return 200, _json(items[page * limit : (page + 1) * limit])

    def _find_paper(self, arxiv_id: str) -> JSON | None:
        if arxiv_id in self._papers:
            return self._papers[arxiv_id]
        for items in self._days.values():
            for item in items:
                paper = item.get("paper")
                if isinstance(paper, dict) and paper.get("id") == arxiv_id:
                    return paper
        return None


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()
