"""Telegram handlers. Thin: read the update, call ``digestbot.queries`` with plain values
in one database transaction, render, reply. Wired in ``digestbot.bot.app``."""

from __future__ import annotations

import contextlib
import functools
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, cast

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from digestbot import queries
from digestbot.bot import args, keyboards, render
from digestbot.bot.i18n import LANGUAGES, t
from digestbot.bot.memory import QueryMemory
from digestbot.resources import Resources
from digestbot.store.archive import PaperView

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

RESOURCES = "resources"
SEARCHES = "searches"
SEARCH_PAGE = 10
INLINE_PAGE = 20


@dataclass(frozen=True, slots=True)
class Turn:
    """What every handler needs: the resources, the chat, its language and forum topic."""

    res: Resources
    chat: Chat
    lang: str
    thread_id: int


def resources(context: Context) -> Resources:
    return cast(Resources, context.bot_data[RESOURCES])


def searches(context: Context) -> QueryMemory:
    return cast(QueryMemory, context.bot_data.setdefault(SEARCHES, QueryMemory()))


def thread_of(message: Message | None) -> int:
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return 0


def _title(chat: Chat) -> str:
    return chat.title or chat.full_name or chat.username or ""


async def _turn(update: Update, context: Context) -> Turn | None:
    chat = update.effective_chat
    if chat is None:
        return None
    res = resources(context)
    async with res.sessions.begin() as session:
        row = await queries.ensure_chat(
            session, chat.id, chat.type, _title(chat), res.settings.language
        )
        lang = row.language
    message = update.effective_message
    return Turn(res, chat, lang, thread_of(message if isinstance(message, Message) else None))


Command = Callable[[Update, Context, Turn], Awaitable[None]]


def command(handler: Command) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Gives ``handler`` its ``Turn`` and answers a bad argument with one line and an
    example."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        turn = await _turn(update, context)
        if turn is None:
            return
        try:
            await handler(update, context, turn)
        except args.BadCommandArgument as exc:
            await reply(update, render.render_argument_error(exc, turn.lang))

    return wrapper


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


# --------------------------------------------------------------------------- commands


@command
async def help_command(update: Update, context: Context, turn: Turn) -> None:
    await reply(update, render.render_help(turn.lang, context.bot.username))


@command
async def today_command(update: Update, context: Context, turn: Turn) -> None:
    res = turn.res
    async with res.sessions() as session:
        sub = await queries.get_subscription(session, turn.chat.id, turn.thread_id)
        limit = sub.top_n if sub else res.settings.top_n
        answer = await queries.today(session, limit)
    if answer is None:
        await reply(update, t(turn.lang, "archive.empty"))
        return
    sections = sub.sections if sub else ()
    await reply_all(
        update,
        render.render_digest_messages(
            answer.day, answer.papers, sections=sections, lang=turn.lang, total=answer.total
        ),
    )


async def _top_page(
    turn: Turn, request: args.TopRequest, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with turn.res.sessions() as session:
        answer = await queries.top(session, request, page)
    if answer is None:
        return t(turn.lang, "archive.empty"), None
    text = render.render_top(
        answer.papers, answer.page, answer.kind, answer.start, answer.end, turn.lang
    )
    markup = keyboards.top_keyboard(answer.papers, answer.page, answer.kind, answer.end, turn.lang)
    return text, markup


@command
async def top_command(update: Update, context: Context, turn: Turn) -> None:
    request = args.parse_top(context.args or [])
    text, markup = await _top_page(turn, request, 0)
    await reply(update, text, markup)


async def _search_page(
    turn: Turn, query: str, query_id: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with turn.res.sessions() as session:
        # the result list shows titles, not summaries
        answer = await queries.search(session, query, page, SEARCH_PAGE, with_sections=False)
    text = render.render_search(answer.papers, answer.page, query, turn.lang)
    if not answer.page.total:
        return text, None
    return text, keyboards.search_keyboard(answer.papers, answer.page, query_id, turn.lang)


@command
async def search_command(update: Update, context: Context, turn: Turn) -> None:
    message = update.effective_message
    raw = message.text if isinstance(message, Message) and message.text else ""
    # the words after the command, as typed (context.args would lose newlines' meaning)
    words = raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else ""
    query = args.parse_search(words)
    text, markup = await _search_page(turn, query, searches(context).remember(query), 0)
    await reply(update, text, markup)


@command
async def paper_command(update: Update, context: Context, turn: Turn) -> None:
    ref = args.parse_paper_ref(context.args or [])
    async with turn.res.sessions() as session:
        paper = await queries.find_paper(session, ref)
    if paper is None:
        await reply(update, t(turn.lang, "paper.none", ref=render.esc(ref)))
        return
    await reply_all(update, render.render_paper_messages(paper, lang=turn.lang))


@command
async def subscribe_command(update: Update, context: Context, turn: Turn) -> None:
    request = args.parse_subscribe(context.args or [])
    if not await may_change_chat(update, context):
        await reply(update, t(turn.lang, "sub.admins_only"))
        return
    async with turn.res.sessions.begin() as session:
        sub = await queries.subscribe(
            session,
            turn.chat.id,
            turn.thread_id,
            turn.res.settings,
            push_time=request.push_time,
            top_n=request.top_n,
            timezone=request.timezone,
        )
    await reply(
        update,
        t(turn.lang, "sub.done", time=sub.push_time, tz=render.esc(sub.timezone), n=sub.top_n),
    )


@command
async def unsubscribe_command(update: Update, context: Context, turn: Turn) -> None:
    if not await may_change_chat(update, context):
        await reply(update, t(turn.lang, "sub.admins_only"))
        return
    async with turn.res.sessions.begin() as session:
        stopped = await queries.unsubscribe(session, turn.chat.id, turn.thread_id)
    await reply(update, t(turn.lang, "sub.stopped" if stopped else "sub.none"))


async def _settings_view(turn: Turn) -> queries.SubscriptionView:
    async with turn.res.sessions() as session:
        sub = await queries.get_subscription(session, turn.chat.id, turn.thread_id)
    return sub or queries.default_subscription(turn.res.settings)


def _settings_text(sub: queries.SubscriptionView, lang: str, menu: str) -> str:
    text = render.render_settings(
        active=sub.active,
        push_time=sub.push_time,
        timezone=sub.timezone,
        top_n=sub.top_n,
        sections=sub.sections,
        lang=lang,
    )
    prompt = {
        "time": t(lang, "settings.pick_time", tz=render.esc(sub.timezone)),
        "n": t(lang, "settings.pick_count"),
        "sec": t(lang, "settings.pick_sections"),
        "lang": t(lang, "settings.pick_language"),
    }.get(menu)
    return f"{text}\n\n{prompt}" if prompt else text


@command
async def settings_command(update: Update, context: Context, turn: Turn) -> None:
    sub = await _settings_view(turn)
    await reply(
        update,
        _settings_text(sub, turn.lang, "main"),
        keyboards.settings_keyboard("main", sub, turn.lang),
    )


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
    turn = await _turn(update, context)
    if turn is None:
        return
    await reply(update, t(turn.lang, "error.unknown_command", example="<code>/top 10 week</code>"))


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    try:
        action = keyboards.parse_callback(query.data)
    except ValueError:
        await query.answer()
        return
    turn = await _turn(update, context)
    if turn is None:
        await query.answer()
        return
    if isinstance(action, keyboards.PaperCallback):
        await query.answer()
        async with turn.res.sessions() as session:
            paper = await queries.find_paper(session, action.arxiv_id)
        if paper is None:
            await reply(update, t(turn.lang, "paper.none", ref=render.esc(action.arxiv_id)))
        else:
            await reply_all(update, render.render_paper_messages(paper, lang=turn.lang))
        return
    if isinstance(action, keyboards.TopCallback):
        request = args.TopRequest(action.size, args.Period(action.kind, action.end))
        text, markup = await _top_page(turn, request, action.page)
        await query.answer()
        await edit_or_ignore_unchanged(query, text, markup)
        return
    if isinstance(action, keyboards.SearchCallback):
        remembered = searches(context).recall(action.query_id)
        if remembered is None:
            await query.answer(t(turn.lang, "search.expired"), show_alert=True)
            return
        text, markup = await _search_page(turn, remembered, action.query_id, action.page)
        await query.answer()
        await edit_or_ignore_unchanged(query, text, markup)
        return
    await _on_settings(update, context, turn, action)


async def _on_settings(
    update: Update, context: Context, turn: Turn, action: keyboards.SettingsCallback
) -> None:
    query = update.callback_query
    assert query is not None
    if action.action == "m":
        menu = action.value if action.value in ("time", "n", "sec", "lang") else "main"
        sub = await _settings_view(turn)
        await query.answer()
        await edit_or_ignore_unchanged(
            query,
            _settings_text(sub, turn.lang, menu),
            keyboards.settings_keyboard(menu, sub, turn.lang),
        )
        return
    if not await may_change_chat(update, context):
        await query.answer(t(turn.lang, "sub.admins_only"), show_alert=True)
        return
    change = _settings_change(action)
    if change is None:
        await query.answer()
        return
    menu, values = change
    lang = turn.lang
    async with turn.res.sessions.begin() as session:
        if menu == "lang":
            lang = action.value
            await queries.set_language(session, turn.chat.id, lang)
            sub = await queries.get_subscription(
                session, turn.chat.id, turn.thread_id
            ) or queries.default_subscription(turn.res.settings)
        else:
            sub = await queries.change_subscription(
                session, turn.chat.id, turn.thread_id, turn.res.settings, **values
            )
    await query.answer(t(lang, "settings.saved"))
    await edit_or_ignore_unchanged(
        query, _settings_text(sub, lang, menu), keyboards.settings_keyboard(menu, sub, lang)
    )


def _settings_change(action: keyboards.SettingsCallback) -> tuple[str, dict[str, Any]] | None:
    """A settings button → (the picker to show again, the change to make); None if junk."""
    value = action.value
    if action.action == "t" and value.isdigit() and len(value) == 4:
        try:
            hhmm = args.parse_time(f"{value[:2]}:{value[2:]}")
        except args.BadCommandArgument:
            return None
        if hhmm in queries.TIME_CHOICES:
            return "time", {"push_time": hhmm}
    if action.action == "n" and value.isdigit() and int(value) in queries.COUNT_CHOICES:
        return "n", {"top_n": int(value)}
    if action.action == "s" and value.isdigit() and int(value) < len(queries.SECTION_CHOICES):
        return "sec", {"toggle_section": queries.SECTION_CHOICES[int(value)]}
    if action.action == "l" and value in LANGUAGES:
        return "lang", {}
    return None


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


async def on_noop(update: Update, context: Context) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


# --------------------------------------------------------------------------- inline mode


async def on_inline_query(update: Update, context: Context) -> None:
    """``@bot words``: matching papers (the newest digest for no words), paged through
    ``next_offset``; choosing one posts its card."""
    inline = update.inline_query
    if inline is None:
        return
    res = resources(context)
    lang = res.settings.language
    if inline.from_user and inline.from_user.language_code == "en":
        lang = "en"
    try:
        offset = max(int(inline.offset or 0), 0)
    except ValueError:
        offset = 0
    query = " ".join(inline.query.split())[: args.SEARCH_MAX_CHARS]
    async with res.sessions() as session:
        if query:
            answer = await queries.search(session, query, offset // INLINE_PAGE, INLINE_PAGE)
            papers, total = answer.papers, answer.page.total
        else:
            newest = await queries.today(session, INLINE_PAGE, offset)
            papers, total = (newest.papers, newest.total) if newest else ((), 0)
    results = [
        InlineQueryResultArticle(
            id=paper.arxiv_id,
            title=render.shorten(paper.title, 120),
            description=_inline_description(paper),
            url=paper.url,
            input_message_content=InputTextMessageContent(
                render.split_html(render.render_paper(paper, lang=lang, max_authors=10))[0],
                parse_mode=ParseMode.HTML,
            ),
        )
        for paper in papers
    ]
    # no next_offset: Telegram asks for no further page
    next_offset = str(offset + INLINE_PAGE) if offset + INLINE_PAGE < total else None
    await inline.answer(results, next_offset=next_offset, cache_time=60)


def _inline_description(paper: PaperView) -> str:
    facts = []
    if paper.votes is not None:
        facts.append(f"👍 {paper.votes}")
    if paper.day is not None:
        facts.append(paper.day.isoformat())
    if paper.sections:
        facts.append(render.shorten(paper.sections[0].text, 120))
    return " · ".join(facts)


# --------------------------------------------------------------------------- errors


async def on_error(update: object, context: Context) -> None:
    """Log with the traceback first, then tell the user something went wrong."""
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
