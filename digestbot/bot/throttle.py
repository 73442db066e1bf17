"""The handlers that run before all others (``build_application`` puts them in early
groups): one notes when the newest update arrived (for ``/healthz``), one throttles
users who flood the bot (``digestbot.services.throttle``).

A throttled update goes no further (``ApplicationHandlerStop``). The first one refused
is answered with one polite line in the chat's language — a message for a command, a
toast for a button press, a button above no results for an inline query — and the rest
are dropped silently; a button press is still answered (without text), or Telegram shows
a spinner on it. Admins are never throttled."""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from telegram import InlineQueryResultsButton, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from digestbot.bot.context import Context, reply, turn_of
from digestbot.config import Language
from digestbot.present.i18n import t
from digestbot.services.throttle import Verdict

log = logging.getLogger(__name__)

SLOW_DOWN = "error.slow_down"


class Kind(StrEnum):
    COMMAND = "command"
    BUTTON = "button"
    INLINE = "inline"


def kind_of(update: Update) -> Kind | None:
    """What the update asks of the bot; None for updates that cost nothing (plain
    messages, membership changes…), which are never counted."""
    if update.callback_query is not None:
        return Kind.BUTTON
    if update.inline_query is not None:
        return Kind.INLINE
    message = update.message or update.channel_post
    if message is not None and (message.text or "").startswith("/"):
        return Kind.COMMAND
    return None


def sender_of(update: Update) -> int | None:
    """The user (or, for a channel post, the channel) the update counts against."""
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


async def note_update(update: Update, context: Context) -> None:
    context.bot_data.last_update_at = time.monotonic()


async def throttle_update(update: Update, context: Context) -> None:
    throttle = context.bot_data.throttle
    if throttle is None or not throttle.enabled:
        return
    kind = kind_of(update)
    sender = sender_of(update)
    if kind is None or sender is None or context.bot_data.settings.is_admin(sender):
        return
    verdict = throttle.check(sender)
    if verdict is Verdict.ALLOW:
        return
    try:
        if verdict is Verdict.WARN:
            log.info("throttling %s %s: too many requests", kind.value, sender)
            await _slow_down(update, context, kind)
        elif update.callback_query is not None:
            await update.callback_query.answer()
    except TelegramError as exc:
        log.warning("could not answer a throttled %s: %s", kind.value, exc)
    raise ApplicationHandlerStop


async def _slow_down(update: Update, context: Context, kind: Kind) -> None:
    if kind is Kind.INLINE:
        inline = update.inline_query
        assert inline is not None
        lang: str = context.bot_data.settings.language
        if inline.from_user and inline.from_user.language_code == Language.EN:
            lang = Language.EN
        button = InlineQueryResultsButton(text=t(lang, SLOW_DOWN), start_parameter="help")
        await inline.answer([], cache_time=0, is_personal=True, button=button)
        return
    turn = await turn_of(update, context)
    lang = turn.lang if turn is not None else context.bot_data.settings.language
    if kind is Kind.BUTTON:
        assert update.callback_query is not None
        await update.callback_query.answer(t(lang, SLOW_DOWN))
        return
    await reply(update, t(lang, SLOW_DOWN))
