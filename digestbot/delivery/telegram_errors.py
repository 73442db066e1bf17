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

A retry whose outcome is *unknown* is marked ``uncertain``: a read timeout, or a
connection that broke after the request went out, may come after Telegram accepted the
message, so the retry may deliver it twice. Timeouts waiting for a pooled connection or
for the connection itself are certain (nothing left the process) and are not marked.

At start-up (``getMe``) a token the server rejects (401/404, ``InvalidToken``) is a
configuration error: ``startup_error`` turns it, and any other Telegram error there, into
a ``ConfigError`` whose text never holds the token (python-telegram-bot's own message
does: "The token `…` was rejected by the server").
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

import aiohttp
import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from digestbot.errors import ConfigError
from digestbot.logs import redact


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
    uncertain: bool = False  # Telegram may have accepted the message: a retry may repeat it


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
        return Outcome(Action.RETRY, reason, uncertain=outcome_unknown(exc))
    if isinstance(exc, InvalidToken):
        return Outcome(Action.RETRY, reason, alert=True)
    return Outcome(Action.RETRY, reason, alert=True)


# --------------------------------------------------------------------------- answers


def answer_error(status: int, payload: bytes) -> TelegramError | None:
    """The exception python-telegram-bot raises for the Bot API answer ``status`` /
    ``payload`` (None: Telegram accepted the request), for the engine's sends, which do
    not go through ``Bot.send_message`` (``delivery.client``). It mirrors
    ``BaseRequest._request_wrapper`` and ``BaseRequest.post`` of the pinned PTB (22.8),
    and a test holds the two to the same answers: ``migrate_to_chat_id`` →
    ``ChatMigrated``, ``retry_after`` → ``RetryAfter`` (a ``timedelta`` under
    ``PTB_TIMEDELTA``, seconds otherwise), then 403 ``Forbidden``, 401/404
    ``InvalidToken``, 400 ``BadRequest``, 409 ``Conflict``, anything else
    ``NetworkError``; the message is Telegram's description."""
    try:
        answer = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        answer = None
    if HTTPStatus.OK <= status <= 299:
        if isinstance(answer, dict) and "result" in answer:
            return None
        return TelegramError("Invalid server response")
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    if not isinstance(answer, dict):
        message += f". Parsing the server response {payload!r} failed"
    else:
        message = answer.get("description") or message
        parameters = answer.get("parameters")
        if parameters:
            if migrate_to := parameters.get("migrate_to_chat_id"):
                return ChatMigrated(migrate_to)
            if retry_after := parameters.get("retry_after"):
                return RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    if status == HTTPStatus.FORBIDDEN:
        return Forbidden(message)
    if status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        return InvalidToken(message)
    if status == HTTPStatus.BAD_REQUEST:
        return BadRequest(message)
    if status == HTTPStatus.CONFLICT:
        return Conflict(message)
    return NetworkError(message)


# the HTTP errors (aiohttp: the engine's sends; httpx: PTB's default, getUpdates) under
# python-telegram-bot's TimedOut/NetworkError that leave no doubt: the request never left
# (no pooled connection free, no connection made)
_NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.PoolTimeout,
    httpx.ConnectTimeout,
    httpx.ConnectError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.ClientConnectorError,
)
# ... and those raised after the request may have reached Telegram
_MAYBE_SENT: tuple[type[BaseException], ...] = (
    httpx.ReadTimeout,
    httpx.ReadError,
    httpx.RemoteProtocolError,
    aiohttp.SocketTimeoutError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientPayloadError,
    aiohttp.ClientOSError,
    TimeoutError,
)


def outcome_unknown(exc: BaseException) -> bool:
    """True when Telegram may have accepted the message although the send raised ``exc``
    (a read timeout, a connection dropped before the answer): a retry may duplicate it."""
    cause = exc.__cause__
    if isinstance(cause, _NOT_SENT):
        return False
    if isinstance(cause, _MAYBE_SENT):
        return True
    # a bare TimedOut (no httpx cause known): assume the worst
    return isinstance(exc, TimedOut)


# --------------------------------------------------------------------------- the token

TOKEN_REJECTED = "rejected by the Bot API server (revoked or mistyped?)"  # noqa: S105


def describe(exc: BaseException, token: str | None = None) -> str:
    """``Type: message`` for logs and errors, with ``token`` taken out."""
    return redact(f"{type(exc).__name__}: {exc}", token)


def token_rejected(exc: BaseException) -> bool:
    """The Bot API server refused the token (401 or 404 on getMe: revoked, mistyped)."""
    return isinstance(exc, InvalidToken)


def startup_error(exc: BaseException, token: str | None, api_url: str) -> ConfigError | None:
    """What a failed bot start-up (``Bot.initialize``, i.e. getMe) means for the user:
    a rejected token names DIGESTBOT_TOKEN, another Telegram error DIGESTBOT_API_URL;
    None for anything else. Raise it ``from None``: python-telegram-bot's exception,
    which would come along as ``__context__``, holds the token."""
    if token_rejected(exc):
        return ConfigError("DIGESTBOT_TOKEN", TOKEN_REJECTED)
    if isinstance(exc, TelegramError):
        return ConfigError(
            "DIGESTBOT_API_URL",
            f"the Bot API server at {redact(api_url, token)} failed at start-up: "
            f"{describe(exc, token)}",
        )
    return None


async def initialize_safely(
    initialize: Callable[[], Awaitable[None]],
    token: str | None,
    api_url: str,
    *,
    on_failure: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Run a bot's start-up (``initialize``: getMe) so that a failure never shows the
    token: a rejected token or another Telegram error becomes ``startup_error``'s
    ``ConfigError``, raised outside the ``except`` block so that the library's exception
    (which holds the token) is not even its ``__context__``. ``on_failure`` runs first
    (closing what start-up opened)."""
    error: ConfigError | None = None
    try:
        await initialize()
    except BaseException as exc:
        if on_failure is not None:
            await on_failure()
        if isinstance(exc, Exception):
            error = startup_error(exc, token, api_url)
        if error is None:
            raise
    if error is not None:
        raise error from None
