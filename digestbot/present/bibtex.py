"""Saved papers → a BibTeX file (``/saved bibtex``). Pure.

One ``@misc`` entry per paper, as arXiv itself exports a preprint: title, authors joined
with ``and``, year, ``eprint`` and ``archivePrefix = {arXiv}``, and the URL. BibTeX's
special characters in titles and names are escaped (``&`` ``%`` ``$`` ``#`` ``_`` ``{``
``}`` ``~`` ``^`` ``\\``), so a title such as ``M$^{2}$UGen`` or ``Q&A`` compiles.
Citation keys are ``<first author's family name><year><first title word>``, ASCII, and
unique within the file (``b``, ``c``… appended to repeats)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from digestbot.store.archive import PaperView

__all__ = ["bibtex_escape", "citation_key", "render_bibtex"]

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile(r"[\\&%$#_{}~^]")
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_STOP = frozenset({"a", "an", "the", "on", "of", "for", "to", "in", "and", "with", "towards"})


def bibtex_escape(text: str) -> str:
    """Text for a BibTeX field: special characters escaped, whitespace collapsed."""
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], " ".join(text.split()))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


def paper_year(paper: PaperView) -> int | None:
    """The year of a new-style arXiv id (``2505.04921`` → 2025), else of its digest."""
    match = _NEW_ID.match(paper.arxiv_id)
    if match:
        return 2000 + int(match.group(1))
    return paper.day.year if paper.day is not None else None


def citation_key(paper: PaperView) -> str:
    family = _ascii(paper.authors[0].split()[-1]).lower() if paper.authors else ""
    words = [w for w in (_ascii(w).lower() for w in paper.title.split()) if w]
    word = next((w for w in words if w not in _STOP), words[0] if words else "")
    year = paper_year(paper)
    key = f"{family or 'arxiv'}{year or ''}{word}"
    return key or _ascii(paper.arxiv_id)


def _entry(paper: PaperView, key: str) -> str:
    authors = " and ".join(bibtex_escape(name) for name in paper.authors)
    if paper.more_authors and authors:
        authors += " and others"
    fields = [("title", "{" + bibtex_escape(paper.title) + "}")]
    if authors:
        fields.append(("author", authors))
    year = paper_year(paper)
    if year is not None:
        fields.append(("year", str(year)))
    fields += [
        ("eprint", bibtex_escape(paper.arxiv_id)),
        ("archivePrefix", "arXiv"),
        ("url", paper.url),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def render_bibtex(papers: Sequence[PaperView]) -> str:
    """The ``.bib`` file of ``papers``, in their order."""
    used: set[str] = set()
    entries = []
    for paper in papers:
        base = citation_key(paper)
        key, n = base, 1
        while key in used:
            key = f"{base}{chr(ord('a') + n)}" if n < 26 else f"{base}{n}"
            n += 1
        used.add(key)
        entries.append(_entry(paper, key))
    return "\n".join(entries)
