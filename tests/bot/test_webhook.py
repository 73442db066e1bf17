"""Webhook mode: the real Application serves a webhook on a local port; the fake Bot API
delivers updates to it with the secret token; requests without it are refused."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import TypeHandler

from digestbot.bot.app import build_application, running
from digestbot.errors import ConfigError
from tests.bot.conftest import USER, Driver, bot_settings
from tests.support.botapi import FakeBotAPI
from tests.support.ports import free_port

SECRET = "s3cret-Token_1"


def help_update(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9000 + update_id,
            "date": 1746748800,
            "chat": {"id": USER, "type": "private", "first_name": "Alice"},
            "from": {"id": USER, "is_bot": False, "first_name": "Alice"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_webhook_mode_serves_updates_with_the_secret_only(
    botapi: FakeBotAPI, db_url: str, archive: AsyncEngine
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = bot_settings(
        botapi,
        db_url,
        webhook_url=url,
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret=SECRET,
        ingest_time="00:00",
        ingest_cutoff="00:00",
    )
    app = build_application(settings)
    driver = Driver(botapi, app)
    app.add_handler(TypeHandler(Update, driver._count_handled), group=99)
    async with running(app):
        [hook] = botapi.calls("setWebhook")
        assert hook.params["url"] == url
        assert hook.params["secret_token"] == SECRET
        assert botapi.calls("getUpdates") == []

        replies = await driver.send("/help")  # the fake POSTs it to our webhook
        assert replies[0].text.startswith("<b>Hugging Face Daily Papers 한국어 요약 봇</b>")
        assert all(status == 200 for _, status in botapi.webhook_deliveries)

        async with httpx.AsyncClient() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                answer = await client.post(
                    url,
                    content=json.dumps(help_update(777)),
                    headers={"Content-Type": "application/json", **headers},
                )
                assert answer.status_code == 403
            await asyncio.sleep(0.3)
            assert len(botapi.sent_to(USER)) == len(replies)  # neither was handled

            answer = await client.post(
                url,
                content=json.dumps(help_update(778)),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                },
            )
            assert answer.status_code == 200
            await botapi.wait_for_messages(USER, len(replies) + 1)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [(None, "required when DIGESTBOT_WEBHOOK_URL is set"), ("has space", "use 1-256")],
)
def test_webhook_mode_needs_a_valid_secret(
    botapi: FakeBotAPI, secret: str | None, problem: str
) -> None:
    settings = bot_settings(
        botapi,
        "sqlite+aiosqlite:///unused.db",
        webhook_url="https://bot.example.com/hook",
        webhook_secret=secret,
    )
    with pytest.raises(ConfigError) as caught:
        build_application(settings)
    assert caught.value.setting == "DIGESTBOT_WEBHOOK_SECRET"
    assert problem in caught.value.problem
