"""The error handler: log with the traceback first, then tell the user something went
wrong (python-telegram-bot's ``errorhandlerbot.py`` pattern)."""

from __future__ import annotations

import contextlib
import html
import logging

from telegram import Update
from telegram.error import TelegramError

from digestbot.bot.context import Context
from digestbot.present.i18n import t

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    if update.effective_message is None or update.inline_query is not None:
        return
    try:
        await update.effective_message.reply_text(
            html.escape(t(None, "error.internal")), do_quote=False
        )
    except TelegramError:
        log.warning("could not tell chat %s about the error", update.effective_chat.id)
