"""The bot's answers as plain text, for ``digestbot today|top|search|paper`` and for
``digestbot run`` without a token: the same queries and rendering, no Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from digestbot import queries
from digestbot.bot import args, render
from digestbot.bot.i18n import t
from digestbot.digest.source import FolderSource
from digestbot.ingest import ingest_day
from digestbot.resources import Resources
from digestbot.store.archive import newest_day

SAMPLE_DIGESTS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "digests"

GETTING_STARTED = (
    "No bot token is set, so the bot is not started. To run it in Telegram, open "
    "@BotFather in Telegram, send /newbot, and put the token it gives you in the "
    "environment: DIGESTBOT_TOKEN=123456:ABC... digestbot run. "
    "Meanwhile, here is what the bot would answer to /today:"
)


def argument_error_text(exc: args.BadCommandArgument, lang: str) -> str:
    return render.html_to_text(render.render_argument_error(exc, lang))


async def today_text(res: Resources, lang: str) -> str:
    async with res.sessions() as session:
        answer = await queries.today(session, res.settings.top_n)
    if answer is None:
        return render.html_to_text(t(lang, "archive.empty"))
    messages = render.render_digest_messages(
        answer.day, answer.papers, lang=lang, total=answer.total
    )
    return render.messages_to_text(messages)


async def top_text(res: Resources, words: Sequence[str], lang: str, page: int = 0) -> str:
    request = args.parse_top(words)
    async with res.sessions() as session:
        answer = await queries.top(session, request, page)
    if answer is None:
        return render.html_to_text(t(lang, "archive.empty"))
    return render.html_to_text(
        render.render_top(answer.papers, answer.page, answer.kind, answer.start, answer.end, lang)
    )


async def search_text(res: Resources, words: Sequence[str], lang: str, page: int = 0) -> str:
    query = args.parse_search(" ".join(words))
    async with res.sessions() as session:
        answer = await queries.search(session, query, page, with_sections=False)
    return render.html_to_text(render.render_search(answer.papers, answer.page, query, lang))


async def paper_text(res: Resources, words: Sequence[str], lang: str) -> str:
    ref = args.parse_paper_ref(words)
    async with res.sessions() as session:
        paper = await queries.find_paper(session, ref)
    if paper is None:
        return render.html_to_text(t(lang, "paper.none", ref=render.esc(ref)))
    return render.messages_to_text(render.render_paper_messages(paper, lang=lang))


async def ensure_samples(res: Resources, folder: Path = SAMPLE_DIGESTS) -> int:
    """Store the bundled sample digests when the archive is empty; the days stored."""
    async with res.sessions() as session:
        if await newest_day(session) is not None:
            return 0
    if not await asyncio.to_thread(folder.is_dir):
        return 0
    source = FolderSource(folder)
    stored = 0
    for day in source.days():
        result = await ingest_day(res.sessions, source, day)
        stored += result.status == "stored"
    return stored
