"""Failures: the token never shows up in logs or errors; users get a short apology."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digestbot.bot.app import build_application, running
from digestbot.errors import ConfigError
from tests.bot.conftest import Driver, bot_settings
from tests.support.botapi import TOKEN, FakeBotAPI

SECRET = TOKEN.split(":", 1)[1]


async def test_a_failing_handler_is_logged_without_the_token(
    bot: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot.server.fail_next("sendMessage", status=500, description="Internal Server Error")
    replies = await bot.send("/paper 2502.11089")
    # the card failed; the error handler logged it and told the user
    assert [r.text for r in replies] == [
        "죄송합니다. 처리 중 오류가 났습니다. 잠시 후 다시 시도해 주세요."
    ]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].name == "digestbot.bot.error_handler"
    assert errors[0].exc_info is not None
    assert any("getUpdates" in r.getMessage() for r in caplog.records)  # PTB logged at DEBUG
    assert SECRET not in caplog.text
    # and the bot keeps answering
    assert (await bot.send("/paper 2502.11089"))[0].text.startswith("<b><a href=")


async def test_a_rejected_token_names_the_setting_and_hides_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "999999:WRONG-secret-token-aaaaaaaaaaaaaa"
    with FakeBotAPI() as server:
        settings = bot_settings(server, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", token=wrong)
        app = build_application(settings)
        with pytest.raises(ConfigError) as info:
            async with running(app):
                pass
        assert [c.status for c in server.calls("getMe")] == [401]
    assert info.value.setting == "DIGESTBOT_TOKEN"
    assert "WRONG-secret" not in str(info.value)
    assert "WRONG-secret" not in caplog.text


def test_a_missing_token_is_a_config_error(tmp_path: Path) -> None:
    with FakeBotAPI() as server:
        settings = bot_settings(server, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", token="")
        with pytest.raises(ConfigError) as info:
            build_application(settings)
    assert str(info.value).startswith("DIGESTBOT_TOKEN: not set")
