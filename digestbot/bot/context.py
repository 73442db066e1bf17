"""The bot's typed state and the plumbing every handler shares.

State lives in ``BotData`` (python-telegram-bot's ``ContextTypes(bot_data=…)``, as in its
``contexttypesbot.py`` example): settings, the resources opened in ``post_init``, the
in-memory search ids and confirmations, the runtime. ``@command`` gives a handler its
``Turn`` (resources, chat, language, forum topic) and answers a bad argument with one
line and an example."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from digestbot.bot.keyboards import reply_markup
from digestbot.bot.memory import PendingActions, QueryMemory
from digestbot.bot.runtime import Runtime
from digestbot.config import Settings
from digestbot.present.args import BadCommandArgument
from digestbot.present.html import render_argument_error
from digestbot.present.push import PushMessage
from digestbot.services.monitor import Monitor
from digestbot.services.resources import Resources
from digestbot.services.subscriptions import chat_language
from digestbot.services.throttle import UserThrottle

log = logging.getLogger(__name__)


@dataclass(eq=False)
class BotData:
    """``context.bot_data``: built empty by python-telegram-bot, filled by the factory
    (settings) and ``post_init`` (resources, runtime)."""

    settings_: Settings | None = None
    resources_: Resources | None = None
    runtime: Runtime | None = None
    exit_stack: AsyncExitStack | None = None
    searches: QueryMemory = field(default_factory=QueryMemory)
    pending: PendingActions = field(default_factory=PendingActions)
    throttle: UserThrottle | None = None  # per-user flood control (``bot.throttle``)
    last_update_at: float | None = None  # time.monotonic() of the newest update (health)
    monitor: Monitor | None = None  # /healthz and /metrics, when metrics_port is set

    @property
    def settings(self) -> Settings:
        if self.settings_ is None:
            raise RuntimeError("the bot was not built by build_application")
        return self.settings_

    @property
    def resources(self) -> Resources:
        if self.resources_ is None:
            raise RuntimeError("resources are opened in post_init; the bot is not running")
        return self.resources_


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
# the builder does not carry the context type into its JobQueue's type: jobs get their
# state through ``data=`` (``digestbot.bot.runtime``), not through ``bot_data``
BotApp = Application[ExtBot[None], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]]


@dataclass(frozen=True, slots=True)
class Turn:
    """What every handler needs: the resources, the chat, its language and forum topic."""

    res: Resources
    chat: Chat
    lang: str
    thread_id: int


def thread_of(message: Message | None) -> int:
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return 0


def _title(chat: Chat) -> str:
    return chat.title or chat.full_name or chat.username or ""


async def turn_of(update: Update, context: Context) -> Turn | None:
    chat = update.effective_chat
    if chat is None:
        return None
    res = context.bot_data.resources
    async with res.sessions.begin() as session:
        lang = await chat_language(session, chat.id, chat.type, _title(chat), res.settings.language)
    message = update.effective_message
    return Turn(res, chat, lang, thread_of(message if isinstance(message, Message) else None))


Handler = Callable[[Update, Context, Turn], Awaitable[None]]


def command(handler: Handler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Gives ``handler`` its ``Turn`` and answers a bad argument with one line and an
    example."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        turn = await turn_of(update, context)
        if turn is None:
            return
        try:
            await handler(update, context, turn)
        except BadCommandArgument as exc:
            await reply(update, render_argument_error(exc, turn.lang))

    return wrapper


T = TypeVar("T")

ButtonHandler = Callable[[Update, Context, Turn, CallbackQuery, T], Awaitable[None]]


def button(
    parse: Callable[[str], T],
) -> Callable[[ButtonHandler[T]], Callable[[Update, Context], Coroutine[Any, Any, None]]]:
    """Gives a button handler its parsed data and its ``Turn``; junk data, or an update
    without a chat, is answered silently."""

    def decorate(
        handler: ButtonHandler[T],
    ) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: Context) -> None:
            query = update.callback_query
            if query is None or query.data is None:
                return
            try:
                data = parse(query.data)
            except ValueError:
                await query.answer()
                return
            turn = await turn_of(update, context)
            if turn is None:
                await query.answer()
                return
            await handler(update, context, turn, query, data)

        return wrapper

    return decorate


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=False
    )


async def reply_all(update: Update, texts: Sequence[str]) -> None:
    for text in texts:
        await reply(update, text)


async def reply_messages(update: Update, messages: Sequence[PushMessage]) -> None:
    """Rendered messages with their buttons (the push's form, for /today)."""
    for message in messages:
        await reply(update, message.text, reply_markup(message))


def command_text(update: Update) -> str:
    """The text after the command, as typed (``context.args`` would lose its newlines)."""
    message = update.effective_message
    raw = message.text if isinstance(message, Message) and message.text else ""
    parts = raw.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def refused_unless_admin(update: Update, context: Context, text: str) -> bool:
    """True, after replying ``text``, when this user may not change the chat's settings
    (``may_change_chat``); False when they may."""
    if await may_change_chat(update, context):
        return False
    await reply(update, text)
    return True


async def may_change_chat(update: Update, context: Context) -> bool:
    """Private chats: yes. A message whose author is the chat itself: yes (a channel post,
    which only the channel's administrators can write, or an anonymous group
    administrator). Otherwise, and for every button press in a group or a channel (any
    reader may press one): only the chat's administrators, asked from Telegram."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    sender_chat = message.sender_chat if isinstance(message, Message) else None
    if update.callback_query is None and sender_chat is not None and sender_chat.id == chat.id:
        return True
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def edit_or_ignore_unchanged(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show ``text`` (and ``markup``) in the message whose button was pressed.

    Pressing the button of what is already shown changes nothing, and Telegram answers
    "message is not modified": that, and only that, is ignored. Any other failure is
    logged at WARNING and raised (the caller or the error handler tells the user)."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return
        log.warning("could not edit message for callback %s: %s", query.id, exc.message)
        raise
    except TelegramError as exc:
        log.warning("could not edit message for callback %s: %s", query.id, exc)
        raise
