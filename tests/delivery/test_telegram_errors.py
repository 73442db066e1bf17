from __future__ import annotations

import datetime as dt

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from digestbot.delivery.telegram_errors import (
    Action,
    classify,
    describe,
    outcome_unknown,
    startup_error,
    token_rejected,
)


def test_retry_after_waits_for_the_given_seconds() -> None:
    outcome = classify(RetryAfter(dt.timedelta(seconds=7)))
    assert outcome.action is Action.WAIT
    assert outcome.retry_after == 7.0


def test_migration_carries_the_new_chat_id() -> None:
    outcome = classify(ChatMigrated(-1001234))
    assert outcome.action is Action.MIGRATE
    assert outcome.new_chat_id == -1001234


@pytest.mark.parametrize(
    "description",
    [
        "Forbidden: bot was blocked by the user",
        "Forbidden: bot was kicked from the group chat",
        "Forbidden: user is deactivated",
        "Forbidden: bot is not a member of the channel chat",
    ],
)
def test_forbidden_deactivates_the_chat(description: str) -> None:
    outcome = classify(Forbidden(description))
    assert outcome.action is Action.DEACTIVATE
    assert description in outcome.reason
    assert not outcome.alert


def test_chat_not_found_deactivates_the_chat() -> None:
    assert classify(BadRequest("Bad Request: chat not found")).action is Action.DEACTIVATE
    assert (
        classify(
            BadRequest("Bad Request: not enough rights to send text messages to the chat")
        ).action
        is Action.DEACTIVATE
    )


def test_a_deleted_topic_switches_off_that_topic_only() -> None:
    outcome = classify(BadRequest("Bad Request: message thread not found"))
    assert outcome.action is Action.DEACTIVATE_TOPIC


@pytest.mark.parametrize(
    "description",
    [
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 3',
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
    ],
)
def test_a_bad_message_fails_and_alerts(description: str) -> None:
    outcome = classify(BadRequest(description))
    assert outcome.action is Action.FAIL
    assert outcome.alert
    # PTB drops the "Bad Request: " prefix; the rest is kept as the reason
    assert description.removeprefix("Bad Request: ").lower() in outcome.reason.lower()


@pytest.mark.parametrize(
    "exc",
    [TimedOut(), NetworkError("Bad Gateway"), NetworkError("Internal Server Error (500)")],
)
def test_timeouts_network_errors_and_5xx_are_retried(exc: Exception) -> None:
    outcome = classify(exc)
    assert outcome.action is Action.RETRY
    assert not outcome.alert


def test_an_invalid_token_is_retried_and_alerts() -> None:
    outcome = classify(InvalidToken("Unauthorized"))
    assert outcome.action is Action.RETRY
    assert outcome.alert


def raised(exc: Exception, cause: Exception) -> Exception:
    """``exc`` as python-telegram-bot raises it: ``raise exc from cause``."""
    try:
        raise exc from cause
    except Exception as caught:
        return caught


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        # the request went out; Telegram may have taken the message before we gave up
        (raised(TimedOut(), httpx.ReadTimeout("read")), True),
        (raised(NetworkError("httpx.ReadError: "), httpx.ReadError("reset")), True),
        (raised(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("x")), True),
        (TimedOut(), True),  # no cause known: assume the worst
        # nothing left the process
        (raised(TimedOut("Pool timeout"), httpx.PoolTimeout("pool")), False),
        (raised(TimedOut(), httpx.ConnectTimeout("connect")), False),
        (raised(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")), False),
        # Telegram answered
        (NetworkError("Bad Gateway"), False),
    ],
)
def test_retries_whose_outcome_is_unknown_are_marked(exc: Exception, unknown: bool) -> None:
    outcome = classify(exc)
    assert outcome.action is Action.RETRY
    assert outcome.uncertain is unknown
    assert outcome_unknown(exc) is unknown


TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345"


def test_describe_takes_the_token_out() -> None:
    exc = InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
    assert describe(exc, TOKEN) == "InvalidToken: The token `<token>` was rejected by the server."
    # its secret half alone (after the colon) is taken out too
    assert describe(NetworkError("url /botx/ABCdefGHIjklMNOpqrSTUvwxYZ012345"), TOKEN) == (
        "NetworkError: url /botx/<token>"
    )
    assert describe(ValueError("plain")) == "ValueError: plain"


def test_a_rejected_token_at_start_up_names_the_setting_not_the_token() -> None:
    rejected = InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
    assert token_rejected(rejected)
    error = startup_error(rejected, TOKEN, "http://127.0.0.1:1")
    assert error is not None and error.setting == "DIGESTBOT_TOKEN"
    assert str(error) == "DIGESTBOT_TOKEN: rejected by the Bot API server (revoked or mistyped?)"

    down = startup_error(NetworkError(f"cannot reach /bot{TOKEN}/getMe"), TOKEN, "http://h:1")
    assert down is not None and down.setting == "DIGESTBOT_API_URL"
    assert TOKEN not in str(down) and "http://h:1" in str(down)

    assert not token_rejected(NetworkError("x"))
    assert startup_error(ValueError("not telegram"), TOKEN, "http://h:1") is None
