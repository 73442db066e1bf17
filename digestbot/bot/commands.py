"""The everyday commands. Thin: read the update, call a service with plain values in
one database transaction, render, reply. Wired in ``digestbot.bot.app``."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType

from digestbot.bot import keyboards
from digestbot.bot.context import (
    Context,
    Turn,
    command,
    command_text,
    refused_unless_admin,
    reply,
    reply_all,
    reply_messages,
    turn_of,
)
from digestbot.present import args, deeplinks
from digestbot.present.bibtex import render_bibtex
from digestbot.present.callbacks import PaperCallback, SimilarCallback
from digestbot.present.html import (
    ListPage,
    esc,
    render_help,
    render_paper_messages,
    render_saved,
    render_search,
    render_similar,
    render_top,
)
from digestbot.present.i18n import t
from digestbot.present.push import render_push
from digestbot.services import answers, bookmarks, subscriptions

SEARCH_PAGE = 10


@command
async def help_command(update: Update, context: Context, turn: Turn) -> None:
    await reply(update, render_help(turn.lang, context.bot.username))


@command
async def start_command(update: Update, context: Context, turn: Turn) -> None:
    """``/start``: the help, or what a deep link asked for (``present.deeplinks``: a
    paper's card or its similar papers, from a button under a channel post). A payload
    these links never hold gets the help too."""
    words = context.args or []
    try:
        action = deeplinks.parse_start(words[0]) if len(words) == 1 else None
    except ValueError:
        action = None
    if isinstance(action, PaperCallback):
        await send_paper(update, turn, action.arxiv_id)
    elif isinstance(action, SimilarCallback):
        await send_similar(update, turn, action.arxiv_id)
    else:
        await reply(update, render_help(turn.lang, context.bot.username))


@command
async def today_command(update: Update, context: Context, turn: Turn) -> None:
    res = turn.res
    async with res.sessions() as session:
        sub = await subscriptions.get_subscription(session, turn.chat.id, turn.thread_id)
        limit = sub.top_n if sub else res.settings.top_n
        answer = await answers.today(session, limit)
    if answer is None:
        await reply(update, t(turn.lang, "archive.empty"))
        return
    await reply_messages(
        update,
        render_push(
            answer.day,
            answer.papers,
            sections=sub.sections if sub else (),
            lang=turn.lang,
            total=answer.total,
            full=sub.full_sections if sub else False,
        ),
    )


async def top_page(
    turn: Turn, request: args.TopRequest, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of /top as text and buttons (also what its ◀ / ▶ buttons show)."""
    async with turn.res.sessions() as session:
        answer = await answers.top(session, request, page)
    if answer is None:
        return t(turn.lang, "archive.empty"), None
    text = render_top(answer.papers, answer.page, answer.kind, answer.start, answer.end, turn.lang)
    markup = keyboards.top_keyboard(answer.papers, answer.page, answer.kind, answer.end, turn.lang)
    return text, markup


@command
async def top_command(update: Update, context: Context, turn: Turn) -> None:
    request = args.parse_top(context.args or [])
    text, markup = await top_page(turn, request, 0)
    await reply(update, text, markup)


async def search_page(
    turn: Turn, query: str, query_id: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of /search results as text and buttons."""
    async with turn.res.sessions() as session:
        # the result list shows titles, not summaries
        answer = await answers.search(session, query, page, SEARCH_PAGE, with_sections=False)
    text = render_search(answer.papers, answer.page, query, turn.lang)
    if not answer.page.total:
        return text, None
    return text, keyboards.search_keyboard(answer.papers, answer.page, query_id, turn.lang)


@command
async def search_command(update: Update, context: Context, turn: Turn) -> None:
    query = args.parse_search(command_text(update))
    query_id = context.bot_data.searches.remember(query)
    text, markup = await search_page(turn, query, query_id, 0)
    await reply(update, text, markup)


def user_id_of(update: Update) -> int | None:
    """Who pressed or wrote (None in a channel: its posts have no user)."""
    return update.effective_user.id if update.effective_user is not None else None


async def send_paper(update: Update, turn: Turn, ref: str | int) -> None:
    """One paper's whole card (in as many messages as it needs), its 🔖 and "similar"
    buttons under the last, or why there is none. In a private chat 🔖 shows whether the
    user saved it; a card in a group or channel is everyone's, so its 🔖 just offers to
    save (bookmarks are per user: ``callbacks.on_bookmark_button``)."""
    private = turn.chat.type == ChatType.PRIVATE
    async with turn.res.sessions() as session:
        paper = await answers.find_paper(session, ref)
        saved = (
            private
            and paper is not None
            and await bookmarks.is_saved(session, user_id_of(update), paper.arxiv_id)
        )
    if paper is None:
        await reply(update, t(turn.lang, "paper.none", ref=esc(ref)))
        return
    *first, last = render_paper_messages(paper, lang=turn.lang)
    await reply_all(update, first)
    await reply(update, last, keyboards.card_keyboard(paper.arxiv_id, saved, turn.lang))


@command
async def paper_command(update: Update, context: Context, turn: Turn) -> None:
    await send_paper(update, turn, args.parse_paper_ref(context.args or []))


async def send_similar(update: Update, turn: Turn, ref: str | int) -> None:
    """The papers most like one paper, as a list with a button per paper."""
    async with turn.res.sessions() as session:
        found = await answers.similar(session, ref)
    if found is None:
        await reply(update, t(turn.lang, "similar.unknown", ref=esc(ref)))
        return
    text = render_similar(found.paper, found.papers, turn.lang)
    # one page, so no ◀ ▶: only the number buttons that open each card
    page = ListPage(0, max(len(found.papers), 1), len(found.papers))
    markup = keyboards.list_keyboard(found.papers, page, "", "", turn.lang)
    await reply(update, text, markup)


@command
async def similar_command(update: Update, context: Context, turn: Turn) -> None:
    ref = args.parse_paper_ref(context.args or [], example="/similar 2502.11089")
    await send_similar(update, turn, ref)


async def saved_page(
    turn: Turn, user_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the user's /saved list as text and buttons."""
    async with turn.res.sessions() as session:
        answer = await bookmarks.saved_page(session, user_id, page)
    text = render_saved(answer.papers, answer.page, turn.lang)
    return text, keyboards.saved_keyboard(answer.papers, answer.page, turn.lang)


@command
async def saved_command(update: Update, context: Context, turn: Turn) -> None:
    bibtex = args.parse_saved(context.args or [])
    user_id = user_id_of(update)
    if user_id is None:  # a channel post: no user to have saved anything
        await reply(update, t(turn.lang, "saved.empty"))
        return
    if not bibtex:
        text, markup = await saved_page(turn, user_id, 0)
        await reply(update, text, markup)
        return
    async with turn.res.sessions() as session:
        papers = await bookmarks.all_saved(session, user_id)
    if not papers:
        await reply(update, t(turn.lang, "saved.empty"))
        return
    message = update.effective_message
    if message is None:
        return
    await message.reply_document(
        InputFile(render_bibtex(papers).encode(), filename="saved.bib"),
        caption=t(turn.lang, "saved.bibtex", n=len(papers)),
        do_quote=False,
    )


@command
async def subscribe_command(update: Update, context: Context, turn: Turn) -> None:
    request = args.parse_subscribe(context.args or [])
    if await refused_unless_admin(update, context, t(turn.lang, "sub.admins_only")):
        return
    async with turn.res.sessions.begin() as session:
        sub = await subscriptions.subscribe(
            session,
            turn.chat.id,
            turn.thread_id,
            turn.res.settings,
            push_time=request.push_time,
            top_n=request.top_n,
            timezone=request.timezone,
            cadence=request.cadence,
            follows_only=request.follows_only,
        )
    done = {"weekly": "sub.done_weekly", "both": "sub.done_both"}.get(sub.cadence, "sub.done")
    text = t(turn.lang, done, time=sub.push_time, tz=esc(sub.timezone), n=sub.top_n)
    if sub.follows_only:
        text += "\n" + t(turn.lang, "sub.follows_only")
    await reply(update, text)


@command
async def unsubscribe_command(update: Update, context: Context, turn: Turn) -> None:
    if await refused_unless_admin(update, context, t(turn.lang, "sub.admins_only")):
        return
    async with turn.res.sessions.begin() as session:
        stopped = await subscriptions.unsubscribe(session, turn.chat.id, turn.thread_id)
    await reply(update, t(turn.lang, "sub.stopped" if stopped else "sub.none"))


async def unknown_command(update: Update, context: Context) -> None:
    """A command no handler took. In groups, only commands addressed to this bot by name
    are answered (other bots' commands are not ours to judge)."""
    message = update.effective_message
    chat = update.effective_chat
    if not isinstance(message, Message) or chat is None or not message.text:
        return
    name = message.text.split(maxsplit=1)[0]
    mentioned = "@" in name
    if mentioned and name.split("@", 1)[1].lower() != (context.bot.username or "").lower():
        return
    if chat.type != ChatType.PRIVATE and not mentioned:
        return
    turn = await turn_of(update, context)
    if turn is None:
        return
    await reply(update, t(turn.lang, "error.unknown_command", example="<code>/top 10 week</code>"))
