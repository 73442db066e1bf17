"""``/follow``, ``/following`` (with a ✕ button per follow) and ``/unfollow``. Thin: the
rules are in ``digestbot.services.follows``; in groups only administrators change
follows (the /subscribe check), anyone may list them."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Update

from digestbot.bot import keyboards
from digestbot.bot.context import (
    Context,
    Turn,
    button,
    command,
    command_text,
    edit_or_ignore_unchanged,
    may_change_chat,
    refused_unless_admin,
    reply,
)
from digestbot.present import args
from digestbot.present.callbacks import UnfollowCallback, parse_unfollow
from digestbot.present.html import esc, render_following
from digestbot.present.i18n import t
from digestbot.services import follows


async def _following(turn: Turn) -> tuple[str, InlineKeyboardMarkup | None]:
    async with turn.res.sessions() as session:
        items = await follows.following(session, turn.chat.id, turn.thread_id)
    text = render_following([i.line for i in items], follows.MAX_FOLLOWS, turn.lang)
    return text, keyboards.following_keyboard(items)


@command
async def follow_command(update: Update, context: Context, turn: Turn) -> None:
    words = args.parse_follow_text(command_text(update))
    if await refused_unless_admin(update, context, t(turn.lang, "follow.admins_only")):
        return
    async with turn.res.sessions.begin() as session:
        result = await follows.follow(session, turn.chat.id, turn.thread_id, words)
    if not result.added:
        await reply(update, t(turn.lang, "follow.exists", query=esc(result.text)))
        return
    text = t(
        turn.lang, "follow.added", query=esc(result.text), n=result.count, max=follows.MAX_FOLLOWS
    )
    if not result.subscribed:
        text += " " + t(turn.lang, "follow.not_subscribed")
    await reply(update, text)


@command
async def following_command(update: Update, context: Context, turn: Turn) -> None:
    text, markup = await _following(turn)
    await reply(update, text, markup)


@command
async def unfollow_command(update: Update, context: Context, turn: Turn) -> None:
    ref = args.parse_unfollow(command_text(update))
    if await refused_unless_admin(update, context, t(turn.lang, "follow.admins_only")):
        return
    async with turn.res.sessions.begin() as session:
        removed = await follows.unfollow(session, turn.chat.id, turn.thread_id, ref)
    await reply(update, t(turn.lang, "follow.removed", query=esc(removed)))


@button(parse_unfollow)
async def on_unfollow_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: UnfollowCallback,
) -> None:
    if not await may_change_chat(update, context):
        await query.answer(t(turn.lang, "follow.admins_only"), show_alert=True)
        return
    async with turn.res.sessions.begin() as session:
        removed = await follows.unfollow_id(session, turn.chat.id, turn.thread_id, data.follow_id)
    await query.answer(t(turn.lang, "follow.removed_short" if removed else "follow.gone"))
    text, markup = await _following(turn)
    await edit_or_ignore_unchanged(query, text, markup)
