"""Admin commands for the user ids in ``DIGESTBOT_ADMINS``: /repost, /ingest, /stats,
/broadcast. Everyone else is told the command is for admins. Thin, like the other
handlers: the work is in ``digestbot.services.admin`` and the delivery engine.

Sending to every subscriber (``/repost … all``, ``/broadcast``) waits for a button press;
the pending action is kept in memory under a short id, which is also the request id of
its deliveries (callback data ``a:<ok|no>:<id>``), so one confirmation is one delivery
per chat however often the button is pressed. ``/ingest`` answers at once and fetches in
the background (it may take a minute), reporting in a new message when done. Every admin
action is logged at INFO."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from digestbot.bot.context import (
    Context,
    Turn,
    command,
    command_text,
    edit_or_ignore_unchanged,
    reply,
)
from digestbot.bot.memory import PendingAction, PendingKind
from digestbot.clock import local_today, utcnow
from digestbot.delivery.enqueue import enqueue_broadcast, new_request_id
from digestbot.present import args
from digestbot.present.html import esc
from digestbot.present.i18n import t
from digestbot.present.split import pack_blocks
from digestbot.present.stats import render_ingest_notes, render_stats
from digestbot.services import admin as admin_ops
from digestbot.services.ingest import ingest_day, summary_counts

log = logging.getLogger(__name__)

BROADCAST_EXAMPLE = "/broadcast 오늘은 점검이 있습니다"
PREVIEW_CHARS = 1000


def confirm_keyboard(key: str, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "admin.button.confirm"), callback_data=f"a:ok:{key}"),
                InlineKeyboardButton(t(lang, "admin.button.cancel"), callback_data=f"a:no:{key}"),
            ]
        ]
    )


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


AdminCommand = Callable[[Update, Context, Turn], Coroutine[Any, Any, None]]


def admin_command(handler: AdminCommand) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Runs ``handler`` for admins; refuses everyone else, saying why."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context, turn: Turn) -> None:
        user_id = _user_id(update)
        if not turn.res.settings.is_admin(user_id):
            log.info("refused /%s from user %s", handler.__name__.split("_")[0], user_id)
            await reply(update, t(turn.lang, "admin.refused"))
            return
        await handler(update, context, turn)

    return command(guarded)


def _wake_engine(context: Context) -> None:
    runtime = context.bot_data.runtime
    if runtime is not None:
        runtime.engine.notify()


async def _resolve_chat(context: Context, target: int | str) -> int:
    if isinstance(target, int):
        return target
    chat = await context.bot.get_chat(target)
    return chat.id


# --------------------------------------------------------------------------- commands


@admin_command
async def repost_command(update: Update, context: Context, turn: Turn) -> None:
    request = args.parse_repost(context.args or [])
    res = turn.res
    async with res.sessions() as session:
        day, papers = await admin_ops.repost_day(session, request.day)
        subscriptions = await admin_ops.count_subscriptions(session)
    if day is None:
        await reply(update, t(turn.lang, "archive.empty"))
        return
    if not papers:
        await reply(update, t(turn.lang, "admin.no_digest", day=day.isoformat()))
        return
    admin_id = _user_id(update) or 0
    if request.target == args.ALL:
        key = context.bot_data.pending.add(
            PendingAction(
                PendingKind.REPOST, admin_id, turn.lang, day=day, created=time.monotonic()
            )
        )
        log.info("admin %s: /repost %s all asks for confirmation (%s)", admin_id, day, key)
        await reply(
            update,
            t(turn.lang, "admin.repost.confirm", day=day.isoformat(), n=subscriptions),
            confirm_keyboard(key, turn.lang),
        )
        return
    if request.target is None:
        chat_id, thread_id = turn.chat.id, turn.thread_id
    else:
        try:
            chat_id, thread_id = await _resolve_chat(context, request.target), 0
        except TelegramError as exc:
            await reply(
                update,
                t(
                    turn.lang,
                    "admin.chat_unknown",
                    chat=esc(request.target),
                    reason=esc(str(exc)),
                ),
            )
            return
    request_id = new_request_id()
    async with res.sessions.begin() as session:
        queued = await admin_ops.queue_repost(
            session, res.settings, day, request_id, chat_id=chat_id, thread_id=thread_id
        )
    log.info(
        "admin %s: /repost %s to chat %s thread %s: %d queued (%s)",
        admin_id,
        day,
        chat_id,
        thread_id,
        queued,
        request_id,
    )
    _wake_engine(context)
    await reply(update, t(turn.lang, "admin.repost.queued", day=day.isoformat(), n=queued))


@admin_command
async def broadcast_command(update: Update, context: Context, turn: Turn) -> None:
    text = command_text(update).strip()
    if not text:
        raise args.BadCommandArgument("arg.no_text", BROADCAST_EXAMPLE)
    async with turn.res.sessions() as session:
        subscriptions = await admin_ops.count_subscriptions(session)
    admin_id = _user_id(update) or 0
    key = context.bot_data.pending.add(
        PendingAction(
            PendingKind.BROADCAST, admin_id, turn.lang, text=text, created=time.monotonic()
        )
    )
    log.info(
        "admin %s: /broadcast of %d characters asks for confirmation (%s)",
        admin_id,
        len(text),
        key,
    )
    preview = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
    await reply(
        update,
        t(turn.lang, "admin.broadcast.confirm", n=subscriptions, text=esc(preview)),
        confirm_keyboard(key, turn.lang),
    )


@admin_command
async def ingest_command(update: Update, context: Context, turn: Turn) -> None:
    """Says "fetching…" at once and reports when done: the fetch may take a minute with
    its retries, and the bot handles one update at a time, so it runs beside the handlers
    (``Application.create_task``: its errors reach the error handler with this update, and
    ``Application.stop`` waits for it)."""
    res = turn.res
    day = args.parse_ingest(context.args or [], local_today(res.settings.timezone, utcnow()))
    log.info("admin %s: /ingest %s", _user_id(update), day)
    await reply(update, t(turn.lang, "admin.ingest.started", day=day.isoformat()))
    context.application.create_task(
        _ingest_and_report(update, context, turn, day), update=update, name=f"ingest {day}"
    )


async def _ingest_and_report(update: Update, context: Context, turn: Turn, day: dt.date) -> None:
    res = turn.res
    runtime = context.bot_data.runtime
    if runtime is not None:
        result = await runtime.ingest.run_now(day)
    else:
        result = await ingest_day(res.sessions, res.sources, day)
    log.info("admin %s: /ingest %s: %s %s", _user_id(update), day, result.status, result.message)
    outcome = t(
        turn.lang,
        f"admin.ingest.{result.status}",
        day=day.isoformat(),
        n=result.papers,
        message=esc(result.message[:500]),
    )
    notes = render_ingest_notes(
        turn.lang,
        warnings=result.warnings,
        problems=result.problems,
        summaries=summary_counts(result),
    )
    for part in pack_blocks([outcome, notes], sep="\n"):
        await reply(update, part)


@admin_command
async def stats_command(update: Update, context: Context, turn: Turn) -> None:
    res = turn.res
    async with res.sessions() as session:
        stats = await admin_ops.collect_stats(session, res.settings, utcnow())
    log.info("admin %s: /stats", _user_id(update))
    await reply(update, render_stats(stats, turn.lang, ZoneInfo(res.settings.timezone)))


# --------------------------------------------------------------------------- buttons


async def on_confirm(update: Update, context: Context) -> None:
    """``a:ok:<id>`` sends what is waiting; ``a:no:<id>`` drops it."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, answer, key = [*query.data.split(":", 2), "", ""][:3]
    res = context.bot_data.resources
    user_id = _user_id(update)
    if not res.settings.is_admin(user_id):
        await query.answer(t(res.settings.language, "admin.refused"), show_alert=True)
        return
    action = context.bot_data.pending.take(key)
    if action is None:
        await query.answer(t(res.settings.language, "admin.expired"), show_alert=True)
        return
    lang = action.lang
    if answer != "ok":
        log.info("admin %s: cancelled %s (%s)", user_id, action.kind, key)
        await query.answer(t(lang, "admin.cancelled"))
        await _show_outcome(update, t(lang, "admin.cancelled"))
        return
    async with res.sessions.begin() as session:
        if action.kind is PendingKind.REPOST and action.day is not None:
            queued = await admin_ops.queue_repost(session, res.settings, action.day, key)
            done = t(lang, "admin.repost.queued", day=action.day.isoformat(), n=queued)
        else:
            queued = await enqueue_broadcast(session, action.text, key)
            done = t(lang, "admin.broadcast.queued", n=queued)
    log.info("admin %s: confirmed %s to all: %d queued (%s)", user_id, action.kind, queued, key)
    _wake_engine(context)
    await query.answer()
    await _show_outcome(update, done)


async def _show_outcome(update: Update, text: str) -> None:
    """The outcome in place of the confirmation; when that message cannot be edited (too
    old, deleted), as a new message, so the admin always learns it."""
    assert update.callback_query is not None
    try:
        await edit_or_ignore_unchanged(update.callback_query, text)
    except TelegramError:
        await reply(update, text)  # the helper logged the failure


# the admin commands, by name (wired by ``digestbot.bot.app``, before the catch-alls)
COMMANDS: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {
    "repost": repost_command,
    "ingest": ingest_command,
    "stats": stats_command,
    "broadcast": broadcast_command,
}
CONFIRM_PATTERN = r"^a:(ok|no):"
