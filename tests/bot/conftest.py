"""The real bot against the fake Bot API server, on SQLite and PostgreSQL.

``bot`` builds the Application with ``digestbot.bot.app.build_application`` (settings point
``api_url`` at a FakeBotAPI and ``database_url`` at the test database holding the nine
sample digests), runs it with long polling, and yields a ``Driver`` that acts as users do:
send a text, press a button, type an inline query, and wait until the bot has handled it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import TypeHandler

from digestbot.bot.app import BotApp, build_application, running
from digestbot.config import Settings
from digestbot.services.ingest import store_text
from digestbot.store.db import session_factory
from tests.conftest import DIGESTS
from tests.support.botapi import CallbackAnswer, FakeBotAPI, InlineAnswer, SentMessage
from tests.support.settings import settings_for

USER = 1001  # a private chat
ADMIN = 2001  # administrator of GROUP
MEMBER = 2002  # plain member of GROUP
GROUP = -100500
CHANNEL = -100900  # a channel: its posts have no user
NEWEST_DAY = dt.date(2025, 5, 9)


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        server.add_user(USER, "Alice", "alice")
        server.add_user(ADMIN, "Admin", "admin")
        server.add_user(MEMBER, "Member", "member")
        server.add_chat(GROUP, "supergroup", "Paper club")
        server.set_admins(GROUP, [ADMIN])
        server.set_member_status(GROUP, MEMBER, "member")
        yield server
        assert server.errors == []


@pytest.fixture
async def archive(engine: AsyncEngine) -> AsyncEngine:
    """The test database with the nine real sample digests stored."""
    sessions = session_factory(engine)
    for path in sorted(DIGESTS.glob("*/*/*.md")):
        result = await store_text(sessions, path.read_bytes(), str(path))
        assert result.status == "stored", result
    return engine


_DEFAULTS: dict[str, Any] = {"top_n": 5}


def bot_settings(server: FakeBotAPI, db_url: str, **overrides: Any) -> Settings:
    """The suite's one settings builder (``settings_for``), with this module's defaults."""
    return settings_for(server, db_url, **{**_DEFAULTS, **overrides})


class Driver:
    """Acts as Telegram users and waits until the bot has handled each update."""

    def __init__(self, server: FakeBotAPI, app: BotApp) -> None:
        self.server = server
        self.app = app
        self._queued = 0
        self._handled = 0

    async def _count_handled(self, update: Update, context: object) -> None:
        self._handled += 1

    async def settle(self) -> None:
        """Wait until every update queued so far went through all handlers."""
        await self.server.wait_for(lambda: self._handled >= self._queued, 10.0)

    async def send(
        self, text: str, chat_id: int = USER, user_id: int | None = None, thread: int | None = None
    ) -> list[SentMessage]:
        """A user sends ``text``; returns the messages the bot sent to the chat in reply."""
        before = len(self.server.sent_to(chat_id))
        self._queued += 1
        self.server.send_text(chat_id, user_id or chat_id, text, thread)
        await self.settle()
        return self.server.sent_to(chat_id)[before:]

    async def send_update(self, update: dict[str, Any], chat_id: int) -> list[SentMessage]:
        before = len(self.server.sent_to(chat_id))
        self._queued += 1
        self.server.send_update(update)
        await self.settle()
        return self.server.sent_to(chat_id)[before:]

    async def press(
        self, message: SentMessage, data: str, user_id: int | None = None, *, strict: bool = True
    ) -> tuple[CallbackAnswer, list[SentMessage]]:
        """A user presses the button with ``data`` on ``message``; returns the callback
        answer and the messages sent or edited since. ``strict=False``: data the message's
        keyboard does not (or no longer) carry, as an old or forged button sends."""
        before = len(self.server.sent_to(message.chat_id))
        self._queued += 1
        query_id = self.server.press_button(
            message.chat_id, user_id or message.chat_id, message.message_id, data, strict=strict
        )
        await self.settle()
        answer = await self.server.wait_for_answer(query_id)
        return answer, self.server.sent_to(message.chat_id)[before:]

    async def inline(self, query: str, offset: str = "", user_id: int = USER) -> InlineAnswer:
        self._queued += 1
        query_id = self.server.inline_query(user_id, query, offset)
        await self.settle()
        return await self.server.wait_for_inline_answer(query_id)

    def current(self, message: SentMessage) -> dict[str, Any]:
        found = self.server.get_message(message.chat_id, message.message_id)
        assert found is not None
        return found


@pytest.fixture
async def bot(botapi: FakeBotAPI, db_url: str, archive: AsyncEngine) -> AsyncIterator[Driver]:
    app = build_application(bot_settings(botapi, db_url))
    driver = Driver(botapi, app)
    # a probe after every handler group: an update counts as handled once it got here
    app.add_handler(TypeHandler(Update, driver._count_handled), group=99)
    async with running(app, poll_interval=0.0, poll_timeout=1):
        yield driver
        await asyncio.sleep(0)


def buttons(message: SentMessage | dict[str, Any]) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button."""
    markup = (
        message.reply_markup if isinstance(message, SentMessage) else message.get("reply_markup")
    )
    rows = (markup or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def channel_post(text: str, message_id: int) -> dict[str, object]:
    chat = {"id": CHANNEL, "type": "channel", "title": "Papers KO"}
    command = text.split()[0]
    return {
        "channel_post": {
            "message_id": message_id,
            "date": 1_700_000_000,
            "chat": chat,
            "sender_chat": chat,  # a channel post: no "from", the author is the channel
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        }
    }
