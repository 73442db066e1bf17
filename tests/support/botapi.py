"""A local HTTP server that speaks the Telegram Bot API, for tests.

The real python-telegram-bot client is pointed at it through ``base_url``::

    with FakeBotAPI() as server:
        server.add_user(42, "Alice")
        app = server.application_builder().build()  # token, base_url, base_file_url set
        ...
        server.send_text(42, 42, "/ping")
        [reply] = await server.wait_for_messages(42, 1)

The server runs in its own thread with its own asyncio event loop (a small HTTP/1.1
keep-alive implementation on ``asyncio.Protocol``), so it keeps answering while the
test code blocks or while a bot runs in a subprocess.  Everything it is told and
everything it answers is recorded, thread-safely.

It enforces what Telegram enforces (text length after entity parsing, HTML/MarkdownV2
entity syntax, inline keyboards, inline-query answers, ...), answers with Telegram's own
error phrases, and can inject faults (429 / 403 / migration / 5xx / dropped connections /
slow answers) and enforce Telegram's flood limits.

Deliberate deviations from the real server:

* In HTML, an ``&`` that does not start ``&lt;``/``&gt;``/``&amp;``/``&quot;`` or a
  numeric reference is rejected (Telegram passes it through literally); pass
  ``strict_html_entities=False`` for Telegram's lenient behaviour.
* ``<a>`` must have an ``href``.
* ``message_thread_id`` is only accepted for forum supergroups.
* ``setWebhook`` also accepts plain-HTTP URLs on loopback hosts, and the server then
  delivers updates to that URL (so webhook mode can be tested end to end).

Note that python-telegram-bot ``str.capitalize()``s error descriptions ("Bad Request: can't
parse entities: Unsupported start tag" becomes "Can't parse entities: unsupported start
tag"); match case-insensitively, or read the exact text from ``calls()[i].description``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import http
import json
import math
import random
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import tornado.httputil

if TYPE_CHECKING:
    import telegram
    from telegram.ext._applicationbuilder import InitApplicationBuilder

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "Call",
    "CallbackAnswer",
    "EntityParseError",
    "FakeBotAPI",
    "InlineAnswer",
    "SentMessage",
    "UploadedFile",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

TOKEN = "123456:TEST-token-not-secret-AAAAAAAAAAAAAAAA"
BOT_ID = 123456
BOT_USERNAME = "digest_test_bot"
BOT_FIRST_NAME = "Digest Test Bot"

JSONDict = dict[str, Any]
T = TypeVar("T")

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_INLINE_OFFSET_BYTES = 64
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_KEYBOARD_BUTTONS = 100

_MAX_HEADER_BYTES = 64 * 1024
_MAX_BODY_BYTES = 64 * 1024 * 1024
_CLIENT_CLOSED = 499  # recorded status of a request whose client went away unanswered
_DROPPED = 0  # recorded status of a request answered by closing the connection

# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SentMessage:
    """An outgoing message the server accepted (a send or an edit)."""

    chat_id: int
    text: str  # as sent by the bot (e.g. with HTML markup); the caption for media
    parse_mode: str | None
    reply_markup: JSONDict | None  # the keyboard the message carries afterwards
    message_thread_id: int | None
    message_id: int
    method: str  # canonical Bot API name: "sendMessage", "editMessageText", ...
    at: float  # time.monotonic() when accepted
    plain_text: str = ""  # text after entity parsing, as a user sees it
    entities: tuple[JSONDict, ...] = ()


@dataclass(frozen=True)
class Call:
    """One HTTP call to the Bot API, whatever its outcome."""

    method: str  # canonical name (case as in the Bot API docs) or as requested if unknown
    params: JSONDict  # decoded parameters (ints, bools and JSON fields decoded)
    at: float  # time.monotonic() when the request was received
    status: int  # HTTP status answered; 499 = client went away, 0 = connection dropped
    description: str | None = None  # error description for non-200 answers


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    at: float


@dataclass(frozen=True)
class InlineAnswer:
    inline_query_id: str
    results: tuple[JSONDict, ...]
    next_offset: str | None
    cache_time: int | None
    is_personal: bool
    button: JSONDict | None
    at: float


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


class ApiError(Exception):
    """Raised inside method handlers; becomes a ``{"ok": false, ...}`` answer."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str, parameters: JSONDict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {description}", parameters)


def _too_many(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


# --------------------------------------------------------------------------- text parsing


class EntityParseError(ValueError):
    """The text cannot be parsed with the given parse mode (Telegram's wording)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for offsets and limits."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


_SPACE = frozenset(" \t\n\r\f\v")
_HTML_SPECIAL = re.compile(r"[<&]")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``text[pos] == '&'`` the way TDLib does.

    Returns the character and the index after the reference, or None if it is not one.
    """
    n = len(text)
    j = pos + 1
    if j < n and text[j] == "#":
        j += 1
        is_hex = j < n and text[j] in "xX"
        if is_hex:
            j += 1
        start = j
        digits = "0123456789abcdefABCDEF" if is_hex else "0123456789"
        while j < n and text[j] in digits:
            j += 1
        if j == start or j - start > 8:
            return None
        code = int(text[start:j], 16 if is_hex else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = j
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        named = _NAMED_ENTITIES.get(text[start:j])
        if named is None:
            return None
        char = named
    if j < n and text[j] == ";":
        j += 1
    return char, j


@dataclass
class _OpenTag:
    tag: str
    type: str
    offset: int
    begin: int
    extra: JSONDict


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML like TDLib does: return (plain text, entities).

    Raises EntityParseError with Telegram's wording (without the "can't parse entities: "
    prefix) on invalid markup.  Offsets/lengths of entities are in UTF-16 code units.
    """
    out: list[str] = []
    pos16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    n = len(text)
    i = 0

    def emit(piece: str) -> None:
        nonlocal pos16
        out.append(piece)
        pos16 += utf16_len(piece)

    while i < n:
        match = _HTML_SPECIAL.search(text, i)
        if match is None:
            emit(text[i:])
            break
        j = match.start()
        if j > i:
            emit(text[i:j])
        i = j
        if text[i] == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                if strict_entities:
                    end = i + 1
                    while end < n and end - i < 32 and (text[end].isalnum() or text[end] == "#"):
                        end += 1
                    if end < n and text[end] == ";":
                        end += 1
                    raise EntityParseError(
                        f'Unsupported HTML entity "{text[i:end]}" at byte offset '
                        f"{_byte_offset(text, i)}"
                    )
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue

        begin = i
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            k = i + 2
            while k < n and ((text[k].isascii() and text[k].isalpha()) or text[k] == "-"):
                k += 1
            end_name = text[i + 2 : k].lower()
            while k < n and text[k] in _SPACE:
                k += 1
            if k >= n or text[k] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
            top = stack.pop()
            if end_name and end_name != top.tag:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top.tag}>", found "</{end_name}>"'
                )
            _close_html_entity(top, pos16, stack, entities)
            i = k + 1
            continue

        # a start tag
        k = i + 1
        while k < n and text[k] not in _SPACE and text[k] != ">":
            k += 1
        if k >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[i + 1 : k].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while k < n and text[k] in _SPACE:
                k += 1
            if k >= n:
                raise EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            if text[k] == ">":
                break
            name_start = k
            while k < n and text[k] not in _SPACE and text[k] not in "=>":
                k += 1
            attr_name = text[name_start:k].lower()
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            while k < n and text[k] in _SPACE:
                k += 1
            if k >= n or text[k] != "=":
                if tag == "blockquote" and attr_name == "expandable":
                    attrs["expandable"] = ""
                    continue
                raise EntityParseError(
                    f"Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            k += 1
            while k < n and text[k] in _SPACE:
                k += 1
            if k >= n:
                raise EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            if text[k] not in "'\"":
                value_start = k
                while k < n and ((text[k].isascii() and text[k].isalnum()) or text[k] in ".-"):
                    k += 1
                value = text[value_start:k].lower()
                if k >= n or (text[k] not in _SPACE and text[k] != ">"):
                    raise EntityParseError(
                        f"Unexpected end of name token at byte offset {_byte_offset(text, k)}"
                    )
            else:
                quote = text[k]
                k += 1
                parts: list[str] = []
                while k < n and text[k] != quote:
                    if text[k] == "&":
                        decoded = _decode_html_entity(text, k)
                        if decoded is not None:
                            parts.append(decoded[0])
                            k = decoded[1]
                            continue
                    parts.append(text[k])
                    k += 1
                if k >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                k += 1
                value = "".join(parts)
            attrs[attr_name] = value

        extra: JSONDict = {}
        offset_text = f"at byte offset {_byte_offset(text, begin)}"
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {offset_text}')
        if tag == "a":
            href = attrs.get("href", "").strip()
            if not href:
                raise EntityParseError(f'Tag "a" must have attribute "href" {offset_text}')
            extra["url"] = href
        elif tag == "code":
            cls = attrs.get("class", "")
            if cls.startswith("language-") and len(cls) > len("language-"):
                extra["language"] = cls[len("language-") :]
        elif tag == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" {offset_text}'
                )
            extra["custom_emoji_id"] = emoji_id
        elif tag == "tg-time":
            unix = attrs.get("unix", "")
            if not unix.isdigit():
                raise EntityParseError(f'Tag "tg-time" must have attribute "unix" {offset_text}')
            extra["unix_time"] = int(unix)
            if attrs.get("format"):
                extra["date_time_format"] = attrs["format"]
        elif tag == "blockquote" and "expandable" in attrs:
            extra["expandable"] = True
        stack.append(_OpenTag(tag, _HTML_TAGS[tag], pos16, begin, extra))
        i = k + 1

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_html_entity(
    top: _OpenTag, pos16: int, stack: list[_OpenTag], entities: list[JSONDict]
) -> None:
    length = pos16 - top.offset
    if top.type == "code" and stack and stack[-1].type == "pre":
        # <pre><code class="language-x">...</code></pre> is one "pre" entity with a language
        if "language" in top.extra:
            stack[-1].extra["language"] = top.extra["language"]
        return
    if length <= 0:
        return
    entity_type = top.type
    extra = dict(top.extra)
    if entity_type == "blockquote" and extra.pop("expandable", False):
        entity_type = "expandable_blockquote"
    entities.append({"type": entity_type, "offset": top.offset, "length": length, **extra})


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 like TDLib does (block quotes: simple ``>`` lines only)."""
    out: list[str] = []
    pos16 = 0
    entities: list[JSONDict] = []
    # (type, utf16 offset, index into out, begin index in text, extra)
    stack: list[tuple[str, int, int, int, JSONDict]] = []
    quote_start: int | None = None
    n = len(text)
    i = 0

    def emit(piece: str) -> None:
        nonlocal pos16
        out.append(piece)
        pos16 += utf16_len(piece)

    def reserved_error(char: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def at(index: int) -> str:
        return text[index] if index < n else ""

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        line_start = i == 0 or text[i - 1] == "\n"
        if c == ">" and line_start and not in_code and not stack:
            if quote_start is None:
                quote_start = pos16
            i += 1
            continue
        if c == "\n" and quote_start is not None and at(i + 1) != ">":
            emit("\n")
            if pos16 - 1 > quote_start:
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": pos16 - 1 - quote_start}
                )
            quote_start = None
            i += 1
            continue
        reserved = "`" if in_code else _MDV2_RESERVED
        if c not in reserved:
            emit(c)
            i += 1
            continue

        is_end = False
        if stack:
            top = stack[-1][0]
            if top == "bold":
                is_end = c == "*"
            elif top == "italic":
                is_end = c == "_" and at(i + 1) != "_"
            elif top == "code":
                is_end = c == "`"
            elif top == "pre":
                is_end = c == "`" and at(i + 1) == "`" and at(i + 2) == "`"
            elif top in ("text_link", "custom_emoji"):
                is_end = c == "]"
            elif top == "underline":
                is_end = c == "_" and at(i + 1) == "_"
            elif top == "strikethrough":
                is_end = c == "~"
            elif top == "spoiler":
                is_end = c == "|" and at(i + 1) == "|"

        if not is_end:
            begin = i
            extra: JSONDict = {}
            if c == "_":
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if at(i + 1) != "|":
                    raise reserved_error(c)
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while lang_end < n and text[lang_end] not in _SPACE and text[lang_end] != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and text[lang_end] != "`":
                        extra["language"] = text[i:lang_end]
                        i = lang_end
                    if at(i) in ("\n", "\r"):
                        if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1):
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!":
                if at(i + 1) != "[":
                    raise reserved_error(c)
                kind = "custom_emoji"
                i += 1
            else:
                raise reserved_error(c)
            stack.append((kind, pos16, len(out), begin, extra))
            i += 1
            continue

        kind, offset, out_index, _begin, extra = stack.pop()
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
        elif kind == "text_link":
            if at(i + 1) != "(":
                url = "".join(out[out_index:])
            else:
                i += 2
                url_begin = i
                url_parts: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        url_parts.append(text[i + 1])
                        i += 2
                        continue
                    url_parts.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(url_parts)
            extra["url"] = url
        elif kind == "custom_emoji":
            if at(i + 1) != "(":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            i += 2
            url_begin = i
            while i < n and text[i] != ")":
                i += 1
            if i >= n:
                raise EntityParseError(
                    "Can't find end of a custom emoji URL at byte offset "
                    f"{_byte_offset(text, url_begin)}"
                )
            emoji_url = text[url_begin:i]
            prefix = "tg://emoji?id="
            if not emoji_url.startswith(prefix) or not emoji_url[len(prefix) :].isdigit():
                raise EntityParseError("Custom emoji URL must have an emoji identifier")
            extra["custom_emoji_id"] = emoji_url[len(prefix) :]
        if pos16 > offset:
            entities.append({"type": kind, "offset": offset, "length": pos16 - offset, **extra})
        i += 1

    if stack:
        kind, _offset, _out_index, begin, _extra = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset "
            f"{_byte_offset(text, begin)}"
        )
    if quote_start is not None and pos16 > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": pos16 - quote_start}
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, ```code```, ``[text](url)``)."""
    out: list[str] = []
    pos16 = 0
    entities: list[JSONDict] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c not in "_*`[":
            j = i
            while j < n and text[j] not in "_*`[":
                j += 1
            out.append(text[i:j])
            pos16 += utf16_len(text[i:j])
            i = j
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and text[i : i + 2] == "``":
            i += 2
            is_pre = True
            lang_end = i
            while lang_end < n and text[lang_end] not in _SPACE and text[lang_end] != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and text[lang_end] != "`":
                language = text[i:lang_end]
                i = lang_end
            if i < n and text[i] in "\r\n":
                i += 1
        start16 = pos16
        chunk_start = i
        while i < n and (text[i] != end_char or (is_pre and text[i + 1 : i + 3] != "``")):
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        inner = text[chunk_start:i]
        out.append(inner)
        pos16 += utf16_len(inner)
        i += 3 if is_pre else 1
        extra: JSONDict = {}
        if c == "[":
            kind = "text_link"
            if i < n and text[i] == "(":
                close = text.find(")", i)
                if close < 0:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, i)}"
                    )
                extra["url"] = text[i + 1 : close]
                i = close + 1
            else:
                extra["url"] = inner
        elif c == "`":
            kind = "pre" if is_pre else "code"
            if language:
                extra["language"] = language
        else:
            kind = "bold" if c == "*" else "italic"
        if pos16 > start16:
            entities.append({"type": kind, "offset": start16, "length": pos16 - start16, **extra})
    return "".join(out), entities


# --------------------------------------------------------------------------- parameters

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "results",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "button",
        "message_ids",
        "media",
        "menu_button",
        "rights",
        "reaction",
        "permissions",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "max_connections",
        "until_date",
        "direct_messages_topic_id",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "is_personal",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "revoke_messages",
        "only_if_banned",
        "allow_paid_broadcast",
        "disable_content_type_detection",
        "is_big",
        "for_channels",
    }
)


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value) if value else value
        if name in _INT_FIELDS:
            return int(value)
        if name in _FLOAT_FIELDS:
            number = float(value)
            return int(number) if number.is_integer() else number
    except ValueError:
        return value  # left as text; the method handler reports the problem
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def _decode_params(content_type: str, body: bytes, query: str) -> JSONDict:
    params: JSONDict = {}
    if query:
        for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            params[key] = value
    if body:
        ctype = content_type.split(";", 1)[0].strip().lower()
        if ctype == "application/json":
            loaded = json.loads(body)
            if not isinstance(loaded, dict):
                raise ValueError("JSON body must be an object")
            params.update(loaded)
        elif ctype == "multipart/form-data":
            arguments: dict[str, list[bytes]] = {}
            files: dict[str, list[tornado.httputil.HTTPFile]] = {}
            tornado.httputil.parse_body_arguments(content_type, body, arguments, files)
            for key, values in arguments.items():
                params[key] = values[-1].decode("utf-8")
            for key, uploads in files.items():
                upload = uploads[-1]
                params[key] = UploadedFile(upload.filename, upload.content_type, upload.body)
        else:  # application/x-www-form-urlencoded (what PTB's HTTPXRequest sends)
            text = body.decode("utf-8")
            for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
                params[key] = value
    return {key: _coerce(key, value) for key, value in params.items()}


def _opt_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    return value


def _opt_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f'field "{name}" must be of type Integer')
    return value


def _req_int(params: Mapping[str, Any], name: str) -> int:
    value = _opt_int(params, name)
    if value is None:
        raise _bad(f"{name} is empty")
    return value


def _opt_bool(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) is True


def _json_field(params: Mapping[str, Any], name: str, error: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        if value == "":
            return None
        raise _bad(error)
    return value


# --------------------------------------------------------------------------- registry


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.username is not None:
            data["username"] = self.username
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class _User:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data


@dataclass
class _StoredMessage:
    data: JSONDict  # the Message JSON as Telegram would return it now
    from_bot: bool
    raw_text: str | None = None
    parse_mode: str | None = None


@dataclass
class _Fault:
    status: int
    description: str
    parameters: JSONDict | None


@dataclass
class _Limits:
    global_per_s: int
    per_private_chat_per_s: int
    per_group_per_min: int
    count_edits: bool
    global_window: deque[float] = field(default_factory=deque)
    chat_windows: dict[int, deque[float]] = field(default_factory=dict)


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Reply:
    status: int
    body: bytes
    drop: bool = False  # close the connection instead of answering


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
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_RESULT_TYPES = frozenset(
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
_SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendvideonote",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendpoll",
        "senddice",
        "sendsticker",
        "copymessage",
        "forwardmessage",
        "copymessages",
        "forwardmessages",
    }
)
_EDIT_METHODS = frozenset(
    {"editmessagetext", "editmessagereplymarkup", "editmessagecaption", "editmessagemedia"}
)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}
_PHRASES[_CLIENT_CLOSED] = "Client Closed Request"


def _update_type(update: Mapping[str, Any]) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


def _ok(result: Any) -> bytes:
    return json.dumps(
        {"ok": True, "result": result}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def _error_body(status: int, description: str, parameters: JSONDict | None = None) -> bytes:
    data: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        data["parameters"] = parameters
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    known = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return known.get(status, _PHRASES.get(status, "Error"))


# --------------------------------------------------------------------------- the server


class FakeBotAPI:
    """A Telegram Bot API server for tests.  See the module docstring."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        strict_html_entities: bool = True,
        seed: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._strict_html = strict_html_entities

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._conns: set[_HttpConnection] = set()
        self._stopping = False
        self._rng = random.Random(seed)

        bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # registry
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, _User] = {bot_id: _User(bot_id, BOT_FIRST_NAME, BOT_USERNAME)}
        self._users[bot_id].is_bot = True
        self._admins: dict[int, list[int]] = {}
        self._creators: dict[int, int] = {}
        self._member_status: dict[tuple[int, int], str] = {}

        # state
        self._messages: dict[tuple[int, int], _StoredMessage] = {}
        self._next_message_id: dict[int, int] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._pollers: list[asyncio.Future[str]] = []
        self._poll_tasks: set[asyncio.Task[Any]] = set()
        self._open_callbacks: set[str] = set()
        self._open_inline: set[str] = set()
        self._next_query_id = 1
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake: asyncio.Event | None = None

        # records
        self._calls: list[Call] = []
        self._calls_by_method: dict[str, list[Call]] = {}
        self._sent: list[SentMessage] = []
        self._sent_by_chat: dict[int, list[SentMessage]] = {}
        self._callback_answers: dict[str, CallbackAnswer] = {}
        self._inline_answers: dict[str, InlineAnswer] = {}
        self._webhook_deliveries: list[tuple[int, int]] = []
        self._errors: list[str] = []

        # fault injection
        self._fail_next: dict[str, deque[_Fault]] = {}
        self._flood: tuple[float, int, frozenset[str]] | None = None
        self._blocked: dict[int, str] = {}
        self._migrated: dict[int, int] = {}
        self._chat_faults: dict[int, _Fault] = {}
        self._delay: tuple[float, frozenset[str] | None, bool] | None = None
        self._limits: _Limits | None = None
        self._violations: list[tuple[str, int, float]] = []

        self._handlers: dict[str, tuple[str, Callable[[JSONDict], Any]]] = {}
        for name, handler in self._method_table().items():
            self._handlers[name.lower()] = (name, handler)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeBotAPI:
        """Start serving in a background thread; returns self once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("FakeBotAPI already started")
        self._stopping = False
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._thread_main, args=(ready, failure), name="FakeBotAPI", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError(f"FakeBotAPI failed to start: {failure!r}")
        return self

    def stop(self) -> None:
        """Release waiting long polls, close every connection and stop the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            if loop.is_running():
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                future.result(timeout=10)
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (only valid once started)."""
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def bot(self) -> telegram.Bot:
        """A real ``telegram.Bot`` pointed at this server (use ``async with``)."""
        from telegram import Bot

        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    def application_builder(self) -> InitApplicationBuilder:
        """``Application.builder()`` with token, base_url and base_file_url set."""
        from telegram.ext import Application

        return (
            Application.builder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def _thread_main(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            server = loop.run_until_complete(
                loop.create_server(
                    lambda: _HttpConnection(self), self.host, self._requested_port, backlog=1024
                )
            )
            self._server = server
            self._port = server.sockets[0].getsockname()[1]
            self._webhook_wake = asyncio.Event()
            ready.set()
            loop.run_forever()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        with self._lock:
            self._stopping = True
            self._resolve_pollers("stop")
        # let released long polls write their (empty) answers
        if self._poll_tasks:
            await asyncio.wait(list(self._poll_tasks), timeout=1)
        if self._server is not None:
            self._server.close()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        for conn in list(self._conns):
            conn.close()
        for _ in range(200):
            if not self._conns:
                break
            await asyncio.sleep(0.005)
        for conn in list(self._conns):
            conn.abort()
        await asyncio.sleep(0)
        if self._server is not None:
            await self._server.wait_closed()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ registry

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        *,
        username: str | None = None,
        is_forum: bool = False,
        first_name: str | None = None,
    ) -> None:
        """Register a chat the bot can talk to."""
        if type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {type!r}")
        if is_forum and type != "supergroup":
            raise ValueError("only supergroups can be forums")
        with self._lock:
            if type == "private":
                user = self._users.get(chat_id)
                chat = _Chat(
                    chat_id,
                    type,
                    username=username or (user.username if user else None),
                    first_name=first_name or (user.first_name if user else f"User {chat_id}"),
                    last_name=user.last_name if user else None,
                )
            else:
                chat = _Chat(chat_id, type, title=title or f"Chat {chat_id}", username=username)
                chat.is_forum = is_forum
            self._chats[chat_id] = chat

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> None:
        """Register a user; also registers their private chat with the bot."""
        with self._lock:
            self._users[user_id] = _User(user_id, first_name, username, last_name, language_code)
            self._chats[user_id] = _Chat(
                user_id, "private", username=username, first_name=first_name, last_name=last_name
            )

    def set_admins(
        self, chat_id: int, user_ids: Iterable[int], *, creator: int | None = None
    ) -> None:
        """Set a group's administrators (and optionally its creator)."""
        with self._lock:
            self._require_chat(chat_id)
            admins = list(user_ids)
            for uid in [*admins, *([creator] if creator is not None else [])]:
                self._ensure_user(uid)
            self._admins[chat_id] = [uid for uid in admins if uid != creator]
            if creator is not None:
                self._creators[chat_id] = creator
            else:
                self._creators.pop(chat_id, None)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Status getChatMember reports for a non-admin: "member", "left" or "kicked"."""
        if status not in ("member", "left", "kicked"):
            raise ValueError(f"unsupported status {status!r}")
        with self._lock:
            self._ensure_user(user_id)
            self._member_status[(chat_id, user_id)] = status

    def _require_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id}; call add_chat() first")
        return chat

    def _ensure_user(self, user_id: int) -> _User:
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(user_id, f"User {user_id}")
        return user

    # ------------------------------------------------------------------ user actions

    def send_update(self, update: Mapping[str, Any]) -> int:
        """Queue a raw update (without ``update_id``); returns its update_id."""
        with self._lock:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, **copy.deepcopy(dict(update))})
            self._changed.notify_all()
        self._wake()
        return update_id

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        message_thread_id: int | None = None,
        *,
        reply_to_message_id: int | None = None,
        entities: Sequence[Mapping[str, Any]] | None = None,
    ) -> int:
        """A user sends a text message; returns the new message's message_id.

        A leading ``/command`` (also ``/command@botname``) gets a bot_command entity.
        The user's private chat is registered on the fly; other chats need add_chat().
        """
        with self._lock:
            user = self._ensure_user(user_id)
            if chat_id not in self._chats:
                if chat_id != user_id:
                    raise KeyError(f"unknown chat {chat_id}; call add_chat() first")
                self._chats[chat_id] = _Chat(
                    chat_id, "private", username=user.username, first_name=user.first_name
                )
            chat = self._chats[chat_id]
            if message_thread_id is not None and not chat.is_forum:
                raise ValueError("message_thread_id needs a forum supergroup (is_forum=True)")
            message = self._new_message(chat, user.to_json(), message_thread_id)
            message["text"] = text
            if entities is not None:
                message["entities"] = [dict(entity) for entity in entities]
            else:
                command = _BOT_COMMAND.match(text)
                if command is not None:
                    message["entities"] = [
                        {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
                    ]
            if reply_to_message_id is not None:
                replied = self._messages.get((chat_id, reply_to_message_id))
                if replied is None:
                    raise KeyError(f"no message {reply_to_message_id} in chat {chat_id}")
                message["reply_to_message"] = copy.deepcopy(replied.data)
            self._messages[(chat_id, message["message_id"])] = _StoredMessage(message, False)
            message_id: int = message["message_id"]
            self.send_update({"message": message})
            return message_id

    def press_button(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        strict: bool = True,
    ) -> str:
        """A user presses an inline button of a message the bot sent; returns the query id.

        Pass the button's callback ``data`` or its ``text``.  With ``strict`` (default) the
        button must be on the message's current keyboard.
        """
        with self._lock:
            user = self._ensure_user(user_id)
            stored = self._messages.get((chat_id, message_id))
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            buttons = [
                button
                for row in (stored.data.get("reply_markup") or {}).get("inline_keyboard", [])
                for button in row
            ]
            if text is not None:
                matching = [b for b in buttons if b.get("text") == text and "callback_data" in b]
                if not matching:
                    raise ValueError(f"no callback button {text!r} on message {message_id}")
                data = matching[0]["callback_data"]
            if data is None:
                raise ValueError("pass data= or text=")
            if strict and not any(b.get("callback_data") == data for b in buttons):
                raise ValueError(f"no button with callback_data {data!r} on message {message_id}")
            query_id = self._new_query_id()
            self._open_callbacks.add(query_id)
            self.send_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user.to_json(),
                        "message": copy.deepcopy(stored.data),
                        "chat_instance": str(-abs(chat_id) * 7919 - 1),
                        "data": data,
                    }
                }
            )
            return query_id

    def inline_query(
        self, user_id: int, query: str, offset: str = "", *, chat_type: str | None = None
    ) -> str:
        """A user types ``@botname query``; returns the inline query id."""
        with self._lock:
            user = self._ensure_user(user_id)
            query_id = self._new_query_id()
            self._open_inline.add(query_id)
            payload: JSONDict = {
                "id": query_id,
                "from": user.to_json(),
                "query": query,
                "offset": offset,
            }
            if chat_type is not None:
                payload["chat_type"] = chat_type
            self.send_update({"inline_query": payload})
            return query_id

    def _new_query_id(self) -> str:
        query_id = str(4_000_000_000_000_000 + self._next_query_id)
        self._next_query_id += 1
        return query_id

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by an offset (or webhook delivery)."""
        with self._lock:
            return len(self._updates)

    @property
    def waiting_polls(self) -> int:
        """getUpdates requests currently held open (long polling)."""
        with self._lock:
            return sum(1 for waiter in self._pollers if not waiter.done())

    # ------------------------------------------------------------------ records

    @property
    def messages(self) -> list[SentMessage]:
        """Every accepted outgoing message (sends and edits), oldest first."""
        with self._lock:
            return list(self._sent)

    def sent_to(self, chat_id: int, method: str | None = None) -> list[SentMessage]:
        """Accepted outgoing messages to one chat (optionally of one method)."""
        wanted = method.lower() if method else None
        with self._lock:
            sent = self._sent_by_chat.get(chat_id, [])
            if wanted is None:
                return list(sent)
            return [m for m in sent if m.method.lower() == wanted]

    def calls(self, method: str | None = None) -> list[Call]:
        """Raw calls (any outcome), optionally of one method (case-insensitive)."""
        wanted = method.lower() if method else None
        with self._lock:
            return list(self._calls if wanted is None else self._calls_by_method.get(wanted, []))

    def get_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current Message JSON of a message (after edits), None if unknown/deleted."""
        with self._lock:
            stored = self._messages.get((chat_id, message_id))
            return copy.deepcopy(stored.data) if stored else None

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        with self._lock:
            return (chat_id, message_id) in self._deleted

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer]:
        with self._lock:
            return dict(self._callback_answers)

    @property
    def inline_answers(self) -> dict[str, InlineAnswer]:
        with self._lock:
            return dict(self._inline_answers)

    @property
    def limit_violations(self) -> int:
        """How many sends enforce_limits() answered with 429."""
        with self._lock:
            return len(self._violations)

    @property
    def limit_violation_log(self) -> list[tuple[str, int, float]]:
        """(limit kind: "global"/"private"/"group", chat_id, monotonic time) per violation."""
        with self._lock:
            return list(self._violations)

    @property
    def webhook_deliveries(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status) for every webhook delivery attempt."""
        with self._lock:
            return list(self._webhook_deliveries)

    @property
    def errors(self) -> list[str]:
        """Internal errors of the fake server itself (should stay empty)."""
        with self._lock:
            return list(self._errors)

    def clear_records(self) -> None:
        """Forget recorded calls, messages and answers (registry and state stay)."""
        with self._lock:
            self._calls.clear()
            self._calls_by_method.clear()
            self._sent.clear()
            self._sent_by_chat.clear()
            self._callback_answers.clear()
            self._inline_answers.clear()
            self._violations.clear()
            self._webhook_deliveries.clear()

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - a poll deadline, not an I/O timeout
        *,
        interval: float = 0.005,
    ) -> T:
        """Poll ``predicate`` from the caller's event loop until it returns a truthy value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"condition not met within {timeout}s; last calls: {self._call_summary()}"
                )
            await asyncio.sleep(interval)

    def wait_for_sync(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Blocking variant of wait_for (for synchronous tests, e.g. with subprocesses)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"condition not met within {timeout}s; last calls: {self._call_summary()}"
                    )
                self._changed.wait(min(remaining, 0.05))

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        method: str | None = None,
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted for the chat; returns them."""

        def ready() -> list[SentMessage]:
            sent = self.sent_to(chat_id, method)
            return sent if len(sent) >= count else []

        return await self.wait_for(ready, timeout)

    async def wait_for_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Wait for the bot's answerCallbackQuery for this query."""
        return await self.wait_for(lambda: self.callback_answers.get(callback_query_id), timeout)

    async def wait_for_inline_answer(
        self,
        inline_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InlineAnswer:
        """Wait for the bot's answerInlineQuery for this query."""
        return await self.wait_for(lambda: self.inline_answers.get(inline_query_id), timeout)

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; returns those calls."""

        def ready() -> list[Call]:
            calls = self.calls(method)
            return calls if len(calls) >= count else []

        return await self.wait_for(ready, timeout)

    def _call_summary(self) -> str:
        with self._lock:
            recent = self._calls[-8:]
        return ", ".join(f"{c.method}:{c.status}" for c in recent) or "none"

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error.

        ``method`` is case-insensitive; ``"*"`` means any method except getUpdates.
        ``status=0`` drops the connection without an answer (client sees a network error).
        """
        parameters: JSONDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if status == 429 and retry_after is None:
            parameters["retry_after"] = retry_after = 1
        fault = _Fault(
            status, description or _default_description(status, retry_after), parameters or None
        )
        with self._lock:
            queue = self._fail_next.setdefault(method.lower(), deque())
            queue.extend(fault for _ in range(count))

    def set_flood(
        self, probability: float, retry_after: int = 1, methods: Iterable[str] = ("sendMessage",)
    ) -> None:
        """Answer each call of ``methods`` with 429 with this probability (0 disables)."""
        with self._lock:
            if probability <= 0:
                self._flood = None
            else:
                self._flood = (probability, retry_after, frozenset(m.lower() for m in methods))

    def block_chat(self, chat_id: int, reason: str = "blocked") -> None:
        """Posting to the chat answers 403: reason "blocked", "kicked" or "deactivated"."""
        with self._lock:
            chat = self._chats.get(chat_id)
            chat_type = chat.type if chat else "private"
            if reason == "blocked":
                description = "Forbidden: bot was blocked by the user"
            elif reason == "deactivated":
                description = "Forbidden: user is deactivated"
            elif reason == "kicked":
                description = {
                    "group": "Forbidden: bot was kicked from the group chat",
                    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
                    "channel": "Forbidden: bot is not a member of the channel chat",
                }.get(chat_type, "Forbidden: bot was kicked from the group chat")
            else:
                raise ValueError(f"unknown reason {reason!r}")
            self._blocked[chat_id] = description

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.pop(chat_id, None)

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """The group ``old_id`` became supergroup ``new_id`` (registered automatically)."""
        with self._lock:
            old = self._chats.get(old_id)
            self._migrated[old_id] = new_id
            if new_id not in self._chats:
                self._chats[new_id] = _Chat(
                    new_id, "supergroup", title=old.title if old else f"Chat {new_id}"
                )
            if old_id in self._admins and new_id not in self._admins:
                self._admins[new_id] = list(self._admins[old_id])
            if old_id in self._creators and new_id not in self._creators:
                self._creators[new_id] = self._creators[old_id]

    def fail_chat(self, chat_id: int, status: int = 500, description: str | None = None) -> None:
        """Every call that targets this chat answers ``status`` until heal_chat()."""
        with self._lock:
            self._chat_faults[chat_id] = _Fault(
                status, description or _default_description(status, None), None
            )

    def heal_chat(self, chat_id: int) -> None:
        with self._lock:
            self._chat_faults.pop(chat_id, None)

    def set_delay(
        self,
        seconds: float,
        *,
        methods: Iterable[str] | None = None,
        process_first: bool = False,
    ) -> None:
        """Answer slowly.  ``methods=None`` means every method except getUpdates.

        By default the server waits first and only then processes the request, and drops it
        if the client gave up meanwhile (a lost request: nothing delivered).  With
        ``process_first=True`` it processes at once and delays only the answer (a lost
        answer: the message *is* delivered although the client times out).
        """
        with self._lock:
            if seconds <= 0:
                self._delay = None
            else:
                wanted = frozenset(m.lower() for m in methods) if methods is not None else None
                self._delay = (seconds, wanted, process_first)

    def enforce_limits(
        self,
        global_per_s: int = 30,
        per_private_chat_per_s: int = 1,
        per_group_per_min: int = 20,
        *,
        count_edits: bool = False,
        enabled: bool = True,
    ) -> None:
        """Enforce Telegram's flood limits on sends (sliding windows); excess sends get 429."""
        with self._lock:
            self._limits = (
                _Limits(global_per_s, per_private_chat_per_s, per_group_per_min, count_edits)
                if enabled
                else None
            )

    def clear_faults(self) -> None:
        """Remove every injected fault, delay and limit."""
        with self._lock:
            self._fail_next.clear()
            self._flood = None
            self._blocked.clear()
            self._migrated.clear()
            self._chat_faults.clear()
            self._delay = None
            self._limits = None

    # ------------------------------------------------------------------ request handling

    def _handle_http(
        self, http_method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> _Reply | Coroutine[Any, Any, _Reply]:
        received = time.monotonic()
        parts = urllib.parse.urlsplit(target)
        segments = parts.path.split("/")
        if len(segments) != 3 or not segments[1].startswith("bot") or not segments[2]:
            return _Reply(404, _error_body(404, "Not Found"))
        token = urllib.parse.unquote(segments[1][3:])
        requested = urllib.parse.unquote(segments[2])
        if token != self.token:
            self._record_call(requested, {}, received, 401, "Unauthorized")
            return _Reply(401, _error_body(401, "Unauthorized"))
        entry = self._handlers.get(requested.lower())
        if entry is None:
            description = "Not Found: method not found"
            self._record_call(requested, {}, received, 404, description)
            return _Reply(404, _error_body(404, description))
        canonical = entry[0]
        try:
            params = _decode_params(headers.get("content-type", ""), body, parts.query)
        except (ValueError, UnicodeDecodeError, tornado.httputil.HTTPInputError) as exc:
            description = f"Bad Request: can't parse request body: {exc}"
            self._record_call(canonical, {}, received, 400, description)
            return _Reply(400, _error_body(400, description))

        if canonical == "getUpdates":
            return self._get_updates(params, received)
        with self._lock:
            delay = self._delay
        if delay is not None and (delay[1] is None or canonical.lower() in delay[1]):
            seconds, _methods, process_first = delay
            if process_first:
                return self._answer_later(self._execute(canonical, params, received), seconds)
            return self._execute_later(canonical, params, received, seconds)
        return self._execute(canonical, params, received)

    async def _answer_later(self, reply: _Reply, seconds: float) -> _Reply:
        await asyncio.sleep(seconds)
        return reply

    async def _execute_later(
        self, canonical: str, params: JSONDict, received: float, seconds: float
    ) -> _Reply:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self._record_call(
                canonical, params, received, _CLIENT_CLOSED, "client went away before the answer"
            )
            raise
        return self._execute(canonical, params, received)

    def _execute(self, canonical: str, params: JSONDict, received: float) -> _Reply:
        handler = self._handlers[canonical.lower()][1]
        with self._lock:
            try:
                self._injected_fault(canonical)
                result = handler(params)
            except ApiError as exc:
                self._record_call(canonical, params, received, exc.status, exc.description)
                if exc.status == _DROPPED:
                    return _Reply(0, b"", drop=True)
                return _Reply(exc.status, _error_body(exc.status, exc.description, exc.parameters))
            except Exception as exc:
                description = f"Internal Server Error: {type(exc).__name__}: {exc}"
                self._errors.append(f"{canonical}: {description}")
                self._record_call(canonical, params, received, 500, description)
                return _Reply(500, _error_body(500, description))
            self._record_call(canonical, params, received, 200, None)
            return _Reply(200, _ok(result))

    def _record_call(
        self, method: str, params: JSONDict, at: float, status: int, description: str | None
    ) -> None:
        with self._lock:
            call = Call(method, params, at, status, description)
            self._calls.append(call)
            self._calls_by_method.setdefault(method.lower(), []).append(call)
            self._changed.notify_all()

    def _injected_fault(self, canonical: str) -> None:
        lowered = canonical.lower()
        queue = self._fail_next.get(lowered)
        if not queue and lowered != "getupdates":
            queue = self._fail_next.get("*")
        if queue:
            fault = queue.popleft()
            raise ApiError(fault.status, fault.description, fault.parameters)

    # -- chats, flood, limits

    def _chat_for(self, params: Mapping[str, Any], *, posting: bool) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            chat_id = raw
        elif isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == wanted:
                    chat_id = chat.id
                    break
        if chat_id is None:
            raise _bad("chat not found")
        fault = self._chat_faults.get(chat_id)
        if fault is not None:
            raise ApiError(fault.status, fault.description, fault.parameters)
        if chat_id in self._migrated:
            raise _bad(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        found = self._chats.get(chat_id)
        if found is None:
            raise _bad("chat not found")
        if posting and chat_id in self._blocked:
            raise ApiError(403, self._blocked[chat_id])
        return found

    def _thread_for(self, chat: _Chat, params: Mapping[str, Any]) -> int | None:
        thread_id = _opt_int(params, "message_thread_id")
        if thread_id is not None and (not chat.is_forum or thread_id <= 0):
            raise _bad("message thread not found")
        return thread_id

    def _check_rate(self, chat: _Chat, method: str) -> None:
        lowered = method.lower()
        if self._flood is not None:
            probability, retry_after, methods = self._flood
            if lowered in methods and self._rng.random() < probability:
                raise _too_many(retry_after)
        limits = self._limits
        if limits is None:
            return
        if lowered not in _SEND_METHODS and not (limits.count_edits and lowered in _EDIT_METHODS):
            return
        now = time.monotonic()
        window = limits.global_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if chat.type == "private":
            span, allowed, kind = 1.0, limits.per_private_chat_per_s, "private"
        else:
            span, allowed, kind = 60.0, limits.per_group_per_min, "group"
        chat_window = limits.chat_windows.setdefault(chat.id, deque())
        while chat_window and chat_window[0] <= now - span:
            chat_window.popleft()
        wait = 0.0
        violated = ""
        if len(window) >= limits.global_per_s:
            wait, violated = window[0] + 1.0 - now, "global"
        if len(chat_window) >= allowed:
            chat_wait = chat_window[0] + span - now
            if chat_wait > wait:
                wait, violated = chat_wait, kind
        if violated:
            self._violations.append((violated, chat.id, now))
            raise _too_many(max(1, math.ceil(wait)))
        window.append(now)
        chat_window.append(now)

    # -- text and markup

    def _parse_text(
        self,
        text: str,
        parse_mode: Any,
        entities: Any,
        *,
        limit: int,
        caption: bool = False,
    ) -> tuple[str, list[JSONDict]]:
        mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
        try:
            if mode == "html":
                plain, parsed = parse_html(text, strict_entities=self._strict_html)
            elif mode == "markdownv2":
                plain, parsed = parse_markdown_v2(text)
            elif mode == "markdown":
                plain, parsed = parse_markdown(text)
            elif mode == "":
                plain = text
                if isinstance(entities, str):
                    raise _bad("can't parse entities JSON object")
                parsed = list(entities) if isinstance(entities, list) else []
            else:
                raise _bad("unsupported parse_mode")
        except EntityParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
        if not plain.strip():
            raise _bad("message caption is empty" if caption else "message text is empty")
        if utf16_len(plain) > limit:
            raise _bad("message caption is too long" if caption else "message is too long")
        return plain, parsed

    def _parse_markup(self, params: Mapping[str, Any], *, inline_only: bool) -> JSONDict | None:
        raw = _json_field(params, "reply_markup", "can't parse reply keyboard markup JSON object")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            self._validate_inline_keyboard(raw["inline_keyboard"])
            return raw
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    label = button if isinstance(button, str) else button.get("text")
                    if not isinstance(label, str) or not label:
                        raise _bad("keyboard button text must be non-empty")
            return raw
        if raw.get("remove_keyboard") is True or raw.get("force_reply") is True:
            return raw
        raise _bad("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _validate_inline_keyboard(rows: Any) -> None:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array'
            )
        total = 0
        for row in rows:
            for button in row:
                total += 1
                if not isinstance(button, dict):
                    raise _bad(
                        "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                    )
                label = button.get("text")
                if not isinstance(label, str):
                    raise _bad(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if not label.strip():
                    raise _bad("BUTTON_DATA_INVALID")
                actions = [key for key in _BUTTON_ACTIONS if key in button]
                if not actions:
                    raise _bad("text buttons are unallowed in the inline keyboard")
                if len(actions) > 1:
                    raise _bad("BUTTON_DATA_INVALID")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8", "surrogatepass")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else "?"
                    if (
                        not isinstance(url, str)
                        or not url.strip()
                        or any(ch in _SPACE for ch in url)
                        or scheme not in ("", "http", "https", "tg", "ton")
                    ):
                        raise _bad("BUTTON_URL_INVALID")
        if total > MAX_KEYBOARD_BUTTONS:
            raise _bad("reply markup is too long")

    # -- messages

    def _new_message(self, chat: _Chat, sender: JSONDict | None, thread_id: int | None) -> JSONDict:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message: JSONDict = {"message_id": message_id, "date": int(time.time())}
        if sender is not None:
            message["from"] = sender
        if chat.type == "channel":
            message["sender_chat"] = chat.to_json()
        message["chat"] = chat.to_json()
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return message

    def _record_sent(
        self,
        chat_id: int,
        stored: _StoredMessage,
        method: str,
        raw_text: str,
        parse_mode: str | None,
    ) -> None:
        data = stored.data
        sent = SentMessage(
            chat_id=chat_id,
            text=raw_text,
            parse_mode=parse_mode,
            reply_markup=copy.deepcopy(data.get("reply_markup")),
            message_thread_id=data.get("message_thread_id"),
            message_id=data["message_id"],
            method=method,
            at=time.monotonic(),
            plain_text=str(data.get("text", data.get("caption", ""))),
            entities=tuple(data.get("entities") or data.get("caption_entities") or ()),
        )
        self._sent.append(sent)
        self._sent_by_chat.setdefault(chat_id, []).append(sent)
        self._changed.notify_all()

    def _reply_to(self, chat: _Chat, params: Mapping[str, Any]) -> JSONDict | None:
        reply_id = _opt_int(params, "reply_to_message_id")
        allow_missing = _opt_bool(params, "allow_sending_without_reply")
        reply_parameters = _json_field(params, "reply_parameters", "can't parse reply parameters")
        if isinstance(reply_parameters, dict):
            reply_id = reply_parameters.get("message_id", reply_id)
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply", allow_missing))
            if reply_parameters.get("chat_id") not in (None, chat.id):
                return None  # a reply to another chat; not modelled
        if reply_id is None:
            return None
        stored = self._messages.get((chat.id, reply_id))
        if stored is None:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        replied = dict(stored.data)
        replied.pop("reply_to_message", None)
        return replied

    def _stored_for_edit(
        self, params: Mapping[str, Any]
    ) -> tuple[_Chat | None, _StoredMessage | None]:
        if params.get("inline_message_id"):
            return None, None
        chat = self._chat_for(params, posting=True)
        message_id = _req_int(params, "message_id")
        stored = self._messages.get((chat.id, message_id))
        if stored is None:
            raise _bad("message to edit not found")
        if not stored.from_bot:
            raise _bad("message can't be edited")
        return chat, stored

    # ------------------------------------------------------------------ methods

    def _method_table(self) -> dict[str, Callable[[JSONDict], Any]]:
        true: Callable[[JSONDict], Any] = self._api_true
        return {
            "getMe": self._api_get_me,
            "logOut": true,
            "close": true,
            "getUpdates": self._api_unreachable,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "getWebhookInfo": self._api_get_webhook_info,
            "setMyCommands": self._api_set_my_commands,
            "getMyCommands": self._api_get_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
            "setMyDescription": true,
            "getMyDescription": lambda p: {"description": ""},
            "setMyShortDescription": true,
            "getMyShortDescription": lambda p: {"short_description": ""},
            "setMyName": true,
            "getMyName": lambda p: {"name": BOT_FIRST_NAME},
            "setChatMenuButton": true,
            "getChatMenuButton": lambda p: {"type": "commands"},
            "setMyDefaultAdministratorRights": true,
            "sendMessage": self._api_send_message,
            "sendDocument": lambda p: self._api_send_media(p, "document"),
            "sendPhoto": lambda p: self._api_send_media(p, "photo"),
            "editMessageText": self._api_edit_message_text,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "editMessageCaption": self._api_edit_message_caption,
            "deleteMessage": self._api_delete_message,
            "deleteMessages": self._api_delete_messages,
            "answerCallbackQuery": self._api_answer_callback_query,
            "answerInlineQuery": self._api_answer_inline_query,
            "getChat": self._api_get_chat,
            "getChatMember": self._api_get_chat_member,
            "getChatAdministrators": self._api_get_chat_administrators,
            "getChatMemberCount": self._api_get_chat_member_count,
            "sendChatAction": self._api_send_chat_action,
            "pinChatMessage": self._api_chat_true,
            "unpinChatMessage": self._api_chat_true,
            "unpinAllChatMessages": self._api_chat_true,
            "leaveChat": self._api_chat_true,
            "setMessageReaction": self._api_chat_true,
        }

    def _api_true(self, params: JSONDict) -> bool:
        return True

    def _api_chat_true(self, params: JSONDict) -> bool:
        self._chat_for(params, posting=False)
        return True

    def _api_unreachable(self, params: JSONDict) -> Any:
        raise AssertionError("getUpdates is handled by _get_updates")

    def _api_get_me(self, params: JSONDict) -> JSONDict:
        return dict(self.bot_user)

    # -- webhook

    def _api_set_webhook(self, params: JSONDict) -> bool:
        url = _opt_str(params, "url") or ""
        if not url:
            return self._api_delete_webhook(params)
        split = urllib.parse.urlsplit(url)
        loopback = split.hostname in ("127.0.0.1", "localhost", "::1")
        if split.scheme != "https" and not (split.scheme == "http" and loopback):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = _opt_str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("bad webhook: secret token contains unallowed characters")
        allowed = _json_field(params, "allowed_updates", "can't parse allowed updates")
        if _opt_bool(params, "drop_pending_updates"):
            self._updates.clear()
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._webhook = _Webhook(
            url, secret, _opt_int(params, "max_connections") or 40, self._allowed_updates
        )
        self._resolve_pollers("conflict_webhook")
        self._restart_webhook_pump()
        return True

    def _api_delete_webhook(self, params: JSONDict) -> bool:
        if _opt_bool(params, "drop_pending_updates"):
            self._updates.clear()
        if self._webhook is not None:
            self._webhook = None
            self._restart_webhook_pump()
        return True

    def _api_get_webhook_info(self, params: JSONDict) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    # -- commands

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = _json_field(params, "scope", "can't parse BotCommandScope JSON object")
        scope_key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        return scope_key, _opt_str(params, "language_code") or ""

    def _api_set_my_commands(self, params: JSONDict) -> bool:
        commands = _json_field(params, "commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name.lstrip("/").lower()):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name.lstrip("/").lower(), "description": description})
        self._commands[self._commands_key(params)] = cleaned
        return True

    def _api_get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return list(self._commands.get(self._commands_key(params), []))

    def _api_delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    # -- sending

    def _api_send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params, posting=True)
        thread_id = self._thread_for(chat, params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parse_mode = _opt_str(params, "parse_mode") or None
        plain, entities = self._parse_text(
            text, parse_mode, params.get("entities"), limit=MAX_MESSAGE_LENGTH
        )
        markup = self._parse_markup(params, inline_only=False)
        replied = self._reply_to(chat, params)
        self._check_rate(chat, "sendMessage")
        message = self._new_message(chat, self._bot_sender(chat), thread_id)
        if replied is not None:
            message["reply_to_message"] = replied
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        stored = _StoredMessage(message, True, text, parse_mode)
        self._messages[(chat.id, message["message_id"])] = stored
        self._record_sent(chat.id, stored, "sendMessage", text, parse_mode)
        return message

    def _api_send_media(self, params: JSONDict, kind: str) -> JSONDict:
        method = "sendDocument" if kind == "document" else "sendPhoto"
        chat = self._chat_for(params, posting=True)
        thread_id = self._thread_for(chat, params)
        media = params.get(kind)
        if media is None or media == "":
            raise _bad(f"there is no {kind} in the request")
        caption = _opt_str(params, "caption") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        plain, entities = "", list[JSONDict]()
        if caption:
            plain, entities = self._parse_text(
                caption,
                parse_mode,
                params.get("caption_entities"),
                limit=MAX_CAPTION_LENGTH,
                caption=True,
            )
        markup = self._parse_markup(params, inline_only=False)
        replied = self._reply_to(chat, params)
        self._check_rate(chat, method)
        message = self._new_message(chat, self._bot_sender(chat), thread_id)
        if replied is not None:
            message["reply_to_message"] = replied
        unique = f"{chat.id}_{message['message_id']}"
        size = len(media.data) if isinstance(media, UploadedFile) else 1
        if kind == "document":
            message["document"] = {
                "file_id": f"DOC-{unique}",
                "file_unique_id": f"D{unique}",
                "file_name": media.filename if isinstance(media, UploadedFile) else "file",
                "mime_type": media.content_type
                if isinstance(media, UploadedFile)
                else "application/octet-stream",
                "file_size": size,
            }
        else:
            message["photo"] = [
                {
                    "file_id": f"PHOTO-{unique}",
                    "file_unique_id": f"P{unique}",
                    "width": 800,
                    "height": 600,
                    "file_size": size,
                }
            ]
        if plain:
            message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        stored = _StoredMessage(message, True, caption, parse_mode)
        self._messages[(chat.id, message["message_id"])] = stored
        self._record_sent(chat.id, stored, method, caption, parse_mode)
        return message

    def _bot_sender(self, chat: _Chat) -> JSONDict | None:
        if chat.type == "channel":
            return None
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    def _api_edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        chat, stored = self._stored_for_edit(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parse_mode = _opt_str(params, "parse_mode") or None
        plain, entities = self._parse_text(
            text, parse_mode, params.get("entities"), limit=MAX_MESSAGE_LENGTH
        )
        markup = self._parse_markup(params, inline_only=True)
        if chat is None or stored is None:
            return True  # inline message: nothing to track
        if "text" not in stored.data:
            raise _bad("there is no text in the message to edit")
        data = stored.data
        if (
            data.get("text") == plain
            and data.get("entities", []) == entities
            and data.get("reply_markup") == markup
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._check_rate(chat, "editMessageText")
        data["text"] = plain
        if entities:
            data["entities"] = entities
        else:
            data.pop("entities", None)
        self._set_markup(data, markup)
        data["edit_date"] = int(time.time())
        stored.raw_text, stored.parse_mode = text, parse_mode
        self._record_sent(chat.id, stored, "editMessageText", text, parse_mode)
        return data

    def _api_edit_message_caption(self, params: JSONDict) -> JSONDict | bool:
        chat, stored = self._stored_for_edit(params)
        caption = _opt_str(params, "caption") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        plain, entities = "", list[JSONDict]()
        if caption:
            plain, entities = self._parse_text(
                caption,
                parse_mode,
                params.get("caption_entities"),
                limit=MAX_CAPTION_LENGTH,
                caption=True,
            )
        markup = self._parse_markup(params, inline_only=True)
        if chat is None or stored is None:
            return True
        data = stored.data
        if "text" in data:
            raise _bad("there is no caption in the message to edit")
        if (
            data.get("caption", "") == plain
            and data.get("caption_entities", []) == entities
            and data.get("reply_markup") == markup
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._check_rate(chat, "editMessageCaption")
        for key, value in (("caption", plain), ("caption_entities", entities)):
            if value:
                data[key] = value
            else:
                data.pop(key, None)
        self._set_markup(data, markup)
        data["edit_date"] = int(time.time())
        stored.raw_text, stored.parse_mode = caption, parse_mode
        self._record_sent(chat.id, stored, "editMessageCaption", caption, parse_mode)
        return data

    def _api_edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        chat, stored = self._stored_for_edit(params)
        markup = self._parse_markup(params, inline_only=True)
        if chat is None or stored is None:
            return True
        data = stored.data
        if data.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._check_rate(chat, "editMessageReplyMarkup")
        self._set_markup(data, markup)
        data["edit_date"] = int(time.time())
        self._record_sent(
            chat.id, stored, "editMessageReplyMarkup", stored.raw_text or "", stored.parse_mode
        )
        return data

    @staticmethod
    def _set_markup(data: JSONDict, markup: JSONDict | None) -> None:
        # Telegram drops the inline keyboard when an edit does not repeat it
        if markup is None:
            data.pop("reply_markup", None)
        else:
            data["reply_markup"] = markup

    def _api_delete_message(self, params: JSONDict) -> bool:
        chat = self._chat_for(params, posting=True)
        message_id = _req_int(params, "message_id")
        if self._messages.pop((chat.id, message_id), None) is None:
            raise _bad("message to delete not found")
        self._deleted.add((chat.id, message_id))
        return True

    def _api_delete_messages(self, params: JSONDict) -> bool:
        chat = self._chat_for(params, posting=True)
        ids = _json_field(params, "message_ids", "can't parse message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message identifiers are invalid")
        for message_id in ids:
            if isinstance(message_id, int) and (chat.id, message_id) in self._messages:
                del self._messages[(chat.id, message_id)]
                self._deleted.add((chat.id, message_id))
        return True

    def _api_send_chat_action(self, params: JSONDict) -> bool:
        chat = self._chat_for(params, posting=True)
        self._thread_for(chat, params)
        action = _opt_str(params, "action")
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    # -- queries

    def _api_answer_callback_query(self, params: JSONDict) -> bool:
        query_id = _opt_str(params, "callback_query_id") or ""
        text = _opt_str(params, "text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        if query_id not in self._open_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        self._callback_answers[query_id] = CallbackAnswer(
            callback_query_id=query_id,
            text=text,
            show_alert=_opt_bool(params, "show_alert"),
            url=_opt_str(params, "url"),
            cache_time=_opt_int(params, "cache_time"),
            at=time.monotonic(),
        )
        self._changed.notify_all()
        return True

    def _api_answer_inline_query(self, params: JSONDict) -> bool:
        query_id = _opt_str(params, "inline_query_id") or ""
        results = _json_field(params, "results", "can't parse inline query results JSON object")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        next_offset = _opt_str(params, "next_offset")
        if next_offset is not None and len(next_offset.encode("utf-8")) > MAX_INLINE_OFFSET_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")
        seen: set[str] = set()
        for result in results:
            self._validate_inline_result(result, seen)
        button = _json_field(params, "button", "can't parse InlineQueryResultsButton")
        if button is not None and (
            not isinstance(button, dict) or not isinstance(button.get("text"), str)
        ):
            raise _bad("can't parse InlineQueryResultsButton")
        if query_id not in self._open_inline:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_inline.discard(query_id)
        self._inline_answers[query_id] = InlineAnswer(
            inline_query_id=query_id,
            results=tuple(results),
            next_offset=next_offset,
            cache_time=_opt_int(params, "cache_time"),
            is_personal=_opt_bool(params, "is_personal"),
            button=button,
            at=time.monotonic(),
        )
        self._changed.notify_all()
        return True

    def _validate_inline_result(self, result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict):
            raise _bad("can't parse InlineQueryResult JSON object")
        result_type = result.get("type")
        if result_type not in _INLINE_RESULT_TYPES:
            raise _bad("RESULT_TYPE_INVALID")
        result_id = result.get("id")
        if (
            not isinstance(result_id, str)
            or not result_id
            or len(result_id.encode("utf-8")) > MAX_INLINE_RESULT_ID_BYTES
        ):
            raise _bad("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if result_type == "article":
            title = result.get("title")
            if not isinstance(title, str) or not title.strip():
                raise _bad("RESULT_TITLE_EMPTY")
            if not isinstance(result.get("input_message_content"), dict):
                raise _bad("can't parse InputMessageContent: input_message_content is required")
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            text = content["message_text"]
            if not isinstance(text, str) or not text:
                raise _bad("MESSAGE_EMPTY")
            try:
                self._parse_text(
                    text,
                    content.get("parse_mode"),
                    content.get("entities"),
                    limit=MAX_MESSAGE_LENGTH,
                )
            except ApiError as exc:
                if "too long" in exc.description:
                    raise _bad("MESSAGE_TOO_LONG") from None
                if "is empty" in exc.description:
                    raise _bad("MESSAGE_EMPTY") from None
                raise
        markup = result.get("reply_markup")
        if markup is not None:
            if not isinstance(markup, dict) or "inline_keyboard" not in markup:
                raise _bad("can't parse inline keyboard markup JSON object")
            self._validate_inline_keyboard(markup["inline_keyboard"])

    # -- chats and members

    def _api_get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params, posting=False)
        info = chat.to_json()
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return info

    def _member_json(self, chat_id: int, user_id: int) -> JSONDict:
        user = self._users[user_id].to_json()
        if self._creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self._admins.get(chat_id, ()):
            is_bot = user_id == self.bot_user["id"]
            rights = {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": not is_bot,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
            return {"status": "administrator", "user": user, **rights}
        status = self._member_status.get((chat_id, user_id), "member")
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    def _api_get_chat_member(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params, posting=False)
        user_id = _req_int(params, "user_id")
        if user_id not in self._users:
            raise _bad("user not found")
        if chat.type == "private" and user_id not in (chat.id, self.bot_user["id"]):
            raise _bad("user not found")
        return self._member_json(chat.id, user_id)

    def _api_get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat = self._chat_for(params, posting=False)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        ids: list[int] = []
        creator = self._creators.get(chat.id)
        if creator is not None:
            ids.append(creator)
        ids.extend(uid for uid in self._admins.get(chat.id, ()) if uid != creator)
        return [self._member_json(chat.id, uid) for uid in ids]

    def _api_get_chat_member_count(self, params: JSONDict) -> int:
        chat = self._chat_for(params, posting=False)
        if chat.type == "private":
            return 2
        members = {uid for (cid, uid), status in self._member_status.items() if cid == chat.id}
        members.update(self._admins.get(chat.id, ()))
        if chat.id in self._creators:
            members.add(self._creators[chat.id])
        members.add(self.bot_user["id"])
        return len(members)

    # ------------------------------------------------------------------ getUpdates

    def _get_updates(
        self, params: JSONDict, received: float
    ) -> _Reply | Coroutine[Any, Any, _Reply]:
        with self._lock:
            try:
                self._injected_fault("getUpdates")
                if self._webhook is not None:
                    raise ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first",
                    )
                offset = _opt_int(params, "offset") or 0
                limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
                raw_timeout = params.get("timeout", 0)
                timeout = float(raw_timeout) if isinstance(raw_timeout, int | float) else 0.0
                allowed = _json_field(params, "allowed_updates", "can't parse allowed updates")
                if isinstance(allowed, list):
                    self._allowed_updates = [str(kind) for kind in allowed]
            except ApiError as exc:
                self._record_call("getUpdates", params, received, exc.status, exc.description)
                if exc.status == _DROPPED:
                    return _Reply(0, b"", drop=True)
                return _Reply(exc.status, _error_body(exc.status, exc.description, exc.parameters))
            self._confirm(offset)
            # a newer getUpdates terminates an older one, as on Telegram
            self._resolve_pollers("conflict")
            updates = self._select_updates(limit)
            if updates or timeout <= 0 or self._stopping or self._loop is None:
                self._record_call("getUpdates", params, received, 200, None)
                return _Reply(200, _ok(updates))
            waiter: asyncio.Future[str] = self._loop.create_future()
            self._pollers.append(waiter)
        return self._long_poll(waiter, params, received, min(timeout, 60.0), limit)

    async def _long_poll(
        self,
        waiter: asyncio.Future[str],
        params: JSONDict,
        received: float,
        wait_seconds: float,
        limit: int,
    ) -> _Reply:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is not None:
            self._poll_tasks.add(task)
            task.add_done_callback(self._poll_tasks.discard)

        def expire() -> None:
            if not waiter.done():
                waiter.set_result("timeout")

        timer = loop.call_later(wait_seconds, expire)
        try:
            reason = await waiter
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._pollers:
                    self._pollers.remove(waiter)
            self._record_call(
                "getUpdates", params, received, _CLIENT_CLOSED, "client went away before the answer"
            )
            raise
        finally:
            timer.cancel()
        with self._lock:
            if waiter in self._pollers:
                self._pollers.remove(waiter)
            if reason in ("conflict", "conflict_webhook"):
                description = (
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running"
                    if reason == "conflict"
                    else "Conflict: terminated by setWebhook request"
                )
                self._record_call("getUpdates", params, received, 409, description)
                return _Reply(409, _error_body(409, description))
            updates = self._select_updates(limit)
            self._record_call("getUpdates", params, received, 200, None)
            return _Reply(200, _ok(updates))

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            index = 0
            while index < len(self._updates) and self._updates[index]["update_id"] < offset:
                index += 1
            if index:
                del self._updates[:index]
        elif offset < 0:
            del self._updates[: max(0, len(self._updates) + offset)]

    def _is_allowed(self, update: Mapping[str, Any], allowed: list[str] | None) -> bool:
        kind = _update_type(update)
        if not allowed:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in allowed

    def _select_updates(self, limit: int) -> list[JSONDict]:
        allowed = self._allowed_updates
        if any(not self._is_allowed(u, allowed) for u in self._updates):
            self._updates = [u for u in self._updates if self._is_allowed(u, allowed)]
        return self._updates[:limit]

    def _resolve_pollers(self, reason: str) -> None:
        for waiter in self._pollers:
            if not waiter.done():
                waiter.set_result(reason)
        self._pollers.clear()

    def _wake(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._wake_in_loop)

    def _wake_in_loop(self) -> None:
        with self._lock:
            if self._updates:
                for waiter in self._pollers:
                    if not waiter.done():
                        waiter.set_result("wake")
                self._pollers.clear()
        if self._webhook_wake is not None:
            self._webhook_wake.set()

    # ------------------------------------------------------------------ webhook delivery

    def _restart_webhook_pump(self) -> None:
        """Called with the lock held, from the server thread."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self._webhook is not None and self._loop is not None and not self._stopping:
            self._webhook_task = self._loop.create_task(self._webhook_pump(self._webhook))

    async def _webhook_pump(self, hook: _Webhook) -> None:
        wake = self._webhook_wake
        assert wake is not None
        backoff = 0.05
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                with self._lock:
                    if self._webhook is not hook:
                        return
                    pending = self._select_updates(1)
                if not pending:
                    wake.clear()
                    await wake.wait()
                    continue
                update = pending[0]
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                try:
                    response = await client.post(
                        hook.url, content=json.dumps(update, ensure_ascii=False), headers=headers
                    )
                    status = response.status_code
                    error = f"Wrong response from the webhook: {status} {response.reason_phrase}"
                except httpx.HTTPError as exc:
                    status, error = 0, f"Connection failed: {exc!r}"
                with self._lock:
                    self._webhook_deliveries.append((update["update_id"], status))
                    if 200 <= status < 300:
                        if self._updates and self._updates[0] is update:
                            self._updates.pop(0)
                        backoff = 0.05
                    else:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = error
                    self._changed.notify_all()
                if not 200 <= status < 300:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)


# --------------------------------------------------------------------------- HTTP/1.1


class _HttpError(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class _HttpConnection(asyncio.Protocol):
    """A minimal HTTP/1.1 server connection: keep-alive, Content-Length and chunked bodies."""

    def __init__(self, api: FakeBotAPI) -> None:
        self._api = api
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self.task: asyncio.Task[_Reply] | None = None
        self._closed = False
        self._sent_continue = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._api._conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._api._conns.discard(self)
        if self.task is not None:
            self.task.cancel()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self.task is None:
            self._process()

    def close(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _process(self) -> None:
        while self.task is None and not self._closed and self._buf:
            try:
                request = self._parse_one()
            except _HttpError as exc:
                self._write_raw(exc.status, _error_body(exc.status, _PHRASES.get(exc.status, "")))
                self.close()
                return
            if request is None:
                return
            http_method, target, headers, body, keep_alive = request
            try:
                reply = self._api._handle_http(http_method, target, headers, body)
            except Exception as exc:  # a bug in the fake; keep the connection usable
                description = f"Internal Server Error: {type(exc).__name__}: {exc}"
                with self._api._lock:
                    self._api._errors.append(description)
                reply = _Reply(500, _error_body(500, description))
            if isinstance(reply, _Reply):
                self._send(reply, keep_alive)
            else:
                task = asyncio.get_running_loop().create_task(reply)
                self.task = task
                task.add_done_callback(functools.partial(self._task_done, keep_alive=keep_alive))

    def _task_done(self, task: asyncio.Task[_Reply], *, keep_alive: bool) -> None:
        self.task = None
        if task.cancelled() or self._closed:
            return
        exc = task.exception()
        if exc is not None:
            description = f"Internal Server Error: {type(exc).__name__}: {exc}"
            with self._api._lock:
                self._api._errors.append(description)
            reply = _Reply(500, _error_body(500, description))
        else:
            reply = task.result()
        self._send(reply, keep_alive)
        if self._buf and not self._closed:
            self._process()

    def _send(self, reply: _Reply, keep_alive: bool) -> None:
        if reply.drop:
            self._buf.clear()
            self.abort()
            return
        self._write_raw(reply.status, reply.body, keep_alive=keep_alive)
        if not keep_alive:
            self.close()

    def _write_raw(self, status: int, body: bytes, *, keep_alive: bool = False) -> None:
        transport = self._transport
        if transport is None or self._closed or transport.is_closing():
            return
        connection = "" if keep_alive else "Connection: close\r\n"
        head = (
            f"HTTP/1.1 {status} {_PHRASES.get(status, 'Unknown')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{connection}\r\n"
        )
        transport.write(head.encode("latin-1") + body)

    def _parse_one(self) -> tuple[str, str, dict[str, str], bytes, bool] | None:
        buf = self._buf
        while buf[:2] == b"\r\n":
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > _MAX_HEADER_BYTES:
                raise _HttpError(431)
            return None
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        request_line = lines[0].split(" ")
        if len(request_line) != 3 or not request_line[2].startswith("HTTP/1."):
            raise _HttpError(400)
        http_method, target, version = request_line
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError(400)
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = self._dechunk(start)
            if parsed is None:
                self._maybe_continue(headers)
                return None
            body, stop = parsed
        else:
            try:
                length = int(headers.get("content-length", "0") or "0")
            except ValueError:
                raise _HttpError(400) from None
            if length < 0 or length > _MAX_BODY_BYTES:
                raise _HttpError(413)
            if len(buf) < start + length:
                self._maybe_continue(headers)
                return None
            body, stop = bytes(buf[start : start + length]), start + length
        del buf[:stop]
        self._sent_continue = False
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return http_method, target, headers, body, keep_alive

    def _maybe_continue(self, headers: Mapping[str, str]) -> None:
        if headers.get("expect", "").lower() == "100-continue" and not self._sent_continue:
            self._sent_continue = True
            if self._transport is not None:
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _dechunk(self, pos: int) -> tuple[bytes, int] | None:
        buf = self._buf
        body = bytearray()
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None
            try:
                size = int(bytes(buf[pos:eol]).split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _HttpError(400) from None
            pos = eol + 2
            if size == 0:
                while True:  # optional trailers, then an empty line
                    eol = buf.find(b"\r\n", pos)
                    if eol < 0:
                        return None
                    if eol == pos:
                        return bytes(body), eol + 2
                    pos = eol + 2
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos : pos + size]
            if len(body) > _MAX_BODY_BYTES:
                raise _HttpError(413)
            pos += size + 2
