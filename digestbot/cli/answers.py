"""``digestbot today|top|search|paper``: what the bot would answer, as plain text in the
terminal — the same services and rendering, no Telegram. ``today_text`` is also what
``digestbot run`` shows without a token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

import typer

from digestbot.cli.app import app, err, out, settings_or_exit, with_resources
from digestbot.config import LANGUAGES
from digestbot.present import args
from digestbot.present.html import (
    esc,
    render_argument_error,
    render_paper_messages,
    render_search,
    render_top,
)
from digestbot.present.i18n import t
from digestbot.present.plain import html_to_text, messages_to_text
from digestbot.present.push import render_push
from digestbot.services import answers
from digestbot.services.resources import Resources

LangOption = Annotated[
    str | None, typer.Option("--lang", help="ko or en (default: the configured language)")
]
PageOption = Annotated[int, typer.Option("--page", min=1, help="page number")]


def argument_error_text(exc: args.BadCommandArgument, lang: str) -> str:
    return html_to_text(render_argument_error(exc, lang))


async def today_text(res: Resources, lang: str) -> str:
    async with res.sessions() as session:
        answer = await answers.today(session, res.settings.top_n)
    if answer is None:
        return html_to_text(t(lang, "archive.empty"))
    messages = render_push(answer.day, answer.papers, lang=lang, total=answer.total, buttons=False)
    return messages_to_text(m.text for m in messages)


async def top_text(res: Resources, words: Sequence[str], lang: str, page: int = 0) -> str:
    request = args.parse_top(words)
    async with res.sessions() as session:
        answer = await answers.top(session, request, page)
    if answer is None:
        return html_to_text(t(lang, "archive.empty"))
    return html_to_text(
        render_top(answer.papers, answer.page, answer.kind, answer.start, answer.end, lang)
    )


async def search_text(res: Resources, words: Sequence[str], lang: str, page: int = 0) -> str:
    query = args.parse_search(" ".join(words))
    async with res.sessions() as session:
        answer = await answers.search(session, query, page, with_sections=False)
    return html_to_text(render_search(answer.papers, answer.page, query, lang))


async def paper_text(res: Resources, words: Sequence[str], lang: str) -> str:
    ref = args.parse_paper_ref(words)
    async with res.sessions() as session:
        paper = await answers.find_paper(session, ref)
    if paper is None:
        return html_to_text(t(lang, "paper.none", ref=esc(ref)))
    return messages_to_text(render_paper_messages(paper, lang=lang))


def _answer(work: Callable[[Resources, str], Awaitable[str]], lang: str | None) -> None:
    """Print what the bot would answer, as plain text; a bad argument is one line."""
    settings = settings_or_exit()
    chosen = lang or settings.language
    if chosen not in LANGUAGES:
        raise typer.BadParameter("use ko or en", param_hint="--lang")

    async def guarded(res: Resources) -> tuple[str, bool]:
        try:
            return await work(res, chosen), True
        except args.BadCommandArgument as exc:
            return argument_error_text(exc, chosen), False

    text, ok = with_resources(guarded, settings=settings)
    (out if ok else err).print(text, highlight=False)
    if not ok:
        raise typer.Exit(2)


@app.command()
def today(lang: LangOption = None) -> None:
    """Print the newest stored digest's top papers, as /today would."""
    _answer(today_text, lang)


@app.command()
def top(
    words: Annotated[
        list[str] | None, typer.Argument(help="[N] [YYYY-MM-DD | week | month]")
    ] = None,
    page: PageOption = 1,
    lang: LangOption = None,
) -> None:
    """Print the top-voted papers of a day or period, as /top would."""
    _answer(lambda res, chosen: top_text(res, words or [], chosen, page - 1), lang)


@app.command()
def search(
    words: Annotated[list[str], typer.Argument(help="words to search for")],
    page: PageOption = 1,
    lang: LangOption = None,
) -> None:
    """Print full-text search results, as /search would."""
    _answer(lambda res, chosen: search_text(res, words, chosen, page - 1), lang)


@app.command()
def paper(
    ref: Annotated[str, typer.Argument(help="an arXiv id, or a rank in the newest digest")],
    lang: LangOption = None,
) -> None:
    """Print one paper in full, as /paper would."""
    _answer(lambda res, chosen: paper_text(res, [ref], chosen), lang)
