"""Parse one daily digest (``paper_logs/YYYY/MM/DD.md``) into a :class:`Digest`.

Pure: text in, dataclasses out; no I/O and only the standard library. The parser is
line-based: the text is split into lines once and each line is classified by its first
characters, which parses tens of thousands of papers a second.

Grammar
=======

Input. ``bytes`` are decoded as strict UTF-8 (an undecodable byte is an error naming the
line it is on). A leading UTF-8 BOM is dropped, CRLF is read as LF, and trailing
whitespace on every line is ignored. A C0/C1 control character other than tab, a lone
surrogate, U+FFFE/U+FFFF, or a lone CR inside a line makes the text binary junk: an error
naming its line.

Line kinds. Every marker must open the line (no indentation):

* ``## Daily Papers (YYYY-MM-DD)`` — a date header (the date must exist). A file may hold
  several ("date blocks"); they must all carry the same date, and a block may be empty.
* ``### [T](URL)`` — a paper heading. ``URL`` is the last ``](...)`` on the line, so the
  title ``T`` may contain brackets, parentheses, ``*``, ``<``, ``&``, ``$..$``. ``URL``
  must be an arXiv abstract link ``http(s)://(www.)arxiv.org/abs/ID``, ``ID`` new-style
  (``2406.07550``) or old-style (``hep-th/9901001``) with an optional version (``v2``).
  ``T`` must not be blank.
* Any other Markdown heading (1-6 ``#``, then a space, a tab or the line end) is an error;
  ``#hashtag`` is not a heading but prose.
* ``![alt](URL)`` — image media (a thumbnail; ``![]()`` means none). ``[Watch Video](URL)``
  — video media. A line that starts with ``!`` or ``[`` but is not exactly one of these
  (``[참고] ...``) is prose.
* ``<div><video ... src="URL" ...></video></div>`` — the player that follows a video link:
  ignored, except that its ``src`` is used when the paper has no media line of its own.
  Any other line starting with ``<`` is HTML, an error.
* ``Vote: N`` — votes (up to 9 digits); ``Vote: -`` and ``Vote:`` mean unknown (``None``);
  anything else after ``Vote:`` is an error.
* ``Authors: A, B, C`` or ``Authors: ['A', 'B']`` (a Python list literal).
* ``- **Name**: text`` — a named section. One to three asterisks open the label, zero to
  three close it, and the colon may sit before or after the closing asterisks:
  ``***Name***:``, ``**Name**:``, ``***Name*:``, ``**Name***:``, ``**Name:**`` all give
  ``Name``. Any name (no ``*`` or ``:`` in it). ``- **Bold** words`` without the colon is
  a plain bullet.
* ``- text`` — a plain bullet.
* blank lines separate things and are otherwise ignored; anything else is prose.

Placement rules:

* Before the first date header only blank lines are allowed.
* Between a header and its block's first paper only blank lines (or another header).
* A paper is its heading, then a *metadata zone*, then a *body*. The metadata zone holds
  at most one media line (plus the video ``<div>``), at most one ``Vote:`` and at most
  one ``Authors:`` line, in any order, each optional (the earliest files have none of
  them). A repeated metadata line is an error.
* The body starts at the first bullet. A named-section line starts a new section. A plain
  bullet starts or extends the paper's :data:`SUMMARY_SECTION` (the unlabelled bullets of
  the earliest era; its text is the bullets without their ``- ``, joined with ``\\n``) —
  unless the current section is a named one, in which case the bullet is a continuation
  of it. Prose (including indented sub-bullets) continues the current section: it is
  appended with ``\\n``, its leading indentation kept. Blank lines inside a body are
  dropped.
* Prose before a paper's first bullet, a metadata line after it, and any other HTML line
  (``<...``) are errors, as is any ``#`` heading other than the two above.
* A paper may have no metadata and no sections at all.

Results:

* ``arxiv_id`` is the ID from the URL without its version suffix (``2406.07550v2`` ->
  ``2406.07550``); ``url`` is the link exactly as written.
* Authors are split, stripped and empty names dropped; everything else is kept as
  written, including the ``+`` entry the upstream page used for "more authors".
* Section names are kept verbatim (``What’s New`` with a curly apostrophe stays so).
* A paper listed more than once in the file (same ``arxiv_id``, usually once per date
  block) is one paper: the first occurrence gives position and content, and ``votes`` is
  the largest known count of all occurrences (the later run saw the later count).
* ``position`` is the 1-based order of first appearance; ``rank`` orders papers by votes
  descending, ties by position, and papers without votes come last in position order.
* A text with no paper at all, empty or not, is an error.

Every problem raises :class:`~digestbot.errors.DigestFormatError` with the 1-based line
number; nothing is returned half-parsed and no other exception escapes.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass, field

from digestbot.digest.model import SUMMARY_SECTION, Digest, Paper, Section
from digestbot.errors import DigestFormatError

__all__ = ["parse_digest"]

_HEADER_RE = re.compile(r"## Daily Papers \(([0-9]{4})-([0-9]{2})-([0-9]{2})\)")
_PAPER_RE = re.compile(r"### \[(?P<title>.*)\]\((?P<url>[^()\s]*)\)")
_ARXIV_RE = re.compile(
    r"https?://(?:www\.)?arxiv\.org/abs/"
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/[0-9]{7})(?:v[0-9]+)?"
)
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\((?P<url>[^()\s]*)\)")
_VIDEO_RE = re.compile(r"\[Watch Video\]\((?P<url>[^()\s]+)\)")
_VIDEO_DIV_RE = re.compile(r"<div>\s*<video\b(?P<attrs>[^>]*)>\s*</video>\s*</div>")
_SRC_RE = re.compile(r"""\bsrc=["']([^"'\s]+)["']""")
_VOTE_RE = re.compile(r"Vote:\s*(?:(?P<n>[0-9]{1,9})|-)?")
_LABEL_RE = re.compile(
    r"-[ \t]+\*{1,3}[ \t]*(?P<name>[^*:\s](?:[^*:]*[^*:\s])?)[ \t]*\*{0,3}[ \t]*:"
    r"\*{0,3}[ \t]*(?P<text>.*)"
)
# A Python list of plain quoted strings: the common case, read without ast.
_SIMPLE_LIST_RE = re.compile(
    r"\[\s*(?:(?:'[^'\\]*'|\"[^\"\\]*\")\s*(?:,\s*(?:'[^'\\]*'|\"[^\"\\]*\")\s*)*,?\s*)?\]"
)
_QUOTED_RE = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")
# One character class (fast to scan): C0/C1 controls but tab, LF, CR; lone surrogates
# (bytes smuggled through "surrogateescape"); the non-characters U+FFFE and U+FFFF.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LONE_CR_RE = re.compile(r"\r(?![\r\n]|\Z)")
_MAX_NESTING = 8  # brackets allowed in an Authors list before ast is not trusted with it


@dataclass(slots=True)
class _Draft:
    """A paper while its lines are being read."""

    arxiv_id: str
    title: str
    url: str
    media_url: str | None = None
    media_kind: str | None = None
    votes: int | None = None
    authors: tuple[str, ...] = ()
    # (name, lines) pairs; a section's lines are joined with "\n" at the end.
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    in_body: bool = False  # a bullet has been seen: metadata lines are over
    in_summary: bool = False  # the last section is the unlabelled bullet summary
    seen_media: bool = False
    seen_vote: bool = False
    seen_authors: bool = False


def parse_digest(text: str | bytes, source: str = "<digest>") -> Digest:
    """Parse a digest file's text; raise :class:`DigestFormatError` if it is not one."""
    if isinstance(text, bytes | bytearray):
        text = _decode(bytes(text), source)
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _CONTROL_RE.search(text)
    if bad is None and "\r" in text:
        bad = _LONE_CR_RE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise DigestFormatError(source, line, f"binary character {bad.group()!r}: not text")
    if not text.strip():
        raise DigestFormatError(source, 1, "empty file: no '## Daily Papers (date)' header")
    return _Parser(source).run(text.replace("\r\n", "\n").split("\n"))


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise DigestFormatError(source, line, problem) from None


class _Parser:
    """The state of one parse's line loop. Used once, then dropped."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.date: dt.date | None = None
        self.header_line = 0
        self.papers: dict[str, _Draft] = {}
        self.current: _Draft | None = None

    def fail(self, line: int, problem: str) -> DigestFormatError:
        return DigestFormatError(self.source, line, problem)

    def run(self, lines: list[str]) -> Digest:
        for number, raw in enumerate(lines, 1):
            line = raw.rstrip()
            if not line:
                continue
            first = line[0]
            if first == "#" and _is_heading(line):
                self.heading(line, number)
                continue
            draft = self.current
            if draft is None:
                if self.date is None:
                    raise self.fail(number, "text before the first '## Daily Papers (date)'")
                raise self.fail(number, "text between a date header and the first paper")
            if first == "-" and line.startswith("- "):
                self.bullet(draft, line)
            elif first == "<":
                self.video_div(draft, line, number)
            elif first in "![":
                self.media(draft, line, number)
            elif first == "V" and line.startswith("Vote:"):
                self.vote(draft, line, number)
            elif first == "A" and line.startswith("Authors:"):
                self.authors(draft, line, number)
            else:
                self.prose(draft, line, number)
        self.finish_paper()
        if self.date is None:
            raise self.fail(1, "no '## Daily Papers (date)' header")
        if not self.papers:
            raise self.fail(self.header_line, "a date header but no papers")
        return Digest(date=self.date, papers=_build(self.papers), source=self.source)

    # -- headings ----------------------------------------------------------------------

    def heading(self, line: str, number: int) -> None:
        if line.startswith("### "):
            self.paper(line, number)
            return
        match = _HEADER_RE.fullmatch(line)
        if match is None:
            raise self.fail(number, f"unexpected heading {_clip(line)}")
        try:
            date = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise self.fail(number, f"not a date in header {_clip(line)}") from None
        if self.date is None:
            self.date = date
            self.header_line = number
        elif date != self.date:
            raise self.fail(number, f"a second date block for {date} in a file for {self.date}")
        self.finish_paper()

    def paper(self, line: str, number: int) -> None:
        if self.date is None:
            raise self.fail(number, "paper before the first '## Daily Papers (date)'")
        match = _PAPER_RE.fullmatch(line)
        if match is None:
            raise self.fail(number, f"paper heading is not '### [title](url)': {_clip(line)}")
        title = match["title"].strip()
        if not title:
            raise self.fail(number, "paper with no title")
        url = match["url"]
        link = _ARXIV_RE.fullmatch(url)
        if link is None:
            raise self.fail(number, f"paper link is not an arXiv abstract URL: {_clip(url)}")
        self.finish_paper()
        self.current = _Draft(arxiv_id=link["id"], title=title, url=url)

    def finish_paper(self) -> None:
        draft = self.current
        if draft is None:
            return
        self.current = None
        first = self.papers.get(draft.arxiv_id)
        if first is None:
            self.papers[draft.arxiv_id] = draft
        elif draft.votes is not None and (first.votes is None or draft.votes > first.votes):
            first.votes = draft.votes

    # -- metadata ----------------------------------------------------------------------

    def check_metadata(self, draft: _Draft, number: int, what: str, seen: bool) -> None:
        if draft.in_body:
            raise self.fail(number, f"{what} line after the paper's summary began")
        if seen:
            raise self.fail(number, f"a second {what} line for one paper")

    def media(self, draft: _Draft, line: str, number: int) -> None:
        if line[0] == "!":
            match = _IMAGE_RE.fullmatch(line)
            kind = "image"
        else:
            match = _VIDEO_RE.fullmatch(line)
            kind = "video"
        if match is None:  # e.g. "[참고] ..." inside a summary
            self.prose(draft, line, number)
            return
        self.check_metadata(draft, number, "media", draft.seen_media)
        draft.seen_media = True
        if match["url"]:
            draft.media_url = match["url"]
            draft.media_kind = kind

    def video_div(self, draft: _Draft, line: str, number: int) -> None:
        match = _VIDEO_DIV_RE.fullmatch(line)
        if match is None:
            raise self.fail(number, f"HTML where digest text was expected: {_clip(line)}")
        self.check_metadata(draft, number, "video player", False)
        src = _SRC_RE.search(match["attrs"])
        if draft.media_url is None and src is not None:
            draft.media_url = src[1]
            draft.media_kind = "video"

    def vote(self, draft: _Draft, line: str, number: int) -> None:
        match = _VOTE_RE.fullmatch(line)
        if match is None:
            raise self.fail(number, f"vote is not a number or '-': {_clip(line)}")
        self.check_metadata(draft, number, "'Vote:'", draft.seen_vote)
        draft.seen_vote = True
        draft.votes = int(match["n"]) if match["n"] is not None else None

    def authors(self, draft: _Draft, line: str, number: int) -> None:
        self.check_metadata(draft, number, "'Authors:'", draft.seen_authors)
        draft.seen_authors = True
        draft.authors = _split_authors(line[len("Authors:") :].strip())

    # -- body --------------------------------------------------------------------------

    def bullet(self, draft: _Draft, line: str) -> None:
        draft.in_body = True
        if line[2:].lstrip().startswith("*"):
            label = _LABEL_RE.fullmatch(line)
            if label is not None:
                draft.sections.append((label["name"], [label["text"].strip()]))
                draft.in_summary = False
                return
        if draft.in_summary:
            draft.sections[-1][1].append(line[2:].strip())
        elif draft.sections:  # a bullet inside a named section's text
            draft.sections[-1][1].append(line)
        else:
            draft.sections.append((SUMMARY_SECTION, [line[2:].strip()]))
            draft.in_summary = True

    def prose(self, draft: _Draft, line: str, number: int) -> None:
        if not draft.sections:
            raise self.fail(number, f"unexpected line before the paper's summary: {_clip(line)}")
        draft.sections[-1][1].append(line)


def _is_heading(line: str) -> bool:
    """A Markdown ATX heading: 1-6 '#' then a space, a tab or the end of the line."""
    level = len(line) - len(line.lstrip("#"))
    return level <= 6 and (level == len(line) or line[level] in " \t")


def _split_authors(raw: str) -> tuple[str, ...]:
    is_list = raw.startswith("[") and raw.endswith("]")
    names = _list_literal(raw) if is_list else raw.split(",")
    return tuple(stripped for name in names if (stripped := name.strip()))


def _list_literal(raw: str) -> list[str]:
    if _SIMPLE_LIST_RE.fullmatch(raw):
        return [single or double for single, double in _QUOTED_RE.findall(raw)]
    if sum(raw.count(c) for c in "[({") <= _MAX_NESTING:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
    # Not a list of strings after all: split what is between the brackets.
    return [name.strip().strip("'\"") for name in raw[1:-1].split(",")]


def _build(drafts: dict[str, _Draft]) -> tuple[Paper, ...]:
    ordered = list(drafts.values())
    ranking = sorted(
        range(len(ordered)),
        key=lambda i: (ordered[i].votes is None, -(ordered[i].votes or 0), i),
    )
    ranks = [0] * len(ordered)
    for rank, index in enumerate(ranking, 1):
        ranks[index] = rank
    return tuple(
        Paper(
            arxiv_id=d.arxiv_id,
            title=d.title,
            url=d.url,
            media_url=d.media_url,
            media_kind=d.media_kind,
            votes=d.votes,
            authors=d.authors,
            sections=tuple(Section(name, "\n".join(lines)) for name, lines in d.sections),
            position=position,
            rank=ranks[position - 1],
        )
        for position, d in enumerate(ordered, 1)
    )


def _clip(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
