"""Stored data → Telegram HTML: paper cards, lists, the digest, help, settings. Pure.

Everything that comes from a digest or a user goes through ``esc`` (titles and summaries
hold ``<``, ``&``, ``*`` and ``$…$`` LaTeX). No message is longer than Telegram's 4096
characters: long texts go through :mod:`digestbot.present.split`."""

from __future__ import annotations

import datetime as dt
import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from digestbot.config import Language
from digestbot.present.args import BadCommandArgument
from digestbot.present.i18n import COMMANDS, t
from digestbot.present.split import pack_blocks, split_html
from digestbot.store.archive import ARCHIVE_ORIGIN, PaperView
from digestbot.store.summaries import MODEL_ORIGIN_PREFIX as MODEL_PREFIX

LIST_TITLE_CHARS = 110
CARD_AUTHORS_IN_DIGEST = 6

# typographic apostrophes and quotes (and their look-alikes) → ' and "
_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\u02bc", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    }
)


def esc(text: object) -> str:
    """Text for Telegram HTML: ``<``, ``>`` and ``&`` escaped."""
    return html.escape(str(text), quote=False)


def esc_attr(text: str) -> str:
    return html.escape(text, quote=True)


def link(url: str, text: str) -> str:
    return f'<a href="{esc_attr(url)}">{esc(text)}</a>'


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- papers


def section_key(name: str) -> str:
    """A section name for comparing: ``What’s  New`` and ``what's new`` are one section
    (the archive spells it both ways). Apostrophes and quotes straightened, whitespace
    collapsed, case folded."""
    text = unicodedata.normalize("NFKC", name).translate(_QUOTES)
    return " ".join(text.split()).casefold()


def _authors(paper: PaperView, lang: str, limit: int | None) -> str:
    """The author list, cut at ``limit``; a digest that listed only some of them (a ``+``
    at the end of its list) says so instead of pretending the list is whole."""
    names = list(paper.authors)
    if limit is not None and len(names) > limit:
        shown = ", ".join(names[:limit])
        key = "paper.more_authors_plus" if paper.more_authors else "paper.more_authors"
        return f"{shown} {t(lang, key, n=len(names) - limit)}"
    listed = ", ".join(names)
    return f"{listed} {t(lang, 'paper.et_al')}" if paper.more_authors and names else listed


def _origin(paper: PaperView, lang: str) -> str | None:
    """One short line saying where the sections came from."""
    origin = paper.summary_origin
    if origin is None:
        return None
    if origin.startswith(MODEL_PREFIX):
        return t(lang, "paper.origin.model", model=esc(origin.removeprefix(MODEL_PREFIX)))
    return t(lang, "paper.origin.archive")


def _without_sections(paper: PaperView, lang: str, *, compact: bool) -> list[str]:
    """What a paper with no Korean sections yet shows: Hugging Face's English AI summary
    and the English abstract, each labelled (``compact``: only the first of them)."""
    blocks = []
    if paper.ai_summary:
        blocks.append(f"<i>{esc(t(lang, 'paper.ai_summary'))}</i>\n{esc(paper.ai_summary)}")
    if paper.abstract and not (compact and blocks):
        blocks.append(f"<i>{esc(t(lang, 'paper.abstract'))}</i>\n{esc(paper.abstract.strip())}")
    return blocks


def render_paper(
    paper: PaperView,
    *,
    lang: str = Language.KO,
    sections: Sequence[str] = (),
    number: int | None = None,
    max_authors: int | None = None,
    compact: bool = False,
) -> str:
    """One paper: title linked to arXiv, the Hugging Face page, votes, date, its GitHub
    repository, authors, and its sections (those named in ``sections``; empty = all),
    each under a bold heading, then where they came from. A paper without sections shows
    Hugging Face's English text instead, labelled (``compact``, in a digest: the shorter)."""
    prefix = f"{number}. " if number is not None else ""
    lines = [f"<b>{esc(prefix)}{link(paper.url, paper.title)}</b>"]
    facts = [
        link(paper.hf_url, f"🤗 {t(lang, 'paper.hf')}"),
        f"arXiv <code>{esc(paper.arxiv_id)}</code>",
    ]
    if paper.votes is not None:
        facts.append(f"👍 {paper.votes} {t(lang, 'paper.votes')}")
    if paper.day is not None:
        facts.append(f"📅 {t(lang, 'paper.date')} {paper.day.isoformat()}")
    if paper.github_repo:
        stars = f" ⭐ {paper.github_stars:,}" if paper.github_stars is not None else ""
        facts.append(link(paper.github_repo, "GitHub") + stars)
    if paper.project_page:
        facts.append(link(paper.project_page, f"🌐 {t(lang, 'paper.project')}"))
    lines.append(" · ".join(facts))
    if paper.authors:
        lines.append(
            f"<i>{esc(t(lang, 'paper.authors'))}: {esc(_authors(paper, lang, max_authors))}</i>"
        )
    blocks = ["\n".join(lines)]
    wanted = {section_key(name) for name in sections}
    for section in paper.sections:
        if wanted and section_key(section.name) not in wanted:
            continue
        blocks.append(f"<b>{esc(section.name)}</b>\n{esc(section.text.strip())}")
    if not paper.sections:
        blocks += _without_sections(paper, lang, compact=compact)
    origin = _origin(paper, lang) if len(blocks) > 1 else None
    # a digest names only generated summaries: the archive's are the rule there
    if origin is not None and not (compact and paper.summary_origin == ARCHIVE_ORIGIN):
        blocks.append(f"<i>{esc(origin)}</i>")
    return "\n\n".join(blocks)


def render_paper_messages(paper: PaperView, *, lang: str = Language.KO) -> list[str]:
    """``/paper``: the whole paper, split into messages when it is long."""
    return split_html(render_paper(paper, lang=lang))


def render_list_item(number: int, paper: PaperView, lang: str) -> str:
    facts = []
    if paper.votes is not None:
        facts.append(f"👍 {paper.votes}")
    if paper.day is not None:
        facts.append(paper.day.isoformat())
    facts.append(f"<code>{esc(paper.arxiv_id)}</code>")
    return f"<b>{number}.</b> {esc(shorten(paper.title, LIST_TITLE_CHARS))}\n    " + " · ".join(
        facts
    )


def render_list(header: str, papers: Sequence[PaperView], first_number: int, lang: str) -> str:
    """A page of a list (``/top``, ``/search``): one message, never over the limit."""
    items = [render_list_item(first_number + i, p, lang) for i, p in enumerate(papers)]
    text = "\n\n".join([header, *items])
    return split_html(text)[0]


@dataclass(frozen=True, slots=True)
class ListPage:
    """Which slice of a list a page shows (pure pagination arithmetic)."""

    page: int  # 0-based
    size: int
    total: int

    @property
    def offset(self) -> int:
        return self.page * self.size

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.total


def period_label(kind: str, start: dt.date, end: dt.date, lang: str) -> str:
    if kind == "day":
        return t(lang, "top.period.day", day=end.isoformat())
    return t(lang, f"top.period.{kind}", start=start.isoformat(), end=end.isoformat())


def render_top(
    papers: Sequence[PaperView], page: ListPage, kind: str, start: dt.date, end: dt.date, lang: str
) -> str:
    period = period_label(kind, start, end, lang)
    if not page.total:
        return t(lang, "top.empty", period=esc(period))
    header = t(
        lang, "top.header", period=esc(period), first=page.first, last=page.last, total=page.total
    )
    return render_list(header, papers, page.first, lang)


def render_search(papers: Sequence[PaperView], page: ListPage, query: str, lang: str) -> str:
    shown = esc(shorten(query, 60))
    if not page.total:
        return t(lang, "search.none", query=shown)
    header = t(
        lang, "search.header", query=shown, first=page.first, last=page.last, total=page.total
    )
    return render_list(header, papers, page.first, lang)


def render_saved(papers: Sequence[PaperView], page: ListPage, lang: str) -> str:
    """A page of ``/saved``: the bookmarks, newest first (one friendly line when none)."""
    if not page.total:
        return t(lang, "saved.empty")
    header = t(lang, "saved.header", first=page.first, last=page.last, total=page.total)
    return render_list(header, papers, page.first, lang)


def render_similar(paper: PaperView, papers: Sequence[PaperView], lang: str) -> str:
    """``/similar``: the papers most like ``paper``, as a list like ``/search``'s."""
    title = esc(shorten(paper.title, 80))
    if not papers:
        return t(lang, "similar.none", title=title)
    return render_list(t(lang, "similar.header", title=title), papers, 1, lang)


def _digest_cards(
    papers: Sequence[PaperView], sections: Sequence[str], lang: str, *, by_rank: bool = True
) -> list[str]:
    return [
        render_paper(
            p,
            lang=lang,
            sections=sections,
            number=(p.rank or i) if by_rank else i,
            max_authors=CARD_AUTHORS_IN_DIGEST,
            compact=True,
        )
        for i, p in enumerate(papers, start=1)
    ]


def render_digest_messages(
    day: dt.date,
    papers: Sequence[PaperView],
    *,
    sections: Sequence[str] = (),
    lang: str = Language.KO,
    total: int | None = None,
    followed: Sequence[PaperView] = (),
) -> list[str]:
    """The morning push (and ``/today``): a header, then the papers with the chosen
    sections (empty = all), packed into valid-HTML messages of at most 4096 characters;
    a message break falls between papers whenever one paper fits in a message.
    ``total``, when given, is the number of papers that day (the header says "top 5 of
    40"); without it the header only counts the papers shown ("5 papers"), claiming no
    ranking it cannot check. ``followed``: the day's papers matching the chat's follows
    (not already among ``papers``), under their own heading; with no ``papers`` (a
    follows-only push) they are the whole digest, under a header saying so."""
    if not papers and followed:
        header = t(lang, "digest.header_follows", day=day.isoformat(), n=len(followed))
        return pack_blocks([header, *_digest_cards(followed, sections, lang)])
    if total is not None and total > len(papers):
        header = t(lang, "digest.header", day=day.isoformat(), shown=len(papers), total=total)
    else:
        header = t(lang, "digest.header_all", day=day.isoformat(), shown=len(papers))
    blocks = [header, *_digest_cards(papers, sections, lang)]
    if followed:
        blocks += [t(lang, "digest.followed"), *_digest_cards(followed, sections, lang)]
    return pack_blocks(blocks)


def render_weekly_messages(
    start: dt.date,
    end: dt.date,
    papers: Sequence[PaperView],
    *,
    sections: Sequence[str] = (),
    lang: str = Language.KO,
    total: int | None = None,
    followed: bool = False,
) -> list[str]:
    """The weekly digest: the top papers of ``start..end`` by votes (``/top week``'s
    ranking), numbered in that order, under the week's own header; ``followed``: they
    are the week's papers the chat follows (a follows-only subscription)."""
    dates = {"start": start.isoformat(), "end": end.isoformat(), "shown": len(papers)}
    if followed:
        header = t(lang, "weekly.header_follows", **dates)
    elif total is not None and total > len(papers):
        header = t(lang, "weekly.header", total=total, **dates)
    else:
        header = t(lang, "weekly.header_all", **dates)
    return pack_blocks([header, *_digest_cards(papers, sections, lang, by_rank=False)])


@dataclass(frozen=True, slots=True)
class FollowLine:
    """One row of /following: its number and what was typed."""

    number: int
    text: str


def render_following(follows: Sequence[FollowLine], limit: int, lang: str) -> str:
    """``/following``: the chat's follows, numbered as ``/unfollow <number>`` reads them."""
    if not follows:
        return t(lang, "follow.list_empty")
    lines = [t(lang, "follow.list_header", n=len(follows), max=limit)]
    lines += [f"{f.number}. {esc(f.text)}" for f in follows]
    lines.append(t(lang, "follow.list_hint"))
    return "\n".join(lines)


def render_help(lang: str, bot_username: str | None = None) -> str:
    lines = [t(lang, "help.intro"), "", t(lang, "help.commands")]
    for command, example in COMMANDS:
        lines.append(
            f"/{command} — {esc(t(lang, f'cmd.{command}'))}\n    <code>{esc(example)}</code>"
        )
    if bot_username:
        lines += ["", t(lang, "help.inline", bot=esc(bot_username))]
    return "\n".join(lines)


def render_settings(
    *,
    active: bool,
    push_time: str,
    timezone: str,
    top_n: int,
    sections: Sequence[str],
    lang: str,
    full_sections: bool | None = None,
    cadence: str = "daily",
    follows_only: bool = False,
) -> str:
    """The /settings summary (``full_sections`` None: that line left out)."""
    follow_lines = t(
        lang,
        "settings.header_follow",
        cadence=t(lang, f"cadence.{cadence}"),
        follows_only=t(lang, "settings.on" if follows_only else "settings.off"),
    )
    text = (
        t(
            lang,
            "settings.header",
            state=t(lang, "settings.on" if active else "settings.off"),
            time=esc(push_time),
            tz=esc(timezone),
            n=top_n,
            sections=esc(", ".join(sections)) if sections else t(lang, "settings.all_sections"),
            language=t(lang, "lang.name"),
        )
        + f"\n{follow_lines}"
    )
    if full_sections is None:
        return text
    state = t(lang, "settings.on" if full_sections else "settings.off")
    return f"{text}\n{t(lang, 'settings.full_line', state=state)}"


def render_bad_argument(message: str, example: str, lang: str) -> str:
    """One line: what was wrong, and an example of a correct use."""
    if not example:
        return message
    return f"{message} {t(lang, 'error.example', example=f'<code>{esc(example)}</code>')}"


def render_argument_error(exc: BadCommandArgument, lang: str) -> str:
    """A bad command argument as the one line the bot answers (``html_to_text`` makes the
    terminal's)."""
    params = {k: esc(v) for k, v in exc.params.items()}
    return render_bad_argument(t(lang, exc.key, **params), exc.example, lang)
