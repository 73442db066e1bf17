"""Answers to what users asked: answerCallbackQuery and answerInlineQuery.  Inline results
are modelled for the one type the bot sends, ``article``."""

from __future__ import annotations

import re
import time
import urllib.parse
from typing import Any

from tests.support.botapi.errors import ApiError, bad, not_modelled
from tests.support.botapi.limits import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_INLINE_OFFSET_BYTES,
    MAX_INLINE_RESULT_ID_BYTES,
    MAX_INLINE_RESULTS,
    parse_message_text,
)
from tests.support.botapi.markup import check_inline_keyboard
from tests.support.botapi.methods.method import Method
from tests.support.botapi.params import json_field, opt_bool, opt_int, opt_str
from tests.support.botapi.records import CallbackAnswer, InlineAnswer
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict

_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
_RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)


def _check_callback_url(state: State, url: str) -> None:
    """A callback answer's ``url``: outside games only ``t.me/<this bot>?start=<payload>``
    (a payload is 1-64 of A-Z a-z 0-9 _ -); Telegram refuses anything else."""
    split = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    start = query.get("start", [])
    if (
        split.scheme not in {"https", "http"}
        or split.netloc.lower() not in {"t.me", "telegram.me"}
        or split.path.strip("/").lower() != str(state.bot_user["username"]).lower()
        or set(query) != {"start"}
        or len(start) != 1
        or not _START_PAYLOAD.fullmatch(start[0])
    ):
        raise bad("URL_INVALID")


def answer_callback_query(state: State, params: JSONDict) -> bool:
    query_id = opt_str(params, "callback_query_id") or ""
    text = opt_str(params, "text")
    url = opt_str(params, "url")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad("MESSAGE_TOO_LONG")
    if query_id not in state.queries.callbacks:
        raise bad(_EXPIRED)
    if url is not None:
        _check_callback_url(state, url)
    state.queries.callbacks.discard(query_id)
    answer = CallbackAnswer(query_id, text, opt_bool(params, "show_alert"), time.monotonic(), url)
    state.records.add_callback_answer(answer)
    return True


def answer_inline_query(state: State, params: JSONDict) -> bool:
    query_id = opt_str(params, "inline_query_id") or ""
    results = json_field(params, "results", "can't parse inline query results JSON object")
    if not isinstance(results, list):
        raise bad("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad("RESULTS_TOO_MUCH")
    next_offset = opt_str(params, "next_offset")
    if next_offset is not None and len(next_offset.encode("utf-8")) > MAX_INLINE_OFFSET_BYTES:
        raise bad("NEXT_OFFSET_INVALID")
    seen: set[str] = set()
    for result in results:
        _check_result(result, seen)
    button = _results_button(params)
    if query_id not in state.queries.inline:
        raise bad(_EXPIRED)
    state.queries.inline.discard(query_id)
    answer = InlineAnswer(
        inline_query_id=query_id,
        results=tuple(results),
        next_offset=next_offset,
        cache_time=opt_int(params, "cache_time"),
        at=time.monotonic(),
        button=button,
    )
    state.records.add_inline_answer(answer)
    return True


_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _results_button(params: JSONDict) -> JSONDict | None:
    """``button`` (InlineQueryResultsButton): a text and a /start parameter (a web app
    button is not modelled)."""
    if "button" not in params:
        return None
    button = json_field(params, "button", "can't parse inline query results button")
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad("can't parse inline query results button")
    if not button["text"].strip():
        raise bad("BUTTON_TEXT_INVALID")
    if "web_app" in button:
        raise not_modelled("a web app button above inline results")
    start = button.get("start_parameter")
    if not isinstance(start, str) or not _START_PARAMETER.fullmatch(start):
        raise bad("START_PARAM_INVALID")
    return button


def _check_result(result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict):
        raise bad("can't parse InlineQueryResult JSON object")
    result_type = result.get("type")
    if result_type not in _RESULT_TYPES:
        raise bad("RESULT_TYPE_INVALID")
    if result_type != "article":
        raise not_modelled(f"an inline result of type {result_type}")
    result_id = result.get("id")
    if (
        not isinstance(result_id, str)
        or not result_id
        or len(result_id.encode("utf-8")) > MAX_INLINE_RESULT_ID_BYTES
    ):
        raise bad("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    title = result.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad("RESULT_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, dict):
        raise bad("can't parse InputMessageContent: input_message_content is required")
    if "message_text" not in content:
        raise not_modelled("input_message_content other than text")
    _check_message_text(content)
    markup = result.get("reply_markup")
    if markup is not None:
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            raise bad("can't parse inline keyboard markup JSON object")
        check_inline_keyboard(markup["inline_keyboard"])


def _check_message_text(content: JSONDict) -> None:
    text = content["message_text"]
    if not isinstance(text, str) or not text:
        raise bad("MESSAGE_EMPTY")
    try:
        parse_message_text(text, content.get("parse_mode"))
    except ApiError as exc:
        if "too long" in exc.description:
            raise bad("MESSAGE_TOO_LONG") from None
        if "is empty" in exc.description:
            raise bad("MESSAGE_EMPTY") from None
        raise


METHODS = (
    Method(
        "answerCallbackQuery",
        frozenset({"callback_query_id", "text", "show_alert", "url"}),
        answer_callback_query,
    ),
    Method(
        "answerInlineQuery",
        frozenset(
            {"inline_query_id", "results", "next_offset", "cache_time", "is_personal", "button"}
        ),
        answer_inline_query,
    ),
)
