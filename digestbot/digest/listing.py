"""Hugging Face's Daily Papers list as plain data, and its tolerant JSON parser. Pure: no I/O.

The API
=======

``GET /api/daily_papers?date=YYYY-MM-DD`` answers a JSON list, one item per paper that was
put on that day's page (an empty list on days without papers, normal on weekends)::

    [{"paper": {"id": "2505.04921", "title": "…", "summary": "<abstract>",
                "authors": [{"_id": "…", "name": "Ada Lovelace", "hidden": false}, …],
                "publishedAt": "2025-05-07T00:00:00.000Z",
                "submittedOnDailyAt": "2025-05-08T01:02:03.000Z",
                "upvotes": 75, "discussionId": "…",
                "ai_summary": "<one English sentence>", "ai_keywords": ["…", …],
                "githubRepo": "https://github.com/…", "githubStars": 120,
                "projectPage": "https://…"},
      "publishedAt": "…", "title": "…", "summary": "…",
      "thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/….png",
      "numComments": 3, "submittedBy": {…}, "organization": {…}, …}, …]

Pages hold 50 items unless ``limit`` (at most 100) says otherwise; ``p`` picks the page.
``GET /api/papers/{id}`` answers one paper object, shaped like ``paper`` above. Fields
come and go (``githubRepo``, ``projectPage``, ``ai_summary`` are often missing or
``null``); unknown fields are ignored.

Parsing rules
=============

* An item that is not an object, has no ``paper`` object, no valid arXiv id (new-style
  ``2505.04921``, old-style ``hep-th/9901001``; a ``v2`` suffix is dropped) or no title is
  skipped, with a warning naming its 1-based index.
* A field of the wrong type or value (a string for ``upvotes``, a negative count, a
  ``javascript:`` URL, a date that is not ISO 8601) is dropped (``None`` or empty) with a
  warning; an author or keyword that is not a non-blank string is dropped the same way.
  Nothing in an item raises.
* Text: control characters (but tab and newline) are removed with a warning; the title,
  author names and keywords have their whitespace runs collapsed to one space; the
  abstract and AI summary are stripped, their line breaks kept.
* URLs (GitHub repository, project page, thumbnail) must be absolute ``http(s)`` URLs.
* A paper listed twice is one paper: the first occurrence wins, with the larger known
  upvote count, and a warning.
* ``position`` is the 1-based order in the list; ``rank`` orders by upvotes descending,
  ties by position, papers without upvotes last (the archive's rule,
  :class:`digestbot.digest.model.Paper`).
* A payload that is not a JSON list (for a single paper: not an object) is not a listing:
  :class:`~digestbot.errors.SourceError`. Not ``DigestFormatError``: that one names a
  digest file and a line, and a wrong-shaped answer is the source failing, which every
  caller of a source already handles as a ``SourceError``.

Why httpx and not ``huggingface_hub``
=====================================

``HfApi(endpoint=…).list_daily_papers(date=…)`` (huggingface_hub 1.x) was considered and
not used:

* It is synchronous (one shared blocking ``httpx.Client``); this bot is asyncio, so every
  call would need ``asyncio.to_thread`` and would not share the bot's ``AsyncClient``,
  its timeouts or its connection pool.
* It loses fields: ``PaperInfo(**item)`` reads ``ai_summary``, ``ai_keywords``,
  ``githubRepo``, ``githubStars`` and ``projectPage`` from the item's top level, but the
  daily list carries them inside ``paper``, so they come back ``None``; ``thumbnail``
  only survives as an untyped attribute. (``paper_info(id)`` does read them.)
* No retries: ``list_daily_papers`` is one ``get`` then ``hf_raise_for_status``; no
  backoff on 429/5xx, no ``Retry-After``; timeouts are the shared session's.
* It sends the locally saved Hugging Face token unless told ``token=False``; this API
  needs none.
* Weight: it pulls in filelock, fsspec, hf-xet, pyyaml, tqdm, typer and packaging, for
  two GET requests whose JSON this module parses in a hundred lines.

So :mod:`digestbot.digest.sources.huggingface` speaks the API with httpx, like the
archive source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from digestbot.clock import as_utc
from digestbot.digest.model import ranks_by_votes
from digestbot.errors import SourceError

__all__ = [
    "ARXIV_ID_RE",
    "ListedPaper",
    "normalize_arxiv_id",
    "parse_daily_papers",
    "parse_paper",
    "rank_papers",
]

# new-style 2505.04921 (4 or 5 digits after the dot), old-style hep-th/9901001 or
# math.AG/0101001; an optional version suffix, dropped
ARXIV_ID_RE = re.compile(
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/[0-9]{7})(?:v[0-9]+)?"
)
# C0/C1 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF (as the digest parser)
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES_RE = re.compile(r"\s+")
_MAX_COUNT = 10**9  # a vote, star or comment count past this is junk


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """One paper as Hugging Face lists it. ``None`` / empty: the API did not say."""

    arxiv_id: str
    title: str
    abstract: str | None = None  # paper.summary, English
    authors: tuple[str, ...] = ()
    upvotes: int | None = None
    ai_summary: str | None = None  # HF's one-line English summary
    ai_keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    num_comments: int | None = None
    published_at: dt.datetime | None = None  # on arXiv, aware UTC
    submitted_at: dt.datetime | None = None  # put on the Daily Papers page, aware UTC
    position: int = 0  # 1-based order in the day's list; 0 outside a list
    rank: int = 0  # 1-based: upvotes descending, then position; 0 outside a list

    @property
    def url(self) -> str:
        """The arXiv abstract page."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def hf_url(self) -> str:
        """The paper's page on Hugging Face."""
        return f"https://huggingface.co/papers/{self.arxiv_id}"


def normalize_arxiv_id(value: str) -> str | None:
    """``"2505.04921v2"`` → ``"2505.04921"``; ``None`` when ``value`` is no arXiv id."""
    match = ARXIV_ID_RE.fullmatch(value.strip())
    return match["id"] if match else None


def parse_daily_papers(payload: object, source: str) -> tuple[list[ListedPaper], list[str]]:
    """The papers of one ``/api/daily_papers`` answer (decoded JSON), ranked, and the
    warnings about what was skipped or dropped. ``source`` (a URL) prefixes every warning.

    Raises :class:`SourceError` only when ``payload`` is not a list."""
    if not isinstance(payload, list):
        raise SourceError(f"{source}: expected a JSON list of papers, got {_kind(payload)}")
    warnings: list[str] = []
    papers: list[ListedPaper] = []
    for index, item in enumerate(payload, start=1):
        where = f"{source}: item {index}"
        if not isinstance(item, dict):
            warnings.append(f"{where}: skipped, {_kind(item)} instead of an object")
            continue
        paper = item.get("paper")
        if not isinstance(paper, dict):
            warnings.append(f"{where}: skipped, no 'paper' object")
            continue
        listed = _read_paper(paper, item, where, warnings)
        if listed is not None:
            papers.append(listed)
    ranked, merged = _merge(papers, source)
    return ranked, warnings + merged


def parse_paper(payload: object, source: str) -> tuple[ListedPaper | None, list[str]]:
    """The paper of one ``/api/papers/{id}`` answer and the warnings; ``None`` when it has
    no valid id or no title. Raises :class:`SourceError` when ``payload`` is not an object."""
    if not isinstance(payload, dict):
        raise SourceError(f"{source}: expected a JSON object (a paper), got {_kind(payload)}")
    warnings: list[str] = []
    return _read_paper(payload, {}, source, warnings), warnings


def rank_papers(papers: Iterable[ListedPaper]) -> list[ListedPaper]:
    """``papers`` in order, one per arXiv id (the first, with the larger known upvotes),
    ``position`` and ``rank`` set. For lists put together from several pages."""
    ranked, _ = _merge(papers, "")
    return ranked


def _merge(papers: Iterable[ListedPaper], source: str) -> tuple[list[ListedPaper], list[str]]:
    warnings: list[str] = []
    unique: dict[str, ListedPaper] = {}
    for paper in papers:
        first = unique.get(paper.arxiv_id)
        if first is None:
            unique[paper.arxiv_id] = paper
            continue
        warnings.append(f"{source}: {paper.arxiv_id} listed more than once; kept the first")
        if paper.upvotes is not None and (first.upvotes is None or paper.upvotes > first.upvotes):
            unique[paper.arxiv_id] = dataclasses.replace(first, upvotes=paper.upvotes)
    in_order = list(unique.values())
    ranks = ranks_by_votes([p.upvotes for p in in_order])
    return [
        dataclasses.replace(p, position=i + 1, rank=ranks[i]) for i, p in enumerate(in_order)
    ], warnings


def _read_paper(
    paper: Mapping[str, Any], item: Mapping[str, Any], where: str, warnings: list[str]
) -> ListedPaper | None:
    """One paper from its ``paper`` object (and, for a daily item, the item around it)."""
    raw_id = paper.get("id")
    arxiv_id = normalize_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if arxiv_id is None:
        warnings.append(f"{where}: skipped, no valid arXiv id ({_short(raw_id)})")
        return None
    where = f"{where} ({arxiv_id})"
    field = _Fields(where, warnings)
    title = field.line(paper, "title") or field.line(item, "title")
    if not title:
        warnings.append(f"{where}: skipped, no title")
        return None
    return ListedPaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=field.text(paper, "summary") or field.text(item, "summary"),
        authors=field.authors(paper),
        upvotes=field.count(paper, "upvotes"),
        ai_summary=field.text(paper, "ai_summary") or field.text(item, "ai_summary"),
        ai_keywords=field.words(paper, "ai_keywords"),
        github_repo=field.link(paper, "githubRepo"),
        github_stars=field.count(paper, "githubStars"),
        project_page=field.link(paper, "projectPage"),
        thumbnail=field.link(item, "thumbnail"),
        num_comments=field.count(item, "numComments"),
        published_at=field.when(paper, "publishedAt") or field.when(item, "publishedAt"),
        submitted_at=field.when(paper, "submittedOnDailyAt"),
    )


class _Fields:
    """Reads typed fields out of JSON objects; a bad value becomes ``None`` and a warning."""

    def __init__(self, where: str, warnings: list[str]) -> None:
        self.where = where
        self.warnings = warnings

    def _drop(self, key: str, value: object, why: str) -> None:
        self.warnings.append(f"{self.where}: dropped {key} {_short(value)}: {why}")

    def _clean(self, key: str, value: str) -> str:
        if _CONTROL_RE.search(value):
            self.warnings.append(f"{self.where}: removed control characters from {key}")
            value = _CONTROL_RE.sub("", value)
        return value.replace("\r\n", "\n").replace("\r", "\n")

    def _string(self, obj: Mapping[str, Any], key: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self._drop(key, value, "not a string")
            return None
        return self._clean(key, value)

    def text(self, obj: Mapping[str, Any], key: str) -> str | None:
        """Prose: stripped, line breaks kept; blank → ``None``."""
        value = self._string(obj, key)
        if value is None:
            return None
        return value.strip() or None

    def line(self, obj: Mapping[str, Any], key: str) -> str | None:
        """One line: whitespace runs collapsed; blank → ``None``."""
        value = self._string(obj, key)
        if value is None:
            return None
        return _one_line(value) or None

    def count(self, obj: Mapping[str, Any], key: str) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._drop(key, value, "not an integer")
            return None
        if not 0 <= value <= _MAX_COUNT:
            self._drop(key, value, "out of range")
            return None
        return value

    def link(self, obj: Mapping[str, Any], key: str) -> str | None:
        value = self.line(obj, key)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            scheme, host = parts.scheme, parts.hostname
        except ValueError:  # a malformed port or IPv6 address
            scheme, host = "", None
        if scheme not in ("http", "https") or not host or " " in value:
            self._drop(key, value, "not an http(s) URL")
            return None
        return value

    def when(self, obj: Mapping[str, Any], key: str) -> dt.datetime | None:
        value = self.line(obj, key)
        if value is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self._drop(key, value, "not an ISO 8601 date")
            return None
        return as_utc(moment).astimezone(dt.UTC)

    def _strings(self, key: str, values: object, *, unique: bool) -> tuple[str, ...]:
        if values is None:
            return ()
        if not isinstance(values, list):
            self._drop(key, values, "not a list")
            return ()
        kept: list[str] = []
        for value in values:
            if isinstance(value, str):
                word = _one_line(self._clean(key, value))
                if word:
                    if not (unique and word in kept):
                        kept.append(word)
                    continue
            self._drop(f"an entry of {key}", value, "not a non-blank string")
        return tuple(kept)

    def words(self, obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
        """A list of strings; duplicates and blanks dropped."""
        return self._strings(key, obj.get(key), unique=True)

    def authors(self, obj: Mapping[str, Any]) -> tuple[str, ...]:
        """``[{"name": …}, …]`` (a plain string is taken as a name too); two authors may
        share a name, so duplicates are kept."""
        value = obj.get("authors")
        if isinstance(value, list):
            value = [a.get("name") if isinstance(a, dict) else a for a in value]
        return self._strings("authors", value, unique=False)


def _one_line(value: str) -> str:
    return _SPACES_RE.sub(" ", value).strip()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        return "<a huge number>"
    return text if len(text) <= 60 else text[:57] + "..."
