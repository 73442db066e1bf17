"""What `/search` means, as pure functions: text normalisation and query parsing.

Semantics (the same on SQLite, PostgreSQL and in the reference matcher):

* Text and query are normalised with Unicode NFKC and case-folding.
* A *word character* is a letter or digit (``str.isalnum``); anything else separates.
  A *Hangul run* is a maximal run of Hangul syllables (U+AC00..U+D7A3); a *word* is a
  maximal run of other word characters. ``GPT모델`` is the word ``gpt`` then the run ``모델``.
* The query is cut at whitespace into chunks (only the first :data:`MAX_QUERY_CHARS`
  characters are read, without a half word at the end). Inside a chunk, each Hangul
  run is one Korean term; consecutive words form one Latin term (``GPT-4o`` is the
  term ``gpt 4o``). Duplicates are dropped and at most :data:`MAX_TERMS` terms are
  kept. Punctuation, quotes, ``*``, emoji... only separate, so operator syntax is inert.
  A query with no term finds nothing.
* Every term must match (AND) in one field: the title, one author, or one section's text.
* A Korean term matches as a substring of a Hangul run (particles and compounds attach to
  words: ``모델`` finds ``모델을`` and ``언어모델``; ``델`` finds them too).
* A Latin term of words ``w1 .. wk`` matches ``k`` consecutive words of a field, the last
  as a prefix and the others whole: ``DiT`` finds ``DiT`` and ``DiTs`` but not ``edit``;
  ``GPT-4o`` finds ``GPT-4o`` and ``GPT 4o-mini`` but not ``GPT-4``. A Hangul run between
  the words breaks the sequence.
* Ranking: papers where every term matches in the title or authors come first; then more
  votes (of the paper's latest appearance; none last), then the newer day, then the
  paper stored first. The order is total, so pages never overlap.

The index tokens and match expressions are in :mod:`digestbot.search.tokens`, the
brute-force reference matcher in :mod:`digestbot.search.reference`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "RUNS",
    "Query",
    "Term",
    "normalise",
    "parse_query",
    "runs",
]

MAX_QUERY_CHARS = 256
MAX_TERMS = 8


def normalise(text: str) -> str:
    """NFKC, case-folded, NFKC again (case-folding can undo the composition)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


# A run is a maximal sequence of word characters (``str.isalnum``: exactly the ``\\w`` of
# ``re`` less the underscore) that are all Hangul syllables or all not.
RUNS = re.compile(r"([\uac00-\ud7a3]+)|([^\W_\uac00-\ud7a3]+)")


def runs(normalised: str) -> list[tuple[bool, str]]:
    """The ``(is_hangul, run)`` pairs of a normalised text, in order."""
    return [(m.group(1) is not None, m.group()) for m in RUNS.finditer(normalised)]


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class Term:
    """One ANDed term: a Hangul substring, or a sequence of words (the last a prefix)."""

    hangul: bool
    parts: tuple[str, ...]  # Hangul: one run; Latin: the words

    @property
    def text(self) -> str:
        return " ".join(self.parts)


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The normalised terms, as shown back to the user."""
        return tuple(t.text for t in self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(text: str) -> Query:
    """Parse what a user typed. Never raises; no usable word gives an empty Query."""
    terms: list[Term] = []
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS]
        if not text[MAX_QUERY_CHARS].isspace() and cut.split(maxsplit=1)[1:]:
            cut = cut.rsplit(maxsplit=1)[0]  # no half word at the end
        text = cut
    for chunk in normalise(text).split():
        words: list[str] = []
        for hangul, run in runs(chunk):
            if hangul:
                if words:
                    terms.append(Term(False, tuple(words)))
                    words = []
                terms.append(Term(True, (run,)))
            else:
                words.append(run)
        if words:
            terms.append(Term(False, tuple(words)))
    unique = tuple(dict.fromkeys(terms))
    return Query(unique[:MAX_TERMS])
