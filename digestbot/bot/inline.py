"""Inline mode: ``@bot words`` in any chat lists matching papers (the newest digest for
no words), 20 a page through ``next_offset``; choosing one posts its card."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from digestbot.bot.context import Context
from digestbot.config import Language
from digestbot.present import args
from digestbot.present.html import render_paper, shorten
from digestbot.present.split import split_html
from digestbot.services import answers
from digestbot.store.archive import PaperView

INLINE_PAGE = 20


async def on_inline_query(update: Update, context: Context) -> None:
    inline = update.inline_query
    if inline is None:
        return
    res = context.bot_data.resources
    lang = res.settings.language
    if inline.from_user and inline.from_user.language_code == Language.EN:
        lang = Language.EN
    try:
        offset = max(int(inline.offset or 0), 0)
    except ValueError:
        offset = 0
    query = " ".join(inline.query.split())[: args.SEARCH_MAX_CHARS]
    async with res.sessions() as session:
        if query:
            answer = await answers.search(session, query, offset // INLINE_PAGE, INLINE_PAGE)
            papers, total = answer.papers, answer.page.total
        else:
            newest = await answers.today(session, INLINE_PAGE, offset)
            papers, total = (newest.papers, newest.total) if newest else ((), 0)
    results = [
        InlineQueryResultArticle(
            id=paper.arxiv_id,
            title=shorten(paper.title, 120),
            description=_inline_description(paper),
            url=paper.url,
            input_message_content=InputTextMessageContent(
                split_html(render_paper(paper, lang=lang, max_authors=10))[0],
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
        facts.append(shorten(paper.sections[0].text, 120))
    return " · ".join(facts)
