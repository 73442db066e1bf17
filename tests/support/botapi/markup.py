"""Inline keyboards, checked as Telegram checks them.  Reply keyboards are not modelled:
the bot only uses inline keyboards."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from tests.support.botapi.errors import bad, not_modelled
from tests.support.botapi.html import WHITESPACE
from tests.support.botapi.limits import MAX_CALLBACK_DATA_BYTES, MAX_KEYBOARD_BUTTONS
from tests.support.botapi.params import json_field
from tests.support.botapi.wire import JSONDict

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("", "http", "https", "tg", "ton")
_PREFIX = "can't parse inline keyboard button: "


def inline_markup(params: Mapping[str, Any]) -> JSONDict | None:
    """The ``reply_markup`` parameter: an inline keyboard, or None."""
    raw = json_field(params, "reply_markup", "can't parse reply keyboard markup JSON object")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        raise not_modelled("a reply keyboard (anything but an inline keyboard)")
    check_inline_keyboard(raw["inline_keyboard"])
    return raw


def check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad(_PREFIX + 'Field "inline_keyboard" must be of type Array')
    buttons = [button for row in rows for button in row]
    for button in buttons:
        _check_button(button)
    if len(buttons) > MAX_KEYBOARD_BUTTONS:
        raise bad("reply markup is too long")


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad(_PREFIX + "InlineKeyboardButton must be an Object")
    label = button.get("text")
    if not isinstance(label, str):
        raise bad(_PREFIX + 'Field "text" must be of type String')
    if not label.strip():
        raise bad("BUTTON_DATA_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad("BUTTON_DATA_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not (
            1 <= len(data.encode("utf-8", "surrogatepass")) <= MAX_CALLBACK_DATA_BYTES
        ):
            raise bad("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if (
            not isinstance(url, str)
            or not url.strip()
            or any(ch in WHITESPACE for ch in url)
            or urllib.parse.urlsplit(url).scheme not in _URL_SCHEMES
        ):
            raise bad("BUTTON_URL_INVALID")
