"""A local HTTP server that speaks the Telegram Bot API, for tests.

The real python-telegram-bot client is pointed at it (``api_url`` / ``base_url``)::

    with FakeBotAPI() as server:
        server.add_user(42, "Alice")
        app = server.application_builder().build()  # token, base_url, base_file_url set
        ...
        server.send_text(42, 42, "/ping")
        [reply] = await server.wait_for_messages(42, 1)

The server runs in its own thread with its own asyncio event loop, so it keeps answering
while the test code blocks or while a bot runs in a subprocess.  Everything it is told and
everything it answers is recorded, thread-safely.

It enforces what Telegram enforces (4096 UTF-16 units after entity parsing, Telegram's
HTML, inline keyboards and callback data, inline-query answers), answers with Telegram's
own error phrases, and can inject faults (429 with retry_after, random floods of 429, 403,
group migration, 5xx, dropped connections, slow answers), hold answers until several
clients have arrived (``start_together``) and enforce Telegram's flood limits.

It models what the bot uses and nothing more: getMe, getUpdates, setWebhook,
deleteWebhook, setMyCommands, sendMessage, editMessageText, editMessageReplyMarkup,
sendDocument (an uploaded file, multipart/form-data), answerCallbackQuery,
answerInlineQuery, getChat and getChatMember; the HTML parse mode (or none); inline
keyboards; article inline results.  Anything else fails loudly instead of passing by
accident: another method is 404 "Not Found: method not found", another parameter, parse
mode, keyboard or result type is 400 "... is not supported by the test server".

Deliberate deviations from the real server: the HTML is checked more strictly (see
:mod:`.html`), ``message_thread_id`` is only accepted for forum supergroups, and
``setWebhook`` also accepts plain-HTTP URLs on loopback hosts, to which the server then
delivers updates (so webhook mode can be tested end to end).

python-telegram-bot ``str.capitalize()``s error descriptions ("Bad Request: can't parse
entities: Unsupported start tag" becomes "Can't parse entities: unsupported start tag");
match case-insensitively, or read the exact text from ``calls()[i].description``.

Modules, one job each: ``server`` (FakeBotAPI: thread, loop, the test-facing calls),
``connection`` (HTTP/1.1), ``dispatch`` (request to method, faults, delays, recording),
``methods/`` (one module per group of Bot API methods), ``polling`` (getUpdates),
``webhook`` (webhook delivery), ``users`` (what users do), ``html`` (Telegram's HTML),
``limits`` (Telegram's limits), ``faults`` (injected faults), ``markup`` (inline
keyboards), ``params`` (request parameters), ``records`` (what happened), ``registry``
(chats, users, admins), ``messages`` (stored messages), ``updates`` (the update queue),
``state`` (all of it, under one lock), ``errors``, ``wire``, ``identity``.
"""

from __future__ import annotations

from tests.support.botapi.html import EntityParseError, parse_html, utf16_len
from tests.support.botapi.identity import BOT_FIRST_NAME, BOT_ID, BOT_USERNAME, TOKEN
from tests.support.botapi.records import Call, CallbackAnswer, InlineAnswer, SentMessage
from tests.support.botapi.server import FakeBotAPI

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "Call",
    "CallbackAnswer",
    "EntityParseError",
    "FakeBotAPI",
    "InlineAnswer",
    "SentMessage",
    "parse_html",
    "utf16_len",
]
