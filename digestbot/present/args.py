"""Command arguments → values. Pure: no Telegram, no database.

Every function raises ``BadCommandArgument`` (a ``BadArgument`` with an i18n key and an
example) for input it cannot understand; the handler turns it into one friendly line."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from digestbot.clock import parse_hhmm
from digestbot.config import Language
from digestbot.errors import BadArgument
from digestbot.present.i18n import t

PeriodKind = Literal["day", "week", "month"]

TOP_DEFAULT = 10
TOP_MAX = 20
SUBSCRIBE_MAX = 20
RANK_MAX = 999
SEARCH_MAX_CHARS = 500
SUBSCRIBE_EXAMPLE = "/subscribe 08:00 5 Asia/Seoul"

# 2502.11089, 2502.11089v2, arXiv:2502.11089
_ARXIV_ID = re.compile(r"^(?:arxiv:\s*)?(\d{4}\.\d{4,5})(?:v\d+)?$", re.IGNORECASE)
# arxiv.org/abs|pdf|html/<id>, export.arxiv.org/…, huggingface.co/papers/<id>, hf.co/papers/<id>;
# any version, ".pdf", trailing slash, query string or fragment
_ARXIV_IN_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?"
    r"(?:arxiv\.org/(?:abs|pdf|html)|(?:huggingface\.co|hf\.co)/papers)/"
    r"(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WEEK = {"week", "주", "주간", "1w"}
_MONTH = {"month", "월", "월간", "1m"}
# names in the zone database that are not places a subscriber lives in
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class BadCommandArgument(BadArgument):
    """A bad argument, with the i18n ``key`` of its explanation and the ``params`` to fill in."""

    def __init__(self, key: str, example: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(t(Language.EN, key, **params), example)


@dataclass(frozen=True, slots=True)
class Period:
    """``kind`` over the days ending at ``end``; ``end`` None = the newest stored day."""

    kind: PeriodKind = "day"
    end: dt.date | None = None

    def days(self, anchor: dt.date) -> tuple[dt.date, dt.date]:
        end = self.end or anchor
        if self.kind == "week":
            return end - dt.timedelta(days=6), end
        if self.kind == "month":
            return end - dt.timedelta(days=29), end
        return end, end


@dataclass(frozen=True, slots=True)
class TopRequest:
    size: int = TOP_DEFAULT
    period: Period = Period()


def shown(value: str) -> str:
    """A user's value as quoted back in an explanation: at most 40 characters."""
    return value if len(value) <= 40 else value[:39] + "…"


def date_in_digits(value: str) -> dt.date | None:
    """``20250509`` → 2025-05-09: eight digits that make a real date (2000–2099), which a
    reader most likely meant as a date, not as a number or a chat id."""
    match = _DATE_LIKE.match(value.strip())
    if match is None or not match.group(1).startswith("20"):
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def reject_date_in_digits(value: str, example: str) -> None:
    """A ``BadCommandArgument`` saying how to write the date when ``value`` looks like one."""
    day = date_in_digits(value)
    if day is not None:
        raise BadCommandArgument("arg.date_like", example, value=shown(value), day=day.isoformat())


def _count(value: str, high: int, example: str) -> int:
    number = int(value)
    if not 1 <= number <= high:
        raise BadCommandArgument("arg.bad_count", example, value=shown(value), low=1, high=high)
    return number


def parse_date(value: str, example: str, key: str = "arg.bad_date") -> dt.date:
    """``YYYY-MM-DD``; anything else is a ``BadCommandArgument`` explained by ``key``."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadCommandArgument(key, example, value=shown(value)) from None


def parse_top(args: Sequence[str]) -> TopRequest:
    """``/top [N] [YYYY-MM-DD | week | month]`` (either order)."""
    example = "/top 10 week"
    size: int | None = None
    period: Period | None = None
    for arg in args:
        word = arg.strip().lower()
        if re.fullmatch(r"[+-]?\d+", word):
            reject_date_in_digits(word, "/top 2025-05-09")
            if size is not None:
                raise BadCommandArgument("arg.too_many", example, value=shown(arg))
            size = _count(word, TOP_MAX, example)
            continue
        if period is not None:
            raise BadCommandArgument("arg.too_many", example, value=shown(arg))
        if word in _WEEK:
            period = Period("week")
        elif word in _MONTH:
            period = Period("month")
        else:
            period = Period("day", parse_date(word, "/top 2025-05-09"))
    return TopRequest(size or TOP_DEFAULT, period or Period())


def parse_paper_ref(args: Sequence[str], example: str = "/paper 2502.11089") -> str | int:
    """An arXiv id (``2502.11089``, ``2502.11089v2``, ``arXiv:2502.11089``, or inside an
    arXiv or Hugging Face URL) or a rank in today's digest (``example``: the command's)."""
    if not args:
        raise BadCommandArgument("arg.no_paper", example)
    if len(args) == 2 and args[0].strip().lower() == "arxiv:":
        args = [args[0].strip() + args[1].strip()]  # "arXiv: 2502.11089"
    if len(args) > 1:
        raise BadCommandArgument("arg.too_many", example, value=shown(" ".join(args[1:])))
    value = args[0].strip().strip("<>")
    if re.fullmatch(r"\d{1,3}", value):
        rank = int(value)
        if rank >= 1:
            return rank
    match = _ARXIV_ID.match(value) or _ARXIV_IN_URL.match(value)
    if match:
        return match.group(1)
    raise BadCommandArgument("arg.bad_paper", example, value=shown(value))


def parse_saved(args: Sequence[str]) -> bool:
    """``/saved`` (the list: False) or ``/saved bibtex`` (the .bib file: True)."""
    if not args:
        return False
    if len(args) == 1 and args[0].strip().lower() in ("bibtex", "bib"):
        return True
    raise BadCommandArgument("arg.bad_saved", "/saved bibtex", value=shown(" ".join(args)))


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    """What ``/subscribe`` was given; None = keep the stored (or default) value."""

    push_time: str | None = None
    top_n: int | None = None
    timezone: str | None = None
    cadence: str | None = None  # "daily", "weekly" or "both" (a store.models.Cadence)
    follows_only: bool | None = None


# /subscribe's words: the cadence, and whether the push holds only the followed papers
CADENCE_WORDS: Final = {
    "daily": "daily",
    "매일": "daily",
    "weekly": "weekly",
    "주간": "weekly",
    "매주": "weekly",
    "both": "both",
}
FOLLOWS_ONLY_WORDS: Final = {"follows": True, "팔로우": True, "top": False, "상위": False}


def parse_subscribe(args: Sequence[str]) -> SubscribeRequest:
    """``/subscribe [HH:MM] [N] [Area/City] [daily|weekly|both] [follows|top]`` (any
    order) → push time "HH:MM", number of papers, IANA time zone (canonical spelling),
    cadence, and whether the push holds only the papers the chat follows."""
    example = SUBSCRIBE_EXAMPLE
    push_time: str | None = None
    count: int | None = None
    zone: str | None = None
    cadence: str | None = None
    follows_only: bool | None = None
    for arg in args:
        value = arg.strip()
        word = value.lower()
        if word in CADENCE_WORDS:
            if cadence is not None:
                raise BadCommandArgument("arg.too_many", example, value=shown(value))
            cadence = CADENCE_WORDS[word]
        elif word in FOLLOWS_ONLY_WORDS:
            if follows_only is not None:
                raise BadCommandArgument("arg.too_many", example, value=shown(value))
            follows_only = FOLLOWS_ONLY_WORDS[word]
        elif re.fullmatch(r"[+-]?\d+", value):
            if count is not None:
                raise BadCommandArgument("arg.too_many", example, value=shown(value))
            count = _count(value, SUBSCRIBE_MAX, example)
        elif value[:1].isalpha():
            if zone is not None:
                raise BadCommandArgument("arg.too_many", example, value=shown(value))
            zone = parse_timezone(value, example)
        elif push_time is None:
            push_time = parse_time(value, example)
        else:
            raise BadCommandArgument("arg.too_many", example, value=shown(value))
    return SubscribeRequest(push_time, count, zone, cadence, follows_only)


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone name this system knows, by its lowercase spelling."""
    names = zoneinfo.available_timezones() - _NOT_ZONES
    return {name.lower(): name for name in sorted(names)} | {"utc": "UTC"}


def parse_timezone(value: str, example: str = SUBSCRIBE_EXAMPLE) -> str:
    """An IANA time zone (``Europe/Berlin``, ``europe/berlin``, ``UTC``) → its canonical
    name; anything else is a ``BadCommandArgument``."""
    name = _zones().get(value.strip().lower())
    if name is None:
        raise BadCommandArgument("arg.bad_timezone", example, value=shown(value))
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadCommandArgument("arg.bad_timezone", example, value=shown(value)) from None
    return name


def parse_time(value: str, example: str = "/subscribe 08:00") -> str:
    try:
        return f"{parse_hhmm(value):%H:%M}"
    except ValueError:
        raise BadCommandArgument("arg.bad_time", example, value=shown(value)) from None


def parse_search(text: str) -> str:
    """The words after ``/search``, whitespace collapsed, cut at a sane length."""
    query = " ".join(text.split())
    if not query:
        raise BadCommandArgument("arg.no_query", "/search diffusion")
    return query[:SEARCH_MAX_CHARS]


# --------------------------------------------------------------------------- follows

FOLLOW_MAX_CHARS = 100
FOLLOW_EXAMPLE = "/follow diffusion"
UNFOLLOW_EXAMPLE = "/unfollow 1"


def parse_follow_text(text: str) -> str:
    """The words after ``/follow``, whitespace collapsed: at most ``FOLLOW_MAX_CHARS``.
    (Whether they can match anything is the search's business: ``services.follows``.)"""
    words = " ".join(text.split())
    if not words:
        raise BadCommandArgument("arg.no_follow", FOLLOW_EXAMPLE)
    if len(words) > FOLLOW_MAX_CHARS:
        raise BadCommandArgument(
            "arg.follow_too_long", FOLLOW_EXAMPLE, max=FOLLOW_MAX_CHARS, n=len(words)
        )
    return words


def parse_unfollow(text: str) -> int | str:
    """``/unfollow <number | words>``: a number from /following's list, or the words."""
    words = " ".join(text.split())
    if not words:
        raise BadCommandArgument("arg.no_unfollow", UNFOLLOW_EXAMPLE)
    if re.fullmatch(r"\d{1,3}", words):
        return int(words)
    return words[: FOLLOW_MAX_CHARS * 2]


# --------------------------------------------------------------------------- admins

ALL: Final = "all"
REPOST_EXAMPLE = "/repost 2025-05-09 all"


@dataclass(frozen=True, slots=True)
class RepostRequest:
    """``/repost [date] [chat id | @channel | all]``: ``day`` None = the newest stored day,
    ``target`` None = the chat the command was sent in."""

    day: dt.date | None = None
    target: int | str | None = None


def parse_target(value: str) -> int | str:
    """A chat id (``-100123``), a ``@username`` or ``all``."""
    word = value.strip()
    if word.lower() == ALL:
        return ALL
    if word.lstrip("-").isdigit() and len(word) < 20:
        return int(word)
    if word.startswith("@") and len(word) > 1 and word[1:].replace("_", "").isalnum():
        return word
    raise BadCommandArgument("arg.bad_chat", REPOST_EXAMPLE, value=shown(word))


def parse_repost(args: Sequence[str]) -> RepostRequest:
    """A date is ``YYYY-MM-DD``. Eight digits that make a date (``20250509``) are refused
    with a hint rather than read as a chat id, unless the date was already given (then
    they can only be the chat)."""
    day: dt.date | None = None
    target: int | str | None = None
    for arg in args:
        if arg[:1].isdigit() and "-" in arg[1:] and day is None:
            day = parse_date(arg, REPOST_EXAMPLE, "arg.bad_day")
        elif target is None:
            if day is None:
                reject_date_in_digits(arg, "/repost 2025-05-09")
            target = parse_target(arg)
        else:
            raise BadCommandArgument("arg.too_many", REPOST_EXAMPLE, value=shown(arg))
    return RepostRequest(day, target)


def parse_ingest(args: Sequence[str], today: dt.date) -> dt.date:
    if not args:
        return today
    if len(args) > 1:
        raise BadCommandArgument("arg.too_many", "/ingest 2025-05-09", value=shown(args[1]))
    return parse_date(args[0], "/ingest 2025-05-09", "arg.bad_day")
