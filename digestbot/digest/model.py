"""Plain data parsed out of a digest file. No I/O, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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
    # The author list had a "+": the page left some authors out ("외 N명 / et al.").
    more_authors: bool = False


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """A recoverable oddity the parser repaired or skipped: where, what, and what was done."""

    line: int  # 1-based line of the input
    message: str

    def format(self, source: str) -> str:
        """``source:line: message``, the form error messages take."""
        return f"{source}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Digest:
    date: dt.date
    papers: tuple[Paper, ...] = field(default_factory=tuple)
    source: str = ""
    warnings: tuple[ParseWarning, ...] = ()  # in line order


def ranks_by_votes(votes: Sequence[int | None]) -> list[int]:
    """The archive's rank rule, for items in position order: 1-based ranks by votes
    descending, ties by position, unknown votes last. One copy: the parser, Hugging
    Face's list and the merged day all rank with it."""
    order = sorted(range(len(votes)), key=lambda i: (votes[i] is None, -(votes[i] or 0), i))
    ranks = [0] * len(votes)
    for rank, index in enumerate(order, 1):
        ranks[index] = rank
    return ranks
