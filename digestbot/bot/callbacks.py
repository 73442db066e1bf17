"""Button presses, one handler per callback-data prefix (``present.callbacks.PATTERNS``):
open a paper, turn a /top or /search page; the /settings buttons live with the settings
menu, the admins' confirmations with the admin commands. Data that does not parse is
answered silently (any client can send any data)."""

from __future__ import annotations

from telegram import CallbackQuery, Update

from digestbot.bot.commands import search_page, send_paper, top_page
from digestbot.bot.context import Context, Turn, button, edit_or_ignore_unchanged
from digestbot.present import args, callbacks
from digestbot.present.i18n import t


@button(callbacks.parse_paper)
async def on_paper_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.PaperCallback,
) -> None:
    await query.answer()
    await send_paper(update, turn, data.arxiv_id)


@button(callbacks.parse_top)
async def on_top_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.TopCallback,
) -> None:
    request = args.TopRequest(data.size, args.Period(data.kind, data.end))
    text, markup = await top_page(turn, request, data.page)
    await query.answer()
    await edit_or_ignore_unchanged(query, text, markup)


@button(callbacks.parse_search)
async def on_search_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.SearchCallback,
) -> None:
    remembered = context.bot_data.searches.recall(data.query_id)
    if remembered is None:
        await query.answer(t(turn.lang, "search.expired"), show_alert=True)
        return
    text, markup = await search_page(turn, remembered, data.query_id, data.page)
    await query.answer()
    await edit_or_ignore_unchanged(query, text, markup)


async def on_noop(update: Update, context: Context) -> None:
    """The page counter between ◀ and ▶: nothing to do but stop the client's spinner."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def on_unknown_button(update: Update, context: Context) -> None:
    """Data no handler claims (an old version's buttons, a forged press): answered
    silently."""
    if update.callback_query is not None:
        await update.callback_query.answer()
