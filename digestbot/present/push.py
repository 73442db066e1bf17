"""The morning push (and ``/today``) as one compact message with a button per paper. Pure.

Per paper: a numbered title line (linked to arXiv) with its votes, then its sections in an
expandable quote (``<blockquote expandable>``, Bot API 7.4), each shortened to its first
whole sentences (:mod:`digestbot.present.sentences`; never cut mid-sentence, a shortened
one ends with "…"). The sentences are given out in rounds — the first sentence of every
section of every paper, then the second… — while the message stays within Telegram's
4096 characters (counted as :mod:`digestbot.present.split` counts them: UTF-16 units of
the HTML, tags included, which is more than Telegram counts). Every section stays one tap
away: button ``n`` opens paper ``n``'s whole card.

``followed`` papers (a chat's follows that are not in its top N) come under their own
heading, numbered on. ``full=True`` is the old push: every section in full, in as many
messages as needed, the buttons under the last one. A push so long that even its title
lines do not fit one message (top 20 with long titles) is cut between papers into several
messages, each with the buttons of its own papers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from digestbot.config import Language
from digestbot.digest.model import SUMMARY_SECTION
from digestbot.present.callbacks import paper_data
from digestbot.present.html import (
    CARD_AUTHORS_IN_DIGEST,
    LIST_TITLE_CHARS,
    esc,
    link,
    render_paper,
    section_key,
    shorten,
)
from digestbot.present.i18n import t
from digestbot.present.sentences import split_sentences
from digestbot.present.split import MESSAGE_LIMIT, pack_blocks, utf16_len
from digestbot.store.archive import PaperView

__all__ = ["BUTTONS_PER_ROW", "Button", "PushMessage", "render_push"]

BUTTONS_PER_ROW = 5
# the title lines of one message take at most this share of it: the rest is for sections
_SKELETON_SHARE = 0.75


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: its label and its callback data (``present.callbacks``)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One message: Telegram HTML, its inline keyboard (rows of buttons) and the page
    Telegram previews under it (None: previews off)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    preview_url: str | None = None

    def to_json(self) -> str | dict[str, Any]:
        """What the outbox stores: a bare string when there is only text (the form of
        every part stored before buttons existed), else an object."""
        if not self.buttons and self.preview_url is None:
            return self.text
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [[[b.label, b.data] for b in row] for row in self.buttons]
        if self.preview_url is not None:
            data["preview_url"] = self.preview_url
        return data

    @classmethod
    def from_json(cls, raw: object) -> PushMessage:
        """Back from :meth:`to_json` (a stored string is a text-only part); ``ValueError``
        for anything else."""
        if isinstance(raw, str):
            return cls(raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise ValueError(f"not a stored message part: {raw!r}")
        rows = raw.get("buttons", [])
        preview = raw.get("preview_url")
        if not isinstance(rows, list) or not (preview is None or isinstance(preview, str)):
            raise ValueError(f"not a stored message part: {raw!r}")
        buttons: list[tuple[Button, ...]] = []
        for row in rows:
            if not isinstance(row, list):
                raise ValueError(f"not a row of buttons: {row!r}")
            cells = []
            for cell in row:
                if not (isinstance(cell, list) and len(cell) == 2):
                    raise ValueError(f"not a button: {cell!r}")
                if not all(isinstance(c, str) for c in cell):
                    raise ValueError(f"not a button: {cell!r}")
                cells.append(Button(cell[0], cell[1]))
            buttons.append(tuple(cells))
        return cls(raw["text"], tuple(buttons), preview)


@dataclass(slots=True)
class _Entry:
    number: int
    paper: PaperView
    sections: list[tuple[str, list[str]]]  # (name, sentences)
    taken: list[int] = field(default_factory=list)  # sentences shown, per section

    def __post_init__(self) -> None:
        self.taken = [0] * len(self.sections)


def _sections(paper: PaperView, wanted: Sequence[str], lang: str) -> list[tuple[str, list[str]]]:
    keys = {section_key(name) for name in wanted}
    found = [
        (s.name, split_sentences(s.text))
        for s in paper.sections
        if not keys or section_key(s.name) in keys
    ]
    if not paper.sections:  # no Korean summary yet: Hugging Face's English text, labelled
        if paper.ai_summary:
            found.append((t(lang, "paper.ai_summary"), split_sentences(paper.ai_summary)))
        elif paper.abstract:
            found.append((t(lang, "paper.abstract"), split_sentences(paper.abstract)))
    return [(name, sentences) for name, sentences in found if sentences]


def _entry_html(entry: _Entry) -> str:
    paper = entry.paper
    line = f"<b>{entry.number}. {link(paper.url, shorten(paper.title, LIST_TITLE_CHARS))}</b>"
    if paper.votes is not None:
        line += f" · 👍 {paper.votes}"
    quoted = []
    # the earliest era's one unnamed section needs no heading
    named = not (len(entry.sections) == 1 and entry.sections[0][0] == SUMMARY_SECTION)
    for (name, sentences), shown in zip(entry.sections, entry.taken, strict=True):
        if not shown:
            continue
        body = esc(" ".join(sentences[:shown])) + (" …" if shown < len(sentences) else "")
        quoted.append(f"<b>{esc(name)}</b> {body}" if named else body)
    if quoted:
        line += "\n<blockquote expandable>" + "\n".join(quoted) + "</blockquote>"
    return line


# one message: a list of blocks, each an HTML string or a paper
_Block = str | _Entry


def _message_html(blocks: Sequence[_Block]) -> str:
    return "\n\n".join(b if isinstance(b, str) else _entry_html(b) for b in blocks)


def _fill(blocks: Sequence[_Block], limit: int) -> None:
    """Give the papers' sentences out in rounds while the message fits ``limit``."""
    entries = [b for b in blocks if isinstance(b, _Entry)]
    closed: set[tuple[int, int]] = set()
    size = utf16_len(_message_html(blocks))
    round_ = 0
    progress = True
    while progress:
        progress = False
        for i, entry in enumerate(entries):
            for j, (_, sentences) in enumerate(entry.sections):
                if (i, j) in closed or entry.taken[j] != round_ or round_ >= len(sentences):
                    continue
                before = utf16_len(_entry_html(entry))
                entry.taken[j] += 1
                grown = size + utf16_len(_entry_html(entry)) - before
                if grown > limit:
                    entry.taken[j] -= 1
                    closed.add((i, j))  # later sentences of it are no shorter a promise
                    continue
                size = grown
                progress = True
        round_ += 1


def _buttons(entries: Sequence[_Entry]) -> tuple[tuple[Button, ...], ...]:
    cells = [Button(str(e.number), paper_data(e.paper.arxiv_id)) for e in entries]
    return tuple(
        tuple(cells[i : i + BUTTONS_PER_ROW]) for i in range(0, len(cells), BUTTONS_PER_ROW)
    )


def _header(day: dt.date, shown: int, total: int | None, lang: str) -> str:
    if total is not None and total > shown:
        return t(lang, "digest.header", day=day.isoformat(), shown=shown, total=total)
    return t(lang, "digest.header_all", day=day.isoformat(), shown=shown)


def render_push(
    day: dt.date,
    papers: Sequence[PaperView],
    *,
    followed: Sequence[PaperView] = (),
    sections: Sequence[str] = (),
    lang: str = Language.KO,
    total: int | None = None,
    full: bool = False,
    limit: int = MESSAGE_LIMIT,
    buttons: bool = True,
) -> list[PushMessage]:
    """``day``'s push: ``papers`` (the top N, in order), then ``followed`` under their
    own heading, showing the ``sections`` named (empty = all). ``total``: the papers that
    day, for the header's "top 5 of 40". One message whenever the title lines fit.
    ``buttons=False`` (the terminal): no buttons, and no line telling to tap them. With
    no ``papers`` but ``followed`` (a follows-only push) the header says so instead."""
    numbered = list(enumerate([*papers, *followed], start=1))
    if followed and not papers:
        header = t(lang, "digest.header_follows", day=day.isoformat(), n=len(followed))
        heading = None
    else:
        header = _header(day, len(papers), total, lang)
        heading = t(lang, "push.followed") if followed else None
    hint = t(lang, "push.hint") if buttons else ""
    if full:
        full_messages = _render_full(
            header, numbered, len(papers), heading, hint, sections, lang, limit
        )
        return full_messages if buttons else [PushMessage(m.text) for m in full_messages]
    blocks: list[_Block] = [header]
    for number, paper in numbered:
        if heading is not None and number == len(papers) + 1:
            blocks.append(heading)
        blocks.append(_Entry(number, paper, _sections(paper, sections, lang)))
    if hint:
        blocks.append(hint)
    messages = []
    for chunk in _chunks(blocks, int(limit * _SKELETON_SHARE)):
        _fill(chunk, limit)
        entries = [b for b in chunk if isinstance(b, _Entry)] if buttons else []
        messages.append(PushMessage(_message_html(chunk), _buttons(entries)))
    return messages


def _chunks(blocks: Sequence[_Block], budget: int) -> list[list[_Block]]:
    """Cut between papers so that each message's title lines fit ``budget`` (one
    message unless they do not)."""
    chunks: list[list[_Block]] = [[]]
    for block in blocks:
        current = chunks[-1]
        grown = utf16_len(_message_html([*current, block]))
        if current and grown > budget and any(isinstance(b, _Entry) for b in current):
            chunks.append([block])
        else:
            current.append(block)
    return chunks


def _render_full(
    header: str,
    numbered: Sequence[tuple[int, PaperView]],
    top: int,
    heading: str | None,
    hint: str,
    sections: Sequence[str],
    lang: str,
    limit: int,
) -> list[PushMessage]:
    """Every section in full, packed into messages; the buttons under the last one."""
    blocks = [header]
    for number, paper in numbered:
        if heading is not None and number == top + 1:
            blocks.append(heading)
        blocks.append(
            render_paper(
                paper,
                lang=lang,
                sections=sections,
                number=number,
                max_authors=CARD_AUTHORS_IN_DIGEST,
                compact=True,
            )
        )
    texts = pack_blocks([*blocks, hint], limit)
    entries = [_Entry(number, paper, []) for number, paper in numbered]
    last = PushMessage(texts[-1], _buttons(entries))
    return [*(PushMessage(text) for text in texts[:-1]), last]
