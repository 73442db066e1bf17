"""Callback data of the inline buttons: building it and reading it back. Pure.

Callback data is at most 64 bytes (Telegram's limit), so it only ever holds ids, dates
and page numbers, never text: a search query is kept server-side under a random id
(``digestbot.bot.memory``).

    t:<d|w|m>:<YYYYMMDD>:<size>:<page>   a /top page
    s:<query id>:<page>                  a /search page
    p:<arXiv id>                         open one paper
    c:<m|t|n|s|l|f|w|o>:<value>          a /settings change (menu, time, count, section,
                                         language, full sections, cadence, only follows)
    b:<arXiv id>                         save / forget a paper (🔖 on its card)
    r:<arXiv id>                         the papers similar to it
    v:<page>                             a /saved page
    u:<page>:<arXiv id>                  forget a paper from that /saved page (✕)
    f:x:<follow id>                      remove one of /following's follows
    x                                    a button that does nothing (the page counter)

The bot registers one handler per prefix (``PATTERNS``); each reads its data with its own
parser, which raises ``ValueError`` for anything it did not write.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from digestbot.present.args import PeriodKind

CALLBACK_LIMIT: Final = 64
NOOP: Final = "x"
# the random id a search is remembered under
QUERY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# an arXiv id as stored: new style (2505.04921, 2505.04921v2) or old (hep-th/9901001)
ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?")
_KINDS: dict[PeriodKind, str] = {"day": "d", "week": "w", "month": "m"}
_KIND_NAMES: dict[str, PeriodKind] = {v: k for k, v in _KINDS.items()}


class Prefix(StrEnum):
    TOP = "t"
    SEARCH = "s"
    PAPER = "p"
    SETTINGS = "c"
    BOOKMARK = "b"
    SIMILAR = "r"
    SAVED = "v"
    UNSAVE = "u"
    FOLLOW = "f"


# the pattern of each prefix, for python-telegram-bot's CallbackQueryHandler
PATTERNS: Final[dict[Prefix, str]] = {prefix: f"^{prefix}:" for prefix in Prefix}
NOOP_PATTERN: Final = f"^{NOOP}$"


class SettingsAction(StrEnum):
    MENU = "m"
    TIME = "t"
    COUNT = "n"
    SECTION = "s"
    LANGUAGE = "l"
    FULL = "f"
    CADENCE = "w"
    FOLLOWS_ONLY = "o"


class SettingsMenu(StrEnum):
    """The /settings screens: the main menu and its pickers."""

    MAIN = "main"
    TIME = "time"
    COUNT = "n"
    SECTIONS = "sec"
    LANGUAGE = "lang"
    FULL = "full"
    CADENCE = "cad"


@dataclass(frozen=True, slots=True)
class TopCallback:
    kind: PeriodKind
    end: dt.date
    size: int
    page: int


@dataclass(frozen=True, slots=True)
class SearchCallback:
    query_id: str
    page: int


@dataclass(frozen=True, slots=True)
class PaperCallback:
    arxiv_id: str


@dataclass(frozen=True, slots=True)
class SettingsCallback:
    action: SettingsAction
    value: str


@dataclass(frozen=True, slots=True)
class BookmarkCallback:
    arxiv_id: str


@dataclass(frozen=True, slots=True)
class SimilarCallback:
    arxiv_id: str


@dataclass(frozen=True, slots=True)
class SavedCallback:
    page: int
    remove: str | None = None  # the arXiv id to forget first (✕), None: just the page


@dataclass(frozen=True, slots=True)
class UnfollowCallback:
    follow_id: int


Callback = (
    TopCallback
    | SearchCallback
    | PaperCallback
    | SettingsCallback
    | BookmarkCallback
    | SimilarCallback
    | SavedCallback
    | UnfollowCallback
)


def _checked(data: str) -> str:
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


def top_data(kind: PeriodKind, end: dt.date, size: int, page: int) -> str:
    return _checked(f"{Prefix.TOP}:{_KINDS[kind]}:{end:%Y%m%d}:{size}:{page}")


def search_data(query_id: str, page: int) -> str:
    return _checked(f"{Prefix.SEARCH}:{query_id}:{page}")


def paper_data(arxiv_id: str) -> str:
    return _checked(f"{Prefix.PAPER}:{arxiv_id}")


def settings_data(action: SettingsAction, value: str) -> str:
    return _checked(f"{Prefix.SETTINGS}:{action}:{value}")


def bookmark_data(arxiv_id: str) -> str:
    return _checked(f"{Prefix.BOOKMARK}:{arxiv_id}")


def similar_data(arxiv_id: str) -> str:
    return _checked(f"{Prefix.SIMILAR}:{arxiv_id}")


def saved_data(page: int) -> str:
    return _checked(f"{Prefix.SAVED}:{page}")


def unsave_data(page: int, arxiv_id: str) -> str:
    return _checked(f"{Prefix.UNSAVE}:{page}:{arxiv_id}")


def unfollow_data(follow_id: int) -> str:
    return _checked(f"{Prefix.FOLLOW}:x:{follow_id}")


def _fields(data: str, prefix: Prefix) -> list[str]:
    head, _, rest = data.partition(":")
    if head != prefix:
        raise ValueError(f"not {prefix}: callback data: {data!r}")
    return rest.split(":")


def parse_top(data: str) -> TopCallback:
    fields = _fields(data, Prefix.TOP)
    if len(fields) != 4 or fields[0] not in _KIND_NAMES:
        raise ValueError(data)
    day = dt.datetime.strptime(fields[1], "%Y%m%d").date()
    size, page = int(fields[2]), int(fields[3])
    if not (1 <= size <= 50 and page >= 0):
        raise ValueError(data)
    return TopCallback(_KIND_NAMES[fields[0]], day, size, page)


def parse_search(data: str) -> SearchCallback:
    fields = _fields(data, Prefix.SEARCH)
    if len(fields) != 2 or not QUERY_ID.fullmatch(fields[0]):
        raise ValueError(data)
    page = int(fields[1])
    if page < 0:
        raise ValueError(data)
    return SearchCallback(fields[0], page)


def parse_paper(data: str) -> PaperCallback:
    return PaperCallback(_arxiv_id(data, Prefix.PAPER))


def parse_settings(data: str) -> SettingsCallback:
    fields = _fields(data, Prefix.SETTINGS)
    if len(fields) != 2 or fields[0] not in tuple(SettingsAction):
        raise ValueError(data)
    return SettingsCallback(SettingsAction(fields[0]), fields[1])


def _arxiv_id(data: str, prefix: Prefix) -> str:
    _fields(data, prefix)
    arxiv_id = data.partition(":")[2]
    if not ARXIV_ID.fullmatch(arxiv_id):
        raise ValueError(data)
    return arxiv_id


def parse_bookmark(data: str) -> BookmarkCallback:
    return BookmarkCallback(_arxiv_id(data, Prefix.BOOKMARK))


def parse_similar(data: str) -> SimilarCallback:
    return SimilarCallback(_arxiv_id(data, Prefix.SIMILAR))


def _page(value: str, data: str) -> int:
    if not value.isdigit() or len(value) > 6:  # digits only: no sign, no spaces
        raise ValueError(data)
    return int(value)


def parse_saved(data: str) -> SavedCallback:
    """Both the /saved pages (``v:``) and their ✕ buttons (``u:``)."""
    head, _, rest = data.partition(":")
    if head == Prefix.SAVED:
        return SavedCallback(_page(rest, data))
    if head != Prefix.UNSAVE:
        raise ValueError(data)
    page, _, arxiv_id = rest.partition(":")
    if not ARXIV_ID.fullmatch(arxiv_id):
        raise ValueError(data)
    return SavedCallback(_page(page, data), arxiv_id)


def parse_unfollow(data: str) -> UnfollowCallback:
    fields = _fields(data, Prefix.FOLLOW)
    if len(fields) != 2 or fields[0] != "x" or not re.fullmatch(r"[1-9]\d{0,17}", fields[1]):
        raise ValueError(data)
    return UnfollowCallback(int(fields[1]))


_PARSERS: dict[Prefix, Callable[[str], Callback]] = {
    Prefix.TOP: parse_top,
    Prefix.SEARCH: parse_search,
    Prefix.PAPER: parse_paper,
    Prefix.SETTINGS: parse_settings,
    Prefix.BOOKMARK: parse_bookmark,
    Prefix.SIMILAR: parse_similar,
    Prefix.SAVED: parse_saved,
    Prefix.UNSAVE: parse_saved,
    Prefix.FOLLOW: parse_unfollow,
}


def parse_callback(data: str) -> Callback:
    """Any callback data → what it asks for; ``ValueError`` for anything else."""
    head = data.partition(":")[0]
    if head not in tuple(Prefix):
        raise ValueError(f"unknown callback data {data!r}")
    return _PARSERS[Prefix(head)](data)
