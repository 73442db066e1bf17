"""What users do, turned into updates for the bot: send a text, press a button, type an
inline query."""

from __future__ import annotations

import copy
import re

from tests.support.botapi.html import utf16_len
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict

_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def send_text(
    state: State, chat_id: int, user_id: int, text: str, message_thread_id: int | None
) -> int:
    """Queue a message from the user; returns its message_id."""
    with state.lock:
        user = state.registry.ensure_user(user_id)
        if chat_id == user_id:
            chat = state.registry.private_chat(user)
        else:
            chat = state.registry.require_chat(chat_id)
        if message_thread_id is not None and not chat.is_forum:
            raise ValueError("message_thread_id needs a forum supergroup (is_forum=True)")
        message = state.messages.new(chat, user.to_json(), message_thread_id)
        message["text"] = text
        command = _BOT_COMMAND.match(text)
        if command is not None:
            length = utf16_len(command.group())
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        state.messages.put(chat_id, message, from_bot=False)
        state.queue_update({"message": message})
        message_id: int = message["message_id"]
        return message_id


def press_button(
    state: State, chat_id: int, user_id: int, message_id: int, data: str, *, strict: bool
) -> str:
    """Queue a callback query for a button of a bot message; returns the query id."""
    with state.lock:
        user = state.registry.ensure_user(user_id)
        stored = state.messages.get(chat_id, message_id)
        if stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        keyboard = (stored.data.get("reply_markup") or {}).get("inline_keyboard", [])
        on_it = any(b.get("callback_data") == data for row in keyboard for b in row)
        if strict and not on_it:
            raise ValueError(f"no button with callback_data {data!r} on message {message_id}")
        query_id = state.queries.new_id()
        state.queries.callbacks.add(query_id)
        query: JSONDict = {
            "id": query_id,
            "from": user.to_json(),
            "message": copy.deepcopy(stored.data),
            "chat_instance": str(-abs(chat_id) * 7919 - 1),
            "data": data,
        }
        state.queue_update({"callback_query": query})
        return query_id


def inline_query(state: State, user_id: int, query: str, offset: str) -> str:
    """Queue an inline query (``@botname query``); returns its id."""
    with state.lock:
        user = state.registry.ensure_user(user_id)
        query_id = state.queries.new_id()
        state.queries.inline.add(query_id)
        payload = {"id": query_id, "from": user.to_json(), "query": query, "offset": offset}
        state.queue_update({"inline_query": payload})
        return query_id
