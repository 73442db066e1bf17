"""The one place that maps Telegram's answers to delivery actions.

=====================================  =================================================
Telegram says                          the engine does
=====================================  =================================================
429 ``RetryAfter(n)``                  WAIT: pause that chat n s and retry (a wait longer
                                       than ``delivery_max_sleep`` is rescheduled)
403 ``Forbidden`` (blocked, kicked,    DEACTIVATE: ``chats.active = False`` with the
deactivated, not a member)             reason; the delivery fails; subscriptions are kept
400 "chat not found", "not enough      DEACTIVATE (the chat is gone or the bot may not
rights to send"                        write there)
400 "message thread not found",        DEACTIVATE_TOPIC: that topic's subscription is
"topic closed/deleted"                 switched off, the chat stays active
``ChatMigrated(new_id)``               MIGRATE: the stored chat id becomes new_id, retry
other 400 ``BadRequest``               FAIL: the message itself is bad; admins are told
``TimedOut``, ``NetworkError``, 5xx    RETRY: backoff, then FAIL after
                                       ``delivery_max_attempts``
``InvalidToken``, anything else        RETRY with backoff, admins told (configuration)
=====================================  =================================================

``BadRequest`` and ``TimedOut`` subclass ``NetworkError`` in python-telegram-bot, so the
order of the checks below matters.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)


class Action(enum.Enum):
    WAIT = "wait"
    DEACTIVATE = "deactivate"
    DEACTIVATE_TOPIC = "deactivate_topic"
    MIGRATE = "migrate"
    FAIL = "fail"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Action
    reason: str
    retry_after: float = 0.0
    new_chat_id: int | None = None
    alert: bool = False  # admins should hear about it


# Lower-cased fragments of Telegram's 400 descriptions, grouped by meaning.
CHAT_GONE = (
    "chat not found",
    "not enough rights to send",
    "have no rights to send",
    "need administrator rights",
    "chat_write_forbidden",
    "user is deactivated",
    "bot was kicked",
    "peer_id_invalid",
)
TOPIC_GONE = (
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "topic closed",
    "topic deleted",
)


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB returns a timedelta when PTB_TIMEDELTA is set, an int (with a warning) otherwise
    value: int | float | dt.timedelta = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def classify(exc: BaseException) -> Outcome:
    """What to do about an exception raised while sending one message."""
    reason = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, RetryAfter):
        return Outcome(Action.WAIT, reason, retry_after=retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Outcome(Action.MIGRATE, reason, new_chat_id=int(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return Outcome(Action.DEACTIVATE, reason)
    if isinstance(exc, BadRequest):
        text = str(exc).lower()
        if any(fragment in text for fragment in TOPIC_GONE):
            return Outcome(Action.DEACTIVATE_TOPIC, reason)
        if any(fragment in text for fragment in CHAT_GONE):
            return Outcome(Action.DEACTIVATE, reason)
        return Outcome(Action.FAIL, reason, alert=True)
    if isinstance(exc, TimedOut | NetworkError):
        return Outcome(Action.RETRY, reason)
    if isinstance(exc, InvalidToken):
        return Outcome(Action.RETRY, reason, alert=True)
    return Outcome(Action.RETRY, reason, alert=True)
