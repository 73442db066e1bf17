"""Telegram HTML → plain text, for the terminal (``digestbot today``, ``stats``…). Pure."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

__all__ = ["html_to_text", "messages_to_text"]

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)


def html_to_text(text: str) -> str:
    """Telegram HTML → plain text for the terminal: links become ``text (url)``."""

    def plain_link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        return f"{label} ({url})"

    text = _LINK.sub(plain_link, text)
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def messages_to_text(messages: Iterable[str]) -> str:
    return "\n\n".join(html_to_text(m) for m in messages)
