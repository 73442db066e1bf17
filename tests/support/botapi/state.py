"""Everything the server knows, in one place, guarded by one lock."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Mapping
from typing import Any

from tests.support.botapi.errors import bad
from tests.support.botapi.faults import Faults
from tests.support.botapi.identity import BOT_FIRST_NAME, BOT_USERNAME, bot_id_of, get_me_json
from tests.support.botapi.limits import FloodLimits
from tests.support.botapi.messages import MessageStore
from tests.support.botapi.records import Records
from tests.support.botapi.registry import Chat, Registry, User
from tests.support.botapi.updates import Polls, UpdateQueue
from tests.support.botapi.webhook import Webhook
from tests.support.botapi.wire import JSONDict


class OpenQueries:
    """Callback and inline queries sent to the bot and not answered yet."""

    def __init__(self) -> None:
        self._next = 1
        self.callbacks: set[str] = set()
        self.inline: set[str] = set()

    def new_id(self) -> str:
        query_id = str(4_000_000_000_000_000 + self._next)
        self._next += 1
        return query_id


class State:
    """Method handlers run with ``lock`` held; test-facing calls take it too.  The asyncio
    parts (``loop``, long polls, the webhook pump) live in the server's thread."""

    def __init__(self, token: str, seed: int) -> None:
        self.token = token
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        bot_id = bot_id_of(token)
        self.bot_user: JSONDict = get_me_json(bot_id)
        self.registry = Registry(User(bot_id, BOT_FIRST_NAME, BOT_USERNAME, is_bot=True))
        self.messages = MessageStore()
        self.updates = UpdateQueue()
        self.queries = OpenQueries()
        self.records = Records(self.changed)
        self.faults = Faults(seed)
        self.limits: FloodLimits | None = None
        self.polls = Polls()
        self.webhook: Webhook | None = None
        self.webhook_task: asyncio.Task[None] | None = None
        self.webhook_wake: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping = False

    def target_chat(self, params: Mapping[str, Any], *, posting: bool) -> Chat:
        """The chat ``chat_id`` names, or the error Telegram answers for it."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad("chat_id is empty")
        chat_id = self.registry.chat_id_of(raw)
        if chat_id is None:
            raise bad("chat not found")
        self.faults.raise_unreachable(chat_id)
        chat = self.registry.chats.get(chat_id)
        if chat is None:
            raise bad("chat not found")
        if posting:
            self.faults.raise_blocked(chat_id)
        return chat

    def bot_sender(self, chat: Chat) -> JSONDict | None:
        """The ``from`` of the bot's messages (none in channels)."""
        if chat.type == "channel":
            return None
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    def queue_update(self, update: Mapping[str, Any]) -> int:
        """Queue an update for the bot (from any thread); returns its update_id."""
        with self.lock:
            update_id = self.updates.push(update)
            self.changed.notify_all()
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)
        return update_id

    def _wake(self) -> None:
        with self.lock:
            if len(self.updates):
                self.polls.release("wake")
        if self.webhook_wake is not None:
            self.webhook_wake.set()
