"""Inline keyboards (python-telegram-bot markups) over the callback data of
:mod:`digestbot.present.callbacks`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from digestbot.config import LANGUAGES
from digestbot.present.args import PeriodKind
from digestbot.present.callbacks import (
    NOOP,
    SettingsAction,
    SettingsMenu,
    bookmark_data,
    paper_data,
    saved_data,
    search_data,
    settings_data,
    similar_data,
    top_data,
    unfollow_data,
    unsave_data,
)
from digestbot.present.html import ListPage, section_key, shorten
from digestbot.present.i18n import t
from digestbot.present.push import PushMessage
from digestbot.services.follows import FollowItem
from digestbot.services.subscriptions import (
    CADENCE_CHOICES,
    COUNT_CHOICES,
    SECTION_CHOICES,
    TIME_CHOICES,
    SubscriptionView,
)
from digestbot.store.archive import PaperView


def reply_markup(message: PushMessage) -> InlineKeyboardMarkup | None:
    """A rendered message's buttons as an inline keyboard (None: it has none)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in message.buttons
        ]
    )


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


def card_keyboard(arxiv_id: str, saved: bool, lang: str) -> InlineKeyboardMarkup:
    """Under a paper card: 🔖 (saved or not, for whoever looks) and "similar"."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "button.saved" if saved else "button.save"),
                    callback_data=bookmark_data(arxiv_id),
                ),
                InlineKeyboardButton(
                    t(lang, "button.similar"), callback_data=similar_data(arxiv_id)
                ),
            ]
        ]
    )


def saved_keyboard(
    papers: Sequence[PaperView], page: ListPage, lang: str
) -> InlineKeyboardMarkup | None:
    """A /saved page: a number button per paper (its card), a ✕ per paper (forget it),
    then ◀ n/m ▶."""
    if not page.total:
        return None
    rows = _paper_buttons(papers, page.first)
    removes = [
        InlineKeyboardButton(f"✕ {number}", callback_data=unsave_data(page.page, p.arxiv_id))
        for number, p in enumerate(papers, start=page.first)
    ]
    rows += [removes[i : i + 5] for i in range(0, len(removes), 5)]
    pager = _pager(page, [saved_data(max(page.page - 1, 0)), saved_data(page.page + 1)], lang)
    if pager:
        rows.append(pager)
    return InlineKeyboardMarkup(rows)


def following_keyboard(items: Sequence[FollowItem]) -> InlineKeyboardMarkup | None:
    """A ✕ button per follow; its data holds only the follow's id."""
    rows = [
        [
            InlineKeyboardButton(
                f"✕ {item.number}. {shorten(item.text, 40)}", callback_data=unfollow_data(item.id)
            )
        ]
        for item in items
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _menu_button(label: str, menu: SettingsMenu, lang: str) -> InlineKeyboardButton:
    """A /settings button that opens one of its menus."""
    return InlineKeyboardButton(
        t(lang, label), callback_data=settings_data(SettingsAction.MENU, menu)
    )


def settings_keyboard(menu: SettingsMenu, sub: SubscriptionView, lang: str) -> InlineKeyboardMarkup:
    """The /settings keyboard: the main menu, or one of its pickers (time, n, sec, lang)."""
    back = [_menu_button("settings.back", SettingsMenu.MAIN, lang)]
    if menu is SettingsMenu.TIME:
        buttons = [
            InlineKeyboardButton(
                f"✓ {hhmm}" if hhmm == sub.push_time else hhmm,
                callback_data=settings_data(SettingsAction.TIME, hhmm.replace(":", "")),
            )
            for hhmm in TIME_CHOICES
        ]
        return InlineKeyboardMarkup([buttons[:4], buttons[4:], back])
    if menu is SettingsMenu.COUNT:
        buttons = [
            InlineKeyboardButton(
                f"✓ {n}" if n == sub.top_n else str(n),
                callback_data=settings_data(SettingsAction.COUNT, str(n)),
            )
            for n in COUNT_CHOICES
        ]
        return InlineKeyboardMarkup([buttons, back])
    if menu is SettingsMenu.SECTIONS:
        chosen = {section_key(name) for name in sub.sections}
        rows = [
            [
                InlineKeyboardButton(
                    f"{'✓' if section_key(name) in chosen else '·'} {name}",
                    callback_data=settings_data(SettingsAction.SECTION, str(i)),
                )
            ]
            for i, name in enumerate(SECTION_CHOICES)
        ]
        return InlineKeyboardMarkup([*rows, back])
    if menu is SettingsMenu.FULL:
        buttons = [
            InlineKeyboardButton(
                f"✓ {t(lang, key)}" if sub.full_sections is on else t(lang, key),
                callback_data=settings_data(SettingsAction.FULL, "1" if on else "0"),
            )
            for on, key in ((True, "settings.on"), (False, "settings.off"))
        ]
        return InlineKeyboardMarkup([buttons, back])
    if menu is SettingsMenu.LANGUAGE:
        buttons = [
            InlineKeyboardButton(
                f"✓ {t(code, 'lang.name')}" if code == lang else t(code, "lang.name"),
                callback_data=settings_data(SettingsAction.LANGUAGE, code),
            )
            for code in LANGUAGES
        ]
        return InlineKeyboardMarkup([buttons, back])
    if menu is SettingsMenu.CADENCE:
        rows = [
            [
                InlineKeyboardButton(
                    f"✓ {t(lang, f'cadence.{c}')}" if c == sub.cadence else t(lang, f"cadence.{c}"),
                    callback_data=settings_data(SettingsAction.CADENCE, c),
                )
            ]
            for c in CADENCE_CHOICES
        ]
        return InlineKeyboardMarkup([*rows, back])
    only = f"{'✓' if sub.follows_only else '·'} {t(lang, 'settings.follows_only')}"
    return InlineKeyboardMarkup(
        [
            [
                _menu_button("settings.time", SettingsMenu.TIME, lang),
                _menu_button("settings.count", SettingsMenu.COUNT, lang),
            ],
            [
                _menu_button("settings.sections", SettingsMenu.SECTIONS, lang),
                _menu_button("settings.language", SettingsMenu.LANGUAGE, lang),
            ],
            [
                _menu_button("settings.full", SettingsMenu.FULL, lang),
            ],
            [
                _menu_button("settings.cadence", SettingsMenu.CADENCE, lang),
                InlineKeyboardButton(
                    only,
                    callback_data=settings_data(
                        SettingsAction.FOLLOWS_ONLY, "0" if sub.follows_only else "1"
                    ),
                ),
            ],
        ]
    )
