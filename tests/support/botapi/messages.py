"""The messages in each chat (the bot's and the users'), as Telegram would return them now."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tests.support.botapi.registry import Chat
from tests.support.botapi.wire import JSONDict


@dataclass
class StoredMessage:
    data: JSONDict  # the Message JSON, updated by edits
    from_bot: bool


class MessageStore:
    def __init__(self) -> None:
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._next_id: dict[int, int] = {}

    def new(self, chat: Chat, sender: JSONDict | None, thread_id: int | None) -> JSONDict:
        """The JSON of a new message in ``chat`` with the chat's next message id."""
        message_id = self._next_id.get(chat.id, 1)
        self._next_id[chat.id] = message_id + 1
        message: JSONDict = {"message_id": message_id, "date": int(time.time())}
        if sender is not None:
            message["from"] = sender
        if chat.type == "channel":
            message["sender_chat"] = chat.to_json()
        message["chat"] = chat.to_json()
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return message

    def put(self, chat_id: int, message: JSONDict, *, from_bot: bool) -> StoredMessage:
        stored = StoredMessage(message, from_bot)
        self._messages[(chat_id, message["message_id"])] = stored
        return stored

    def get(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self._messages.get((chat_id, message_id))
