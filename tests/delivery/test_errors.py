from __future__ import annotations

import datetime as dt

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

from digestbot.delivery.errors import Action, classify


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
