"""Plain data parsed out of a digest file. No I/O, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The name given to the unlabelled bullet summaries of the earliest era (2023-11 .. 2024-06-11),
# so the UI can show them under a heading like every other section.
SUMMARY_SECTION = "Summary"


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Paper:
    arxiv_id: str
    title: str
    url: str
    media_url: str | None = None
    media_kind: str | None = None  # "image" or "video"
    votes: int | None = None
    authors: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    position: int = 0  # 1-based order of first appearance in the file
    rank: int = 0  # 1-based rank in the day: votes descending, then position


@dataclass(frozen=True, slots=True)
class Digest:
    date: dt.date
    papers: tuple[Paper, ...] = field(default_factory=tuple)
    source: str = ""
