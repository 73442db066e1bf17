"""Inline keyboards and their callback data.

Callback data is at most 64 bytes (Telegram's limit), so it only ever holds ids, dates
and page numbers, never text: a search query is kept server-side under a random token
(``digestbot.bot.memory``).

    t:<d|w|m>:<YYYYMMDD>:<size>:<page>   a /top page
    s:<query token>:<page>               a /search page
    p:<arXiv id>                         open one paper
    c:<m|t|n|s|l>:<value>                a /settings change (menu, time, count, section, language)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from digestbot.bot.args import PeriodKind
from digestbot.bot.i18n import LANGUAGES, t
from digestbot.bot.memory import TOKEN
from digestbot.bot.render import ListPage, section_key
from digestbot.queries import COUNT_CHOICES, SECTION_CHOICES, TIME_CHOICES, SubscriptionView
from digestbot.store.archive import PaperView

CALLBACK_LIMIT = 64
NOOP = "x"
_KINDS: dict[PeriodKind, str] = {"day": "d", "week": "w", "month": "m"}
_KIND_NAMES: dict[str, PeriodKind] = {v: k for k, v in _KINDS.items()}


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
    action: str  # m (menu) | t (time) | n (count) | s (section index) | l (language)
    value: str


Callback = TopCallback | SearchCallback | PaperCallback | SettingsCallback


def _checked(data: str) -> str:
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


def top_data(kind: PeriodKind, end: dt.date, size: int, page: int) -> str:
    return _checked(f"t:{_KINDS[kind]}:{end:%Y%m%d}:{size}:{page}")


def search_data(query_id: str, page: int) -> str:
    return _checked(f"s:{query_id}:{page}")


def paper_data(arxiv_id: str) -> str:
    return _checked(f"p:{arxiv_id}")


def settings_data(action: str, value: str) -> str:
    return _checked(f"c:{action}:{value}")


def parse_callback(data: str) -> Callback:
    """Callback data → what it asks for; ``ValueError`` for anything else."""
    head, _, rest = data.partition(":")
    fields = rest.split(":")
    if head == "t" and len(fields) == 4 and fields[0] in _KIND_NAMES:
        day = dt.datetime.strptime(fields[1], "%Y%m%d").date()
        size, page = int(fields[2]), int(fields[3])
        if not (1 <= size <= 50 and page >= 0):
            raise ValueError(data)
        return TopCallback(_KIND_NAMES[fields[0]], day, size, page)
    if head == "s" and len(fields) == 2 and TOKEN.fullmatch(fields[0]):
        page = int(fields[1])
        if page < 0:
            raise ValueError(data)
        return SearchCallback(fields[0], page)
    if head == "p" and rest:
        return PaperCallback(rest)
    if head == "c" and len(fields) == 2 and fields[0] in ("m", "t", "n", "s", "l"):
        return SettingsCallback(fields[0], fields[1])
    raise ValueError(f"unknown callback data {data!r}")


# --------------------------------------------------------------------------- markups


def _paper_buttons(papers: Sequence[PaperView], first: int) -> list[list[InlineKeyboardButton]]:
    buttons = [
        InlineKeyboardButton(str(first + i), callback_data=paper_data(p.arxiv_id))
        for i, p in enumerate(papers)
    ]
    return [buttons[i : i + 5] for i in range(0, len(buttons), 5)]


def _pager(page: ListPage, data: list[str], lang: str) -> list[InlineKeyboardButton]:
    """``data`` = [previous page's callback data, next page's]."""
    row = []
    if page.has_prev:
        row.append(InlineKeyboardButton(t(lang, "button.prev"), callback_data=data[0]))
    if page.has_prev or page.has_next:
        row.append(InlineKeyboardButton(f"{page.page + 1}/{page.pages}", callback_data=NOOP))
    if page.has_next:
        row.append(InlineKeyboardButton(t(lang, "button.next"), callback_data=data[1]))
    return row


def list_keyboard(
    papers: Sequence[PaperView], page: ListPage, prev_data: str, next_data: str, lang: str
) -> InlineKeyboardMarkup | None:
    rows = _paper_buttons(papers, page.first)
    pager = _pager(page, [prev_data, next_data], lang)
    if pager:
        rows.append(pager)
    return InlineKeyboardMarkup(rows) if rows else None


def top_keyboard(
    papers: Sequence[PaperView], page: ListPage, kind: PeriodKind, end: dt.date, lang: str
) -> InlineKeyboardMarkup | None:
    return list_keyboard(
        papers,
        page,
        top_data(kind, end, page.size, max(page.page - 1, 0)),
        top_data(kind, end, page.size, page.page + 1),
        lang,
    )


def search_keyboard(
    papers: Sequence[PaperView], page: ListPage, query_id: str, lang: str
) -> InlineKeyboardMarkup | None:
    return list_keyboard(
        papers,
        page,
        search_data(query_id, max(page.page - 1, 0)),
        search_data(query_id, page.page + 1),
        lang,
    )


def settings_keyboard(menu: str, sub: SubscriptionView, lang: str) -> InlineKeyboardMarkup:
    """The /settings keyboard: the main menu, or one of its pickers (time, n, sec, lang)."""
    back = [
        InlineKeyboardButton(t(lang, "settings.back"), callback_data=settings_data("m", "main"))
    ]
    if menu == "time":
        buttons = [
            InlineKeyboardButton(
                f"✓ {hhmm}" if hhmm == sub.push_time else hhmm,
                callback_data=settings_data("t", hhmm.replace(":", "")),
            )
            for hhmm in TIME_CHOICES
        ]
        return InlineKeyboardMarkup([buttons[:4], buttons[4:], back])
    if menu == "n":
        buttons = [
            InlineKeyboardButton(
                f"✓ {n}" if n == sub.top_n else str(n), callback_data=settings_data("n", str(n))
            )
            for n in COUNT_CHOICES
        ]
        return InlineKeyboardMarkup([buttons, back])
    if menu == "sec":
        chosen = {section_key(name) for name in sub.sections}
        rows = [
            [
                InlineKeyboardButton(
                    f"{'✓' if section_key(name) in chosen else '·'} {name}",
                    callback_data=settings_data("s", str(i)),
                )
            ]
            for i, name in enumerate(SECTION_CHOICES)
        ]
        return InlineKeyboardMarkup([*rows, back])
    if menu == "lang":
        buttons = [
            InlineKeyboardButton(
                f"✓ {t(code, 'lang.name')}" if code == lang else t(code, "lang.name"),
                callback_data=settings_data("l", code),
            )
            for code in LANGUAGES
        ]
        return InlineKeyboardMarkup([buttons, back])
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "settings.time"), callback_data=settings_data("m", "time")
                ),
                InlineKeyboardButton(
                    t(lang, "settings.count"), callback_data=settings_data("m", "n")
                ),
            ],
            [
                InlineKeyboardButton(
                    t(lang, "settings.sections"), callback_data=settings_data("m", "sec")
                ),
                InlineKeyboardButton(
                    t(lang, "settings.language"), callback_data=settings_data("m", "lang")
                ),
            ],
        ]
    )
