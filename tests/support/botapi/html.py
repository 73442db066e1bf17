"""Telegram's HTML parse mode, parsed the way TDLib parses it: markup in, plain text and
message entities out, or an ``EntityParseError`` in Telegram's wording.

Stricter than Telegram in two places: an ``&`` that does not start ``&lt;``, ``&gt;``,
``&amp;``, ``&quot;`` or a numeric reference is rejected (Telegram passes it through
literally, which hides an escaping bug), and ``<a>`` must have an ``href``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.support.botapi.wire import JSONDict

WHITESPACE = frozenset(" \t\n\r\f\v")

_SPECIAL = re.compile(r"[<&]")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAGS = {
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


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML (Telegram's wording, without its
    "can't parse entities: " prefix)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for offsets and limits."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset Telegram's error messages name."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


@dataclass
class _OpenTag:
    tag: str
    type: str
    offset: int  # UTF-16 offset in the plain text
    extra: JSONDict


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """(plain text, entities); entity offsets and lengths are in UTF-16 code units."""
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
        match = _SPECIAL.search(text, i)
        if match is None:
            emit(text[i:])
            break
        if match.start() > i:
            emit(text[i : match.start()])
        i = match.start()
        if text[i] == "&":
            char, i = _read_character_reference(text, i)
            emit(char)
        elif text.startswith("</", i):
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(text, i)}")
            name, after = _read_end_tag(text, i)
            top = stack.pop()
            if name and name != top.tag:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {byte_offset(text, i)}, "
                    f'expected "</{top.tag}>", found "</{name}>"'
                )
            _close(top, pos16, stack, entities)
            i = after
        else:
            tag, attrs, after = _read_start_tag(text, i)
            extra = _tag_extra(tag, attrs, f"at byte offset {byte_offset(text, i)}")
            stack.append(_OpenTag(tag, _TAGS[tag], pos16, extra))
            i = after

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_character_reference(text: str, pos: int) -> tuple[str, int] | None:
    """The character and the index after the reference at ``text[pos] == '&'`` (as TDLib
    decodes it), or None if it is not one."""
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


def _read_character_reference(text: str, pos: int) -> tuple[str, int]:
    decoded = _decode_character_reference(text, pos)
    if decoded is not None:
        return decoded
    n = len(text)
    end = pos + 1
    while end < n and end - pos < 32 and (text[end].isalnum() or text[end] == "#"):
        end += 1
    if end < n and text[end] == ";":
        end += 1
    raise EntityParseError(
        f'Unsupported HTML entity "{text[pos:end]}" at byte offset {byte_offset(text, pos)}'
    )


def _read_end_tag(text: str, begin: int) -> tuple[str, int]:
    """(lower-case name, index after ``>``) of the end tag at ``text[begin:]``."""
    n = len(text)
    k = begin + 2
    while k < n and ((text[k].isascii() and text[k].isalpha()) or text[k] == "-"):
        k += 1
    name = text[begin + 2 : k].lower()
    while k < n and text[k] in WHITESPACE:
        k += 1
    if k >= n or text[k] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(text, begin)}")
    return name, k + 1


def _read_start_tag(text: str, begin: int) -> tuple[str, dict[str, str], int]:
    """(lower-case tag, attributes, index after ``>``) of the start tag at ``text[begin:]``."""
    n = len(text)
    at = f"at byte offset {byte_offset(text, begin)}"
    k = begin + 1
    while k < n and text[k] not in WHITESPACE and text[k] != ">":
        k += 1
    if k >= n:
        raise EntityParseError(f"Unclosed start tag {at}")
    tag = text[begin + 1 : k].lower()
    if tag not in _TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" {at}')
    attrs: dict[str, str] = {}
    while True:
        while k < n and text[k] in WHITESPACE:
            k += 1
        if k >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" {at}')
        if text[k] == ">":
            return tag, attrs, k + 1
        name_start = k
        while k < n and text[k] not in WHITESPACE and text[k] not in "=>":
            k += 1
        name = text[name_start:k].lower()
        if not name:
            raise EntityParseError(f'Empty attribute name in the tag "{tag}" {at}')
        while k < n and text[k] in WHITESPACE:
            k += 1
        if k >= n or text[k] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs["expandable"] = ""
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" {at}'
            )
        k += 1
        while k < n and text[k] in WHITESPACE:
            k += 1
        if k >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" {at}')
        attrs[name], k = _read_attribute_value(text, k, at)


def _read_attribute_value(text: str, k: int, at: str) -> tuple[str, int]:
    n = len(text)
    if text[k] not in "'\"":
        start = k
        while k < n and ((text[k].isascii() and text[k].isalnum()) or text[k] in ".-"):
            k += 1
        if k >= n or (text[k] not in WHITESPACE and text[k] != ">"):
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {byte_offset(text, k)}"
            )
        return text[start:k].lower(), k
    quote = text[k]
    k += 1
    parts: list[str] = []
    while k < n and text[k] != quote:
        if text[k] == "&":
            decoded = _decode_character_reference(text, k)
            if decoded is not None:
                parts.append(decoded[0])
                k = decoded[1]
                continue
        parts.append(text[k])
        k += 1
    if k >= n:
        raise EntityParseError(f"Unclosed start tag {at}")
    return "".join(parts), k + 1


def _tag_extra(tag: str, attrs: dict[str, str], at: str) -> JSONDict:
    """The entity fields a start tag's attributes give (url, language, ...)."""
    extra: JSONDict = {}
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {at}')
    if tag == "a":
        href = attrs.get("href", "").strip()
        if not href:
            raise EntityParseError(f'Tag "a" must have attribute "href" {at}')
        extra["url"] = href
    elif tag == "code":
        cls = attrs.get("class", "")
        if cls.startswith("language-") and len(cls) > len("language-"):
            extra["language"] = cls[len("language-") :]
    elif tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise EntityParseError(f'Tag "tg-emoji" must have attribute "emoji-id" {at}')
        extra["custom_emoji_id"] = emoji_id
    elif tag == "tg-time":
        unix = attrs.get("unix", "")
        if not unix.isdigit():
            raise EntityParseError(f'Tag "tg-time" must have attribute "unix" {at}')
        extra["unix_time"] = int(unix)
        if attrs.get("format"):
            extra["date_time_format"] = attrs["format"]
    elif tag == "blockquote" and "expandable" in attrs:
        extra["expandable"] = True
    return extra


def _close(top: _OpenTag, pos16: int, stack: list[_OpenTag], entities: list[JSONDict]) -> None:
    if top.type == "code" and stack and stack[-1].type == "pre":
        # <pre><code class="language-x">...</code></pre> is one "pre" entity with a language
        if "language" in top.extra:
            stack[-1].extra["language"] = top.extra["language"]
        return
    length = pos16 - top.offset
    if length <= 0:
        return
    entity_type = top.type
    extra = dict(top.extra)
    if entity_type == "blockquote" and extra.pop("expandable", False):
        entity_type = "expandable_blockquote"
    entities.append({"type": entity_type, "offset": top.offset, "length": length, **extra})
