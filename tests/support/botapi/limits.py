"""Telegram's limits: message length after entity parsing, sizes of buttons and answers,
and the flood limits on sends (sliding windows)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from tests.support.botapi.errors import bad, not_modelled
from tests.support.botapi.html import EntityParseError, parse_html, utf16_len
from tests.support.botapi.wire import JSONDict

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units of the text as a user sees it
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_INLINE_OFFSET_BYTES = 64
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_KEYBOARD_BUTTONS = 100
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256


def parse_message_text(text: str, parse_mode: object) -> tuple[str, list[JSONDict]]:
    """(plain text, entities) of a message text, or the ApiError Telegram answers."""
    mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
    if mode == "html":
        try:
            plain, entities = parse_html(text)
        except EntityParseError as exc:
            raise bad(f"can't parse entities: {exc}") from None
    elif mode == "":
        plain, entities = text, []
    elif mode in ("markdown", "markdownv2"):
        raise not_modelled(f"parse_mode {parse_mode}")
    else:
        raise bad("unsupported parse_mode")
    if not plain.strip():
        raise bad("message text is empty")
    if utf16_len(plain) > MAX_MESSAGE_LENGTH:
        raise bad("message is too long")
    return plain, entities


@dataclass
class FloodLimits:
    """At most ``global_per_s`` sends a second in all, ``per_private_chat_per_s`` a second to
    one private chat and ``per_group_per_min`` a minute to one group or channel.

    A send with ``allow_paid_broadcast`` (a paid broadcast, Bot API 7.11) is held to
    ``paid_per_s`` sends a second of every kind instead of ``global_per_s`` (the chat
    limits still apply); sends without it stay within ``global_per_s`` among themselves.
    """

    global_per_s: int
    per_private_chat_per_s: int
    per_group_per_min: int
    paid_per_s: int = 1000
    _global: deque[float] = field(default_factory=deque)  # sends without the flag
    _all: deque[float] = field(default_factory=deque)  # every send
    _chats: dict[int, deque[float]] = field(default_factory=dict)

    def admit(
        self, chat_id: int, private: bool, now: float, *, paid: bool = False
    ) -> tuple[str, float] | None:
        """Count a send at ``now`` (monotonic) and return None; or, if it breaks a limit,
        count nothing and return the limit ("global", "paid", "private" or "group") and
        the seconds until the send would be allowed."""
        _expire(self._global, now - 1.0)
        _expire(self._all, now - 1.0)
        if private:
            span, allowed, kind = 1.0, self.per_private_chat_per_s, "private"
        else:
            span, allowed, kind = 60.0, self.per_group_per_min, "group"
        chat = self._chats.setdefault(chat_id, deque())
        _expire(chat, now - span)
        wait, broken = 0.0, ""
        if paid and len(self._all) >= self.paid_per_s:
            wait, broken = self._all[0] + 1.0 - now, "paid"
        if not paid and len(self._global) >= self.global_per_s:
            wait, broken = self._global[0] + 1.0 - now, "global"
        if len(chat) >= allowed and chat[0] + span - now > wait:
            wait, broken = chat[0] + span - now, kind
        if broken:
            return broken, wait
        if not paid:
            self._global.append(now)
        self._all.append(now)
        chat.append(now)
        return None


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()
