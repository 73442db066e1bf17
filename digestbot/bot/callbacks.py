"""Button presses, one handler per callback-data prefix (``present.callbacks.PATTERNS``):
open a paper, turn a /top or /search page, 🔖 save a paper, its similar papers, a /saved
page and its ✕; the /settings buttons live with the settings menu, the admins'
confirmations with the admin commands. Data that does not parse is answered silently
(any client can send any data). Bookmarks are per user: anyone may press 🔖, in groups
too, and it saves the paper for whoever pressed it.

Under a channel post a button that would answer with a new message (a paper's card, its
similar papers) does not post into the channel, where every reader would see it: the
press is answered with a deep link (``present.deeplinks``) that opens the answer in the
presser's private chat with the bot."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from digestbot.bot import keyboards
from digestbot.bot.commands import saved_page, search_page, send_paper, send_similar, top_page
from digestbot.bot.context import Context, Turn, button, edit_or_ignore_unchanged
from digestbot.present import args, callbacks, deeplinks
from digestbot.present.i18n import t
from digestbot.services import bookmarks

log = logging.getLogger(__name__)


async def _opened_in_private(query: CallbackQuery, turn: Turn, link: str) -> bool:
    """Under a channel post: answer the press with ``link``, which opens the answer in
    the presser's private chat with the bot (True); anywhere else False."""
    if turn.chat.type != ChatType.CHANNEL:
        return False
    await query.answer(url=link)
    return True


@button(callbacks.parse_paper)
async def on_paper_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.PaperCallback,
) -> None:
    link = deeplinks.paper_link(context.bot.username, data.arxiv_id)
    if await _opened_in_private(query, turn, link):
        return
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


@button(callbacks.parse_bookmark)
async def on_bookmark_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.BookmarkCallback,
) -> None:
    """🔖 on a card. In a private chat it toggles: save the paper, or forget it, and the
    button says which. A card in a group or channel is shared, so there 🔖 only saves
    (for the presser; forgetting is /saved's ✕) and the button stays as it is."""
    user_id = query.from_user.id
    if turn.chat.type != ChatType.PRIVATE:
        async with turn.res.sessions.begin() as session:
            added = await bookmarks.save(session, user_id, data.arxiv_id)
        if added is None:
            await query.answer(t(turn.lang, "paper.none", ref=data.arxiv_id), show_alert=True)
        else:
            await query.answer(t(turn.lang, "bookmark.added" if added else "bookmark.already"))
        return
    async with turn.res.sessions.begin() as session:
        saved = await bookmarks.toggle(session, user_id, data.arxiv_id)
    if saved is None:
        await query.answer(t(turn.lang, "paper.none", ref=data.arxiv_id), show_alert=True)
        return
    await query.answer(t(turn.lang, "bookmark.added" if saved else "bookmark.removed"))
    try:
        await query.edit_message_reply_markup(
            keyboards.card_keyboard(data.arxiv_id, saved, turn.lang)
        )
    except BadRequest as exc:
        # two quick presses by two users can leave the markup as it already is
        if "not modified" not in exc.message.lower():
            log.warning("could not edit the 🔖 button for %s: %s", query.id, exc.message)
            raise


@button(callbacks.parse_similar)
async def on_similar_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.SimilarCallback,
) -> None:
    link = deeplinks.similar_link(context.bot.username, data.arxiv_id)
    if await _opened_in_private(query, turn, link):
        return
    await query.answer()
    await send_similar(update, turn, data.arxiv_id)


@button(callbacks.parse_saved)
async def on_saved_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    data: callbacks.SavedCallback,
) -> None:
    """A /saved page (◀ ▶), or its ✕: forget that paper, show the page again. The list
    is the presser's own (in a group, another user's press shows theirs)."""
    user_id = query.from_user.id
    if data.remove is not None:
        async with turn.res.sessions.begin() as session:
            removed = await bookmarks.remove(session, user_id, data.remove)
        await query.answer(t(turn.lang, "bookmark.removed" if removed else "bookmark.unknown"))
    else:
        await query.answer()
    text, markup = await saved_page(turn, user_id, data.page)
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
