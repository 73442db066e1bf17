"""What happened, recorded for the tests to read: every call, every message the bot sent
or edited, the answers to queries, limit violations, webhook deliveries, internal errors.

Writers hold the server's lock; every write wakes the threads waiting on ``changed``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import NamedTuple

from tests.support.botapi.wire import JSONDict, UploadedFile


@dataclass(frozen=True)
class SentMessage:
    """An outgoing message the server accepted (a send or an edit)."""

    chat_id: int
    text: str  # as sent by the bot (e.g. with HTML markup)
    parse_mode: str | None
    reply_markup: JSONDict | None  # the keyboard the message carries afterwards
    message_thread_id: int | None
    message_id: int
    method: str  # "sendMessage" or "editMessageText"
    at: float  # time.monotonic() when accepted
    plain_text: str = ""  # text after entity parsing, as a user sees it
    entities: tuple[JSONDict, ...] = ()
    document: UploadedFile | None = None  # sendDocument: the file (text is its caption)


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
    at: float
    url: str | None = None  # a t.me/<bot>?start=... link the client opens


@dataclass(frozen=True)
class InlineAnswer:
    inline_query_id: str
    results: tuple[JSONDict, ...]
    next_offset: str | None
    cache_time: int | None
    at: float
    button: JSONDict | None = None  # InlineQueryResultsButton, when one was sent


class Violation(NamedTuple):
    """A send that enforce_limits() answered with 429."""

    limit: str  # "global", "private" or "group"
    chat_id: int
    at: float


class Records:
    def __init__(self, changed: threading.Condition) -> None:
        self._changed = changed
        self._calls: list[Call] = []
        self._calls_by_method: dict[str, list[Call]] = {}
        self._sent: list[SentMessage] = []
        self._sent_by_chat: dict[int, list[SentMessage]] = {}
        self._callback_answers: dict[str, CallbackAnswer] = {}
        self._inline_answers: dict[str, InlineAnswer] = {}
        self._violations: list[Violation] = []
        self._paid = 0  # accepted sends with allow_paid_broadcast
        self._webhook_deliveries: list[tuple[int, int]] = []
        self._errors: list[str] = []

    # ------------------------------------------------------------------ writing

    def add_call(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._calls_by_method.setdefault(call.method.lower(), []).append(call)
            self._changed.notify_all()

    def add_sent(self, sent: SentMessage) -> None:
        with self._changed:
            self._sent.append(sent)
            self._sent_by_chat.setdefault(sent.chat_id, []).append(sent)
            self._changed.notify_all()

    def add_callback_answer(self, answer: CallbackAnswer) -> None:
        with self._changed:
            self._callback_answers[answer.callback_query_id] = answer
            self._changed.notify_all()

    def add_inline_answer(self, answer: InlineAnswer) -> None:
        with self._changed:
            self._inline_answers[answer.inline_query_id] = answer
            self._changed.notify_all()

    def add_paid(self, chat_id: int) -> None:
        with self._changed:
            self._paid += 1

    def add_violation(self, violation: Violation) -> None:
        with self._changed:
            self._violations.append(violation)
            self._changed.notify_all()

    def add_webhook_delivery(self, update_id: int, status: int) -> None:
        with self._changed:
            self._webhook_deliveries.append((update_id, status))
            self._changed.notify_all()

    def add_error(self, description: str) -> None:
        with self._changed:
            self._errors.append(description)
            self._changed.notify_all()

    # ------------------------------------------------------------------ reading (copies)

    def calls(self, method: str | None = None) -> list[Call]:
        with self._changed:
            if method is None:
                return list(self._calls)
            return list(self._calls_by_method.get(method.lower(), []))

    def sent(self) -> list[SentMessage]:
        with self._changed:
            return list(self._sent)

    def sent_to(self, chat_id: int, method: str | None = None) -> list[SentMessage]:
        with self._changed:
            sent = self._sent_by_chat.get(chat_id, [])
            if method is None:
                return list(sent)
            return [m for m in sent if m.method.lower() == method.lower()]

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        with self._changed:
            return self._callback_answers.get(callback_query_id)

    def inline_answers(self) -> dict[str, InlineAnswer]:
        with self._changed:
            return dict(self._inline_answers)

    def paid(self) -> int:
        with self._changed:
            return self._paid

    def violations(self) -> list[Violation]:
        with self._changed:
            return list(self._violations)

    def webhook_deliveries(self) -> list[tuple[int, int]]:
        with self._changed:
            return list(self._webhook_deliveries)

    def errors(self) -> list[str]:
        with self._changed:
            return list(self._errors)

    def summary(self, last: int = 8) -> str:
        """The last calls as ``method:status``, for timeout messages."""
        with self._changed:
            recent = self._calls[-last:]
        return ", ".join(f"{c.method}:{c.status}" for c in recent) or "none"
