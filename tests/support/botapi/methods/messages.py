"""The bot's messages: sendMessage, editMessageText, editMessageReplyMarkup and
sendDocument (an uploaded file only: a file_id or URL is not modelled)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping
from typing import Any

from tests.support.botapi.errors import bad, not_modelled, too_many
from tests.support.botapi.html import utf16_len
from tests.support.botapi.limits import parse_message_text
from tests.support.botapi.markup import inline_markup
from tests.support.botapi.messages import StoredMessage
from tests.support.botapi.methods.method import Method
from tests.support.botapi.params import opt_bool, opt_int, opt_str, req_int
from tests.support.botapi.records import SentMessage, Violation
from tests.support.botapi.registry import Chat
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict, UploadedFile

MAX_CAPTION_LENGTH = 1024  # UTF-16 code units of a caption as a user sees it
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def send_message(state: State, params: JSONDict) -> JSONDict:
    chat = state.target_chat(params, posting=True)
    thread_id = _thread(chat, params)
    text, parse_mode = _text(params)
    plain, entities = parse_message_text(text, parse_mode)
    markup = inline_markup(params)
    _admit(state, chat, "sendMessage", paid=opt_bool(params, "allow_paid_broadcast"))
    message = state.messages.new(chat, state.bot_sender(chat), thread_id)
    message["text"] = plain
    if entities:
        message["entities"] = entities
    if markup is not None:
        message["reply_markup"] = markup
    stored = state.messages.put(chat.id, message, from_bot=True)
    _record(state, chat, stored, "sendMessage", text, parse_mode)
    if opt_bool(params, "allow_paid_broadcast"):
        state.records.add_paid(chat.id)
    return message


def _editable(state: State, params: JSONDict) -> tuple[Chat, StoredMessage]:
    """The chat and the bot's own message an edit names (400 as Telegram otherwise)."""
    chat = state.target_chat(params, posting=True)
    stored = state.messages.get(chat.id, req_int(params, "message_id"))
    if stored is None:
        raise bad("message to edit not found")
    if not stored.from_bot:
        raise bad("message can't be edited")
    return chat, stored


def edit_message_text(state: State, params: JSONDict) -> JSONDict:
    chat, stored = _editable(state, params)
    text, parse_mode = _text(params)
    plain, entities = parse_message_text(text, parse_mode)
    markup = inline_markup(params)
    data = stored.data
    unchanged = (data.get("text"), data.get("entities", []), data.get("reply_markup"))
    if unchanged == (plain, entities, markup):
        raise bad(_NOT_MODIFIED)
    _admit(state, chat, "editMessageText")
    data["text"] = plain
    if entities:
        data["entities"] = entities
    else:
        data.pop("entities", None)
    # Telegram drops the inline keyboard when an edit does not repeat it
    if markup is None:
        data.pop("reply_markup", None)
    else:
        data["reply_markup"] = markup
    data["edit_date"] = int(time.time())
    _record(state, chat, stored, "editMessageText", text, parse_mode)
    return data


def edit_message_reply_markup(state: State, params: JSONDict) -> JSONDict:
    """Only the keyboard changes (an absent one removes it), as on Telegram."""
    chat, stored = _editable(state, params)
    markup = inline_markup(params)
    data = stored.data
    if data.get("reply_markup") == markup:
        raise bad(_NOT_MODIFIED)
    _admit(state, chat, "editMessageReplyMarkup")
    if markup is None:
        data.pop("reply_markup", None)
    else:
        data["reply_markup"] = markup
    data["edit_date"] = int(time.time())
    _record(state, chat, stored, "editMessageReplyMarkup", data.get("text", ""), None)
    return data


def send_document(state: State, params: JSONDict) -> JSONDict:
    chat = state.target_chat(params, posting=True)
    thread_id = _thread(chat, params)
    upload = params.get("document")
    if isinstance(upload, str) and upload:
        raise not_modelled("sendDocument with a file_id or URL")
    if not isinstance(upload, UploadedFile):
        raise bad("there is no document in the request")
    if not upload.data:
        raise bad("file must be non-empty")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise bad("file is too big")
    caption = opt_str(params, "caption") or ""
    parse_mode = opt_str(params, "parse_mode") or None
    plain, entities = ("", []) if not caption else parse_message_text(caption, parse_mode)
    if utf16_len(plain) > MAX_CAPTION_LENGTH:
        raise bad("message caption is too long")
    markup = inline_markup(params)
    _admit(state, chat, "sendDocument")
    message = state.messages.new(chat, state.bot_sender(chat), thread_id)
    file_id = f"doc-{chat.id}-{message['message_id']}"
    message["document"] = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_name": upload.file_name,
        "mime_type": upload.mime_type,
        "file_size": len(upload.data),
    }
    if plain:
        message["caption"] = plain
        if entities:
            message["caption_entities"] = entities
    if markup is not None:
        message["reply_markup"] = markup
    stored = state.messages.put(chat.id, message, from_bot=True)
    _record(state, chat, stored, "sendDocument", caption, parse_mode, document=upload)
    return message


def _text(params: Mapping[str, Any]) -> tuple[str, str | None]:
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise bad("message text is empty")
    return text, opt_str(params, "parse_mode") or None


def _thread(chat: Chat, params: Mapping[str, Any]) -> int | None:
    thread_id = opt_int(params, "message_thread_id")
    if thread_id is not None and (not chat.is_forum or thread_id <= 0):
        raise bad("message thread not found")
    return thread_id


def _admit(state: State, chat: Chat, method: str, *, paid: bool = False) -> None:
    """Injected floods (set_flood), then Telegram's flood limits on sends (enforce_limits;
    edits do not count; a paid broadcast is held to the paid limit)."""
    state.faults.raise_flooded(method)
    if state.limits is None or method not in ("sendMessage", "sendDocument"):
        return
    now = time.monotonic()
    refused = state.limits.admit(chat.id, chat.type == "private", now, paid=paid)
    if refused is not None:
        limit, wait = refused
        state.records.add_violation(Violation(limit, chat.id, now))
        raise too_many(max(1, math.ceil(wait)))


def _record(
    state: State,
    chat: Chat,
    stored: StoredMessage,
    method: str,
    text: str,
    parse_mode: str | None,
    *,
    document: UploadedFile | None = None,
) -> None:
    data = stored.data
    sent = SentMessage(
        chat_id=chat.id,
        text=text,
        parse_mode=parse_mode,
        reply_markup=copy.deepcopy(data.get("reply_markup")),
        message_thread_id=data.get("message_thread_id"),
        message_id=data["message_id"],
        method=method,
        at=time.monotonic(),
        plain_text=str(data.get("text", data.get("caption", ""))),
        entities=tuple(data.get("entities", ())),
        document=document,
    )
    state.records.add_sent(sent)


_TEXT_PARAMS = frozenset({"chat_id", "text", "parse_mode", "reply_markup", "link_preview_options"})

_DOCUMENT_PARAMS = frozenset(
    {"chat_id", "document", "caption", "parse_mode", "reply_markup", "message_thread_id"}
)

METHODS = (
    Method(
        "sendMessage", _TEXT_PARAMS | {"message_thread_id", "allow_paid_broadcast"}, send_message
    ),
    Method("editMessageText", _TEXT_PARAMS | {"message_id"}, edit_message_text),
    # python-telegram-bot sends its default parse_mode with every edit; Telegram ignores it
    Method(
        "editMessageReplyMarkup",
        frozenset({"chat_id", "message_id", "reply_markup", "parse_mode"}),
        edit_message_reply_markup,
    ),
    Method("sendDocument", _DOCUMENT_PARAMS, send_document),
)
