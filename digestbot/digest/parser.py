"""Parse one daily digest (``paper_logs/YYYY/MM/DD.md``) into a :class:`Digest`.

Pure: text in, dataclasses out; no I/O and only the standard library. The parser is
line-based: the text is split into lines once and each line is classified by its first
characters, which parses tens of thousands of papers a second.

The parser is tolerant. The published archive drifts (formats change over time, the
generator sometimes slipped), and one odd line must not cost a day of 20-40 papers: every
recoverable oddity is repaired or skipped and reported as a :class:`ParseWarning` in
``Digest.warnings`` (its line, what was found, what was done). Only a text that is not a
digest at all raises :class:`~digestbot.errors.DigestFormatError` (see *Refusals*).

Grammar
=======

Input. ``bytes`` are decoded as UTF-8. A leading UTF-8 BOM is dropped, CRLF (and CR CR
LF) is read as LF, and trailing whitespace on every line is ignored. Then the *bad
characters* are repaired or dropped, one warning per line that had any (line numbers never
shift):

* a backspace ``\\x08``, a form feed ``\\x0c`` or a lone carriage return ``\\r`` directly
  before an ASCII letter (a lower-case one for ``\\r``) is a LaTeX backslash that the
  generator's JSON decoding turned into a control character (``\\bench`` became
  backspace + ``ench``, ``\\framework`` form feed + ``ramework``, ``\\rho`` CR + ``ho``).
  It is written back as the two characters it stood for (``\\b``, ``\\f``, ``\\r``);
* a tab is left alone except where it is the ``\\t`` of a known LaTeX command (a tab that
  is not indentation, directly before ``heta``, ``ext``, ``extbf``, ``imes``, ``au``,
  ``ilde``, ``o``, … then a non-letter, see ``_LATEX_T``): written back as ``\\t``;
* every other bad character is dropped: C0/C1 controls but tab and LF, a carriage return
  not repaired above, undecodable bytes (``bytes`` input) and lone surrogates (``str``
  input that carries them), U+FFFE/U+FFFF.

``\\n`` in LaTeX (``\\nabla``) became a line break in the generator and cannot be told
from one; such a line is read as the continuation line it now is.

Line kinds (after the repairs):

* ``## Daily Papers (YYYY-MM-DD)`` — a date header (the date must exist). A file may hold
  several ("date blocks"), and a block may be empty.
* ``### [T](URL)`` — a paper heading. ``URL`` is the last ``](...)`` on the line, so the
  title ``T`` may contain brackets, parentheses, ``*``, ``<``, ``&``, ``$..$``. ``URL`` is
  an arXiv abstract link ``http(s)://(www.)arxiv.org/abs/ID``, ``ID`` new-style
  (``2406.07550``) or old-style (``hep-th/9901001``) with an optional version (``v2``).
* Any other Markdown heading (1-6 ``#``, then a space, a tab or the line end); ``#hashtag``
  is not a heading but prose.
* ``![alt](URL)`` — image media (a thumbnail; ``![]()`` means none). ``[Watch Video](URL)``
  — video media. A line that starts with ``!`` or ``[`` but is not one of these
  (``[참고] ...``) is prose.
* A video player: ``<div><video ... src="URL" ...></video></div>`` (after a video link)
  or a bare ``<video src='URL'></video>`` (the earliest era's only media line). Its
  ``src`` is the paper's video when the paper has no media line of its own.
* Any other line that opens an HTML tag (``<`` then a letter, ``!``, ``/`` or ``?``) is
  HTML; ``<5%`` is prose.
* ``Vote: N`` — votes (up to 9 digits); ``Vote: -`` and ``Vote:`` mean unknown (``None``).
* ``Authors: A, B, C`` or ``Authors: ['A', 'B']`` (a Python list literal).
* ``- **Name**: text`` — a named section. One to three asterisks open the label, zero to
  three close it, and the colon may sit before or after the closing asterisks:
  ``***Name***:``, ``**Name**:``, ``***Name*:``, ``**Name***:``, ``**Name:**`` all give
  ``Name``. Any name (no ``*`` or ``:`` in it). ``- **Bold** words`` without the colon is
  a plain bullet.
* ``- text`` — a plain bullet.
* blank lines separate things and are otherwise ignored; anything else is prose.

A paper is its heading, then a *metadata zone*, then a *body*. The metadata zone holds a
media line (plus the video player), a ``Vote:`` and an ``Authors:`` line, in any order,
each optional (the earliest files have none of them). The body starts at the first bullet.
A named-section line starts a new section. A plain bullet starts or extends the paper's
:data:`SUMMARY_SECTION` (the unlabelled bullets of the earliest era; its text is the
bullets without their ``- ``, joined with ``\\n``) — unless the current section is a named
one, in which case the bullet is a continuation of it. Prose (including indented
sub-bullets) continues the current section: it is appended with ``\\n``, its leading
indentation kept. Blank lines inside a body are dropped. A paper may have no metadata and
no sections at all.

Repairs (each one a warning; nothing else is):

* Indentation: an indented heading, media, video player, ``Vote:`` or ``Authors:`` line —
  or an indented bullet before the paper has any section — is read without it. (Other
  indented lines are continuation text, as above.)
* ``[Watch Video]URL`` without the parentheses is the paper's video.
* A repeated metadata line: the *first* readable line of each kind (media, ``Vote:``,
  ``Authors:``) wins and later ones are ignored — the later one is far more often a stray
  (a duplicated line, or the next paper's line after its heading was lost) than a
  correction. A media line still wins over a video player's ``src``, in either order.
* A metadata line after the body began (a media, player, ``Vote:`` or ``Authors:`` line
  after the summary) is used as the paper's metadata, as if it were in the zone.
* An unreadable ``Vote:`` line (``Vote: seven``, ten digits) is ignored: votes unknown.
* Prose between the metadata and the first bullet starts the paper's summary.
* A paper heading whose line has more than ``### [T](URL)`` (text after the link, a link
  title ``"tip"``, a tab after ``###``) is read as ``T`` and the arXiv ``URL``; a blank
  ``T`` is replaced by the arXiv id.
* A ``###`` heading with no usable arXiv abstract link skips that paper: its lines up to
  the next paper heading or date header are dropped.
* Text outside any paper (before the first paper, or between a date header and the next
  paper) is dropped; so is any other heading and any HTML line.
* A date header that is not ``## Daily Papers (YYYY-MM-DD)`` with a real date is skipped;
  a date block with a date other than the first header's keeps its papers under the first
  date. A paper before the first date header is kept.
* A text that does not end with a line break looks cut short: the warning says so, and
  the last paper is kept with what it has (a cut heading is a heading without a usable
  link, so that paper is skipped).

Refusals — :class:`~digestbot.errors.DigestFormatError` with a line number, for text that
is not a digest at all:

* empty (nothing but whitespace and a BOM, also once bad characters are dropped);
* truly binary: more than 16 bad characters (see *Input*; undecodable bytes count one each)
  *and* at least 1 in 50 of all characters. A real digest has none or a handful; an image,
  an archive or UTF-16 text has far more than that;
* an HTML page (the first non-blank line opens with ``<!DOCTYPE`` or ``<html``);
* no ``## Daily Papers (date)`` header with a real date (the error names the first
  header-like line if there is one);
* no paper with a usable arXiv heading.

Results:

* ``arxiv_id`` is the ID from the URL without its version suffix (``2406.07550v2`` ->
  ``2406.07550``); ``url`` is the link exactly as written.
* Authors are split, stripped and empty names dropped. ``+`` (the upstream page's "more
  authors not listed") is not an author: it is removed and sets ``more_authors``.
* Section names are kept verbatim (``What’s New`` with a curly apostrophe stays so).
* A paper listed more than once in the file (same ``arxiv_id``, usually once per date
  block) is one paper: the first occurrence gives position and content, and ``votes`` is
  the largest known count of all occurrences (the later run saw the later count).
* ``position`` is the 1-based order of first appearance; ``rank`` orders papers by votes
  descending, ties by position, and papers without votes come last in position order.
* ``warnings`` are in line order; ``ParseWarning.format(source)`` gives
  ``source:line: message``.

No exception other than :class:`~digestbot.errors.DigestFormatError` escapes, and nothing
is returned half-parsed.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass, field

from digestbot.digest.model import (
    SUMMARY_SECTION,
    Digest,
    Paper,
    ParseWarning,
    Section,
    ranks_by_votes,
)
from digestbot.errors import DigestFormatError

__all__ = ["parse_digest"]

_HEADER_RE = re.compile(r"## Daily Papers \(([0-9]{4})-([0-9]{2})-([0-9]{2})\)")
_PAPER_RE = re.compile(r"### \[(?P<title>.*)\]\((?P<url>[^()\s]*)\)")
# The repair of a heading with more on its line: the last "](arXiv link" wins.
_LOOSE_PAPER_RE = re.compile(
    r"###[ \t]+\[(?P<title>.*)\]\([ \t]*(?P<url>https?://(?:www\.)?arxiv\.org/abs/[^()\s]*)"
    r"[^)]*\).*"
)
_ARXIV_RE = re.compile(
    r"https?://(?:www\.)?arxiv\.org/abs/"
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/[0-9]{7})(?:v[0-9]+)?"
)
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\((?P<url>[^()\s]*)\)")
_VIDEO_RE = re.compile(r"\[Watch Video\]\((?P<url>[^()\s]+)\)")
_LOOSE_VIDEO_RE = re.compile(r"\[Watch Video\][ \t]*(?P<url>(?:https?://|/)[^()\s]+)")
_PLAYER_RE = re.compile(r"(?:<div>\s*)?<video\b(?P<attrs>[^>]*)>(?:\s*</video>)?(?:\s*</div>)?")
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
_MAX_NESTING = 8  # brackets allowed in an Authors list before ast is not trusted with it

# The bad characters, one class (fast to scan; after CRLF became LF, so a CR is lone):
# C0/C1 controls but tab and LF; lone surrogates (bytes smuggled through "surrogateescape");
# the non-characters U+FFFE and U+FFFF.
_LINE_END_RE = re.compile(r"\r+(\n|\Z)")  # CRLF, and CRs before a line end: trailing space
_HTML_PAGE_RE = re.compile(r"\s*(?=<(?:!doctype|html)\b)", re.IGNORECASE)
_BAD = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
_BAD_RE = re.compile(f"[{_BAD}]")
# What JSON's "\t" ate of LaTeX commands that start with t (\theta, \text{...}, \times...).
_LATEX_T = (
    "au|an|anh|ag|ext|extbf|extit|exttt|extrm|extsf|extsc|extup|extnormal|extstyle|"
    "extcolor|extwidth|extsuperscript|extsubscript|frac|binom|heta|hinspace|iny|ilde|imes|"
    "o|op|riangle|riangleq|riangleleft|riangleright|t"
)
_FIX_RE = re.compile(f"[{_BAD}]|\t(?=(?:{_LATEX_T})(?![A-Za-z]))")
_ESCAPES = {"\x08": ("backspace", "b"), "\x0c": ("form feed", "f"), "\r": ("carriage return", "r")}
_BINARY_MIN = 16  # more bad characters than this, and ...
_BINARY_SHARE = 50  # ... at least one in this many characters: binary, not text
_PARTS_SHOWN = 3  # repairs listed in one line's warning before "and N more"


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
    more_authors: bool = False
    # (name, lines) pairs; a section's lines are joined with "\n" at the end.
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    in_body: bool = False  # a bullet (or summary text) has been seen
    in_summary: bool = False  # the last section is the unlabelled bullet summary
    # the line of the metadata line that was used, 0 while there is none
    media_line: int = 0
    vote_line: int = 0
    authors_line: int = 0


@dataclass(slots=True)
class _Skip:
    """A run of lines being dropped: a paper without a usable link, or text outside papers."""

    line: int
    problem: str
    paper: bool
    count: int = 0  # non-blank lines dropped after ``line``


def parse_digest(text: str | bytes, source: str = "<digest>") -> Digest:
    """Parse a digest file's text, repairing what can be repaired (see ``warnings``);
    raise :class:`DigestFormatError` only if the text is not a digest at all."""
    if isinstance(text, bytes | bytearray):
        text = _decode(bytes(text))
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = _LINE_END_RE.sub(r"\1", text)
    warnings: list[ParseWarning] = []
    if _BAD_RE.search(text) is not None or ("\t" in text and _FIX_RE.search(text)):
        text = _repair(text, source, warnings)
    if not text or text.isspace():
        raise DigestFormatError(source, 1, "empty file: no '## Daily Papers (date)' header")
    page = _HTML_PAGE_RE.match(text)
    if page is not None:
        line = text.count("\n", 0, page.end()) + 1
        raise DigestFormatError(source, line, "an HTML page, not a digest")
    return _Parser(source, warnings).run(text.split("\n"))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # each undecodable byte becomes a lone surrogate, dropped (and counted) by _repair
        return data.decode("utf-8", "surrogateescape")


def _repair(text: str, source: str, warnings: list[ParseWarning]) -> str:
    """Repair or drop the bad characters (see the grammar); refuse binary data."""
    bad = _BAD_RE.findall(text)
    if len(bad) > _BINARY_MIN and len(bad) * _BINARY_SHARE >= len(text):
        first = _BAD_RE.search(text)
        line = text.count("\n", 0, first.start() if first else 0) + 1
        raise DigestFormatError(
            source,
            line,
            f"binary data, not text: {len(bad)} of {len(text)} characters are control "
            "characters or undecodable bytes",
        )
    out: list[str] = []
    parts: list[str] = []  # what was done on the current line
    latex = False  # a part of the current line is a LaTeX repair
    line = 1
    counted = 0  # text[:counted] has had its line breaks counted
    done = 0  # text[:done] is in out
    for match in _FIX_RE.finditer(text):
        at = match.start()
        here = line + text.count("\n", counted, at)
        counted = at
        if here != line:
            _flush_line(warnings, line, parts, latex)
            parts, latex, line = [], False, here
        char = match.group()
        word = _word_after(text, at + 1)
        replacement = ""
        if char == "\t":
            start = text.rfind("\n", 0, at) + 1
            if not text[start:at].strip():
                continue  # indentation: a tab, not LaTeX
            replacement = "\\t"
            parts.append(f"tab before {word!r} read as '\\t{word}'")
            latex = True
        elif char in _ESCAPES and word and (char != "\r" or word[0].islower()):
            name, letter = _ESCAPES[char]
            replacement = "\\" + letter
            parts.append(f"{name} {char!r} before {word!r} read as '\\{letter}{word}'")
            latex = True
        elif "\udc80" <= char <= "\udcff":
            parts.append(f"undecodable byte 0x{ord(char) - 0xDC00:02x} dropped")
        elif "\ud800" <= char <= "\udfff":
            parts.append(f"lone surrogate U+{ord(char):04X} dropped")
        else:
            parts.append(f"control character {char!r} dropped")
        out.append(text[done:at])
        out.append(replacement)
        done = at + 1
    _flush_line(warnings, line, parts, latex)
    out.append(text[done:])
    return "".join(out)


def _word_after(text: str, at: int, limit: int = 12) -> str:
    """The ASCII letters that start ``text[at:]`` (at most ``limit`` of them)."""
    end = at
    while end < len(text) and end - at < limit and text[end].isascii() and text[end].isalpha():
        end += 1
    return text[at:end]


def _flush_line(warnings: list[ParseWarning], line: int, parts: list[str], latex: bool) -> None:
    if not parts:
        return
    shown = "; ".join(parts[:_PARTS_SHOWN])
    if len(parts) > _PARTS_SHOWN:
        shown += f"; and {len(parts) - _PARTS_SHOWN} more"
    if latex:
        shown += " (LaTeX backslashes the generator's JSON decoding turned into control characters)"
    warnings.append(ParseWarning(line, shown))


class _Parser:
    """The state of one parse's line loop. Used once, then dropped."""

    def __init__(self, source: str, warnings: list[ParseWarning]) -> None:
        self.source = source
        self.warnings = warnings
        self.date: dt.date | None = None
        self.header_line = 0
        self.header_problem: tuple[int, str] | None = None  # the first unusable header
        self.papers: dict[str, _Draft] = {}
        self.current: _Draft | None = None
        self.skip: _Skip | None = None
        self.skipped_papers = 0
        self.early_paper = False  # a paper came before the first date header

    def fail(self, line: int, problem: str) -> DigestFormatError:
        return DigestFormatError(self.source, line, problem)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(line, message))

    def run(self, lines: list[str]) -> Digest:
        for number, raw in enumerate(lines, 1):
            line = raw.rstrip()
            if not line:
                continue
            first = line[0]
            if first == " " or first == "\t":
                line = self.indented(line, number)
                first = line[0]
            if first == "#" and (level := _heading_level(line)):
                self.heading(line, level, number)
                continue
            draft = self.current
            if draft is None:
                self.stray(number)
            elif first == "-" and line.startswith("- "):
                self.bullet(draft, line)
            elif first == "<":
                self.html(draft, line, number)
            elif first in "![":
                self.media(draft, line, number)
            elif first == "V" and line.startswith("Vote:"):
                self.vote(draft, line, number)
            elif first == "A" and line.startswith("Authors:"):
                self.authors(draft, line, number)
            else:
                self.prose(draft, line, number)
        last = self.current
        self.end_paper()
        if self.date is None:
            if self.header_problem is not None:
                raise self.fail(*self.header_problem)
            raise self.fail(1, "no '## Daily Papers (date)' header: not a digest")
        if not self.papers:
            problem = "a date header but no papers"
            if self.skipped_papers:
                problem += f" with a usable arXiv link ({self.skipped_papers} skipped)"
            raise self.fail(self.header_line, problem)
        if last is not None and lines[-1].strip():
            self.warn(
                len(lines),
                "the text does not end with a line break and may be cut short: the last "
                f"paper ({last.arxiv_id}) is kept with what it has",
            )
        self.warnings.sort(key=lambda w: w.line)  # stable: a line's warnings keep their order
        return Digest(
            date=self.date,
            papers=_build(self.papers),
            source=self.source,
            warnings=tuple(self.warnings),
        )

    def indented(self, line: str, number: int) -> str:
        """An indented line: structural lines lose their indentation, the rest stay text."""
        stripped = line.lstrip()
        kind = _structural_kind(stripped)
        draft = self.current
        if kind is None:
            if draft is None or draft.sections or not stripped.startswith("- "):
                return line  # a sub-bullet or indented continuation text
            self.warn(number, "indented bullet before the paper's summary: read as a bullet")
            return stripped
        if draft is None and kind != "heading":
            return line  # outside any paper: dropped anyway
        self.warn(number, f"indented {kind} line: read without its indentation")
        return stripped

    def stray(self, number: int) -> None:
        """A line that belongs to no paper."""
        if self.skip is None:
            if self.date is None:
                problem = "text before the first '## Daily Papers (date)' header"
            else:
                problem = "text between a date header and the next paper"
            self.skip = _Skip(number, problem, paper=False, count=1)
        else:
            self.skip.count += 1

    def end_skip(self) -> None:
        skip = self.skip
        if skip is None:
            return
        self.skip = None
        if skip.paper:
            lines = f" with its {skip.count} lines" if skip.count else ""
            self.warn(skip.line, f"{skip.problem}: the paper is skipped{lines}")
        else:
            lines = "line" if skip.count == 1 else "lines"
            self.warn(skip.line, f"{skip.problem}: {skip.count} {lines} skipped")

    # -- headings ----------------------------------------------------------------------

    def heading(self, line: str, level: int, number: int) -> None:
        if level == 3:
            self.paper(line, number)
        elif level == 2 and line.startswith("## Daily Paper"):
            self.header(line, number)
        else:
            self.warn(number, f"unexpected heading {_clip(line)}: skipped")

    def header(self, line: str, number: int) -> None:
        self.end_paper()
        match = _HEADER_RE.fullmatch(line)
        date = None
        if match is None:
            problem = f"date header is not '## Daily Papers (YYYY-MM-DD)': {_clip(line)}"
        else:
            try:
                date = dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                problem = f"not a date in header {_clip(line)}"
        if date is None:
            if self.header_problem is None:
                self.header_problem = (number, problem)
            self.warn(number, f"{problem}: skipped")
        elif self.date is None:
            self.date = date
            self.header_line = number
        elif date != self.date:
            self.warn(
                number,
                f"a second date block for {date} in a file for {self.date}: "
                f"its papers are kept under {self.date}",
            )

    def paper(self, line: str, number: int) -> None:
        self.end_paper()
        match = _PAPER_RE.fullmatch(line)
        link = _ARXIV_RE.fullmatch(match["url"]) if match is not None else None
        if match is None or link is None:
            match = _LOOSE_PAPER_RE.fullmatch(line)
            link = _ARXIV_RE.fullmatch(match["url"]) if match is not None else None
            if match is None or link is None:
                problem = f"paper heading without a usable arXiv abstract link: {_clip(line)}"
                self.skip = _Skip(number, problem, paper=True)
                self.skipped_papers += 1
                return
            self.warn(
                number,
                f"paper heading has more than '### [title](link)': read as the title "
                f"{_clip(match['title'].strip(), 40)} and the link {match['url']!r}",
            )
        title = match["title"].strip()
        if not title:
            title = link["id"]
            self.warn(number, f"paper heading with no title: its arXiv id {title} is the title")
        if self.date is None and not self.early_paper:
            self.early_paper = True  # one warning is enough
            self.warn(number, "paper before the first '## Daily Papers (date)' header: kept")
        self.current = _Draft(arxiv_id=link["id"], title=title, url=match["url"])

    def end_paper(self) -> None:
        self.end_skip()
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

    def use_metadata(self, draft: _Draft, number: int, what: str, used: int) -> bool:
        """Whether this metadata line is used: the first of its kind wins, wherever it is."""
        if used:
            self.warn(number, f"repeated {what} line: ignored, the first one (line {used}) wins")
            return False
        if draft.in_body:
            self.warn(number, f"{what} line after the paper's summary: used for the paper")
        return True

    def media(self, draft: _Draft, line: str, number: int) -> None:
        loose = False
        if line[0] == "!":
            match = _IMAGE_RE.fullmatch(line)
            kind = "image"
        else:
            match = _VIDEO_RE.fullmatch(line)
            if match is None and line.startswith("[Watch Video]"):
                match = _LOOSE_VIDEO_RE.fullmatch(line)
                loose = True
            kind = "video"
        if match is None:  # e.g. "[참고] ..." inside a summary
            self.prose(draft, line, number)
            return
        if not self.use_metadata(draft, number, "media", draft.media_line):
            return
        if loose:
            self.warn(number, "'[Watch Video]' link without parentheses: read as the video")
        draft.media_line = number
        if match["url"]:
            draft.media_url = match["url"]
            draft.media_kind = kind

    def html(self, draft: _Draft, line: str, number: int) -> None:
        player = _PLAYER_RE.fullmatch(line)
        if player is None:
            if len(line) > 1 and (line[1].isalpha() or line[1] in "!/?"):
                self.warn(number, f"HTML line skipped: {_clip(line)}")
            else:
                self.prose(draft, line, number)  # "<5% ...": text
            return
        src = _SRC_RE.search(player["attrs"])
        if src is None or draft.media_url is not None:
            return  # the player after its video link: nothing new
        if draft.in_body:
            self.warn(number, "video player after the paper's summary: its video is used")
        draft.media_url = src[1]
        draft.media_kind = "video"

    def vote(self, draft: _Draft, line: str, number: int) -> None:
        match = _VOTE_RE.fullmatch(line)
        if match is None:
            self.warn(number, f"vote is not a number or '-': {_clip(line)}: ignored")
            return
        if not self.use_metadata(draft, number, "'Vote:'", draft.vote_line):
            return
        draft.vote_line = number
        draft.votes = int(match["n"]) if match["n"] is not None else None

    def authors(self, draft: _Draft, line: str, number: int) -> None:
        if not self.use_metadata(draft, number, "'Authors:'", draft.authors_line):
            return
        draft.authors_line = number
        draft.authors, draft.more_authors = _split_authors(line[len("Authors:") :].strip())

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
        if draft.sections:
            draft.sections[-1][1].append(line)
            return
        self.warn(
            number,
            f"text before the paper's summary: {_clip(line, 40)}: read as the start of it",
        )
        draft.sections.append((SUMMARY_SECTION, [line.strip()]))
        draft.in_body = True
        draft.in_summary = True


def _heading_level(line: str) -> int:
    """1-6 for a Markdown ATX heading ('#'s then a space, a tab or the line end), else 0."""
    level = len(line) - len(line.lstrip("#"))
    return level if level <= 6 and (level == len(line) or line[level] in " \t") else 0


def _structural_kind(line: str) -> str | None:
    """What an (indented) line would be without its indentation, if it is not text."""
    first = line[0]
    if first == "#":
        return "heading" if _heading_level(line) else None
    if first == "!":
        return "image" if _IMAGE_RE.fullmatch(line) else None
    if first == "[":
        video = _VIDEO_RE.fullmatch(line) or _LOOSE_VIDEO_RE.fullmatch(line)
        return "video link" if video else None
    if first == "<":
        return "video player" if _PLAYER_RE.fullmatch(line) else None
    if line.startswith("Vote:"):
        return "'Vote:'"
    if line.startswith("Authors:"):
        return "'Authors:'"
    return None


def _split_authors(raw: str) -> tuple[tuple[str, ...], bool]:
    """The names, and whether the list had the "+" that stands for authors not listed."""
    is_list = raw.startswith("[") and raw.endswith("]")
    names = _list_literal(raw) if is_list else raw.split(",")
    kept = [stripped for name in names if (stripped := name.strip())]
    if "+" not in kept:
        return tuple(kept), False
    return tuple(name for name in kept if name != "+"), True


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
    ranks = ranks_by_votes([d.votes for d in ordered])
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
            more_authors=d.more_authors,
        )
        for position, d in enumerate(ordered, 1)
    )


def _clip(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
