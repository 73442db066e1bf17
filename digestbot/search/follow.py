"""What a follow means, and a day's matches computed once per distinct follow. Pure.

A follow is a search (the ``/search`` semantics of :mod:`digestbot.search.query`: Korean
and English terms, ANDed, each in the title, one author or one section) with an optional
author part: ``author:Name`` — everything after ``author:`` — must match inside ONE author
name (``diffusion author:Yann LeCun``: ``diffusion`` anywhere, ``yann lecun`` in one
author). Without ``author:`` a follow matches exactly the papers ``/search`` finds for the
same words (``tests/search/test_follow.py`` checks it against both backends).

A follow is stored under its *key*: the normalised terms, sorted (AND is commutative),
a multi-word term joined with ``-`` so that the key parses back to the same terms
(``Diffusion GPT-4o`` and ``gpt 4o  diffusion``... differ: the second has three terms;
``GPT-4o diffusion`` and ``diffusion gpt-4o`` are both ``diffusion gpt-4o``), so the same
follow written twice is one.

:func:`day_matches` evaluates every distinct key against a day's papers (a few hundred at
most) in memory: each distinct *term* is looked up once per paper in a per-paper index
(its words sorted for prefix lookups, the substrings of its Hangul runs), a multi-word
term is confirmed by the reference matcher, and a follow's papers are the intersection
of its terms'. The cost grows with the distinct terms and the day's papers, never with
the number of chats following them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from digestbot.search.query import Query, Term, normalise, parse_query, runs
from digestbot.search.reference import Analysed, analyse, matches, matches_one_field

__all__ = [
    "AUTHOR_PREFIX",
    "FollowQuery",
    "PaperText",
    "day_matches",
    "follow_key",
    "follow_matches_paper",
    "papers_of",
    "parse_follow",
]

AUTHOR_PREFIX = "author:"


@dataclass(frozen=True, slots=True)
class FollowQuery:
    query: Query  # terms anywhere (title, one author, one section)
    author: Query  # terms inside one author name

    def __bool__(self) -> bool:
        return bool(self.query) or bool(self.author)


def _split_author(text: str) -> tuple[str, str | None]:
    """(the words, what follows ``author:``); ``author:`` starts a whitespace chunk."""
    folded = text.casefold()
    start = 0
    while True:
        i = folded.find(AUTHOR_PREFIX, start)
        if i < 0:
            return text, None
        if i == 0 or text[i - 1].isspace():
            return text[:i], text[i + len(AUTHOR_PREFIX) :]
        start = i + 1


def parse_follow(text: str) -> FollowQuery:
    """What a user typed after ``/follow``. Never raises; no usable word: an empty one."""
    words, author = _split_author(text)
    return FollowQuery(parse_query(words), parse_query(author or ""))


def _term_key(term: Term) -> str:
    return "-".join(term.parts)


def follow_key(follow: FollowQuery) -> str:
    """The normalised, canonical text of a follow (it parses back to the same follow)."""
    words = " ".join(sorted({_term_key(t) for t in follow.query.terms}))
    if not follow.author:
        return words
    author = " ".join(sorted({_term_key(t) for t in follow.author.terms}))
    return f"{words} {AUTHOR_PREFIX}{author}".strip()


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class PaperText:
    """The fields a follow is matched against (those the search index holds)."""

    title: str
    authors: Sequence[str]
    sections: Sequence[str]


class _PaperIndex:
    """One paper's fields, analysed once for every term of the day."""

    __slots__ = ("authors", "fields", "hangul", "words")

    def __init__(self, paper: PaperText) -> None:
        self.fields: Analysed = analyse([paper.title, *paper.authors, *paper.sections])
        self.authors: Analysed = self.fields[1 : 1 + len(paper.authors)]
        words: set[str] = set()
        hangul: set[str] = set()
        for field in self.fields:
            for is_hangul, run in field:
                if is_hangul:
                    n = len(run)
                    hangul.update(run[i:j] for i in range(n) for j in range(i + 1, n + 1))
                else:
                    words.add(run)
        self.words = sorted(words)
        self.hangul = hangul

    def _has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.words, prefix)
        return i < len(self.words) and self.words[i].startswith(prefix)

    def has_term(self, term: Term) -> bool:
        """Exactly the reference's "the term matches in some field"."""
        if term.hangul:
            return term.parts[0] in self.hangul
        *whole, last = term.parts
        if not self._has_prefix(last):
            return False
        if not whole:
            return True
        words = set(self.words)
        if any(w not in words for w in whole):
            return False
        return matches(Query((term,)), self.fields)  # consecutive words: the reference


def day_matches(papers: Sequence[PaperText], keys: Iterable[str]) -> dict[str, frozenset[int]]:
    """For each distinct follow key, the indexes (into ``papers``) of the papers it
    matches; a key that matches nothing is left out."""
    indexes = [_PaperIndex(p) for p in papers]
    everything = frozenset(range(len(papers)))
    by_term: dict[Term, frozenset[int]] = {}
    by_author: dict[Query, frozenset[int]] = {}

    def term_papers(term: Term) -> frozenset[int]:
        found = by_term.get(term)
        if found is None:
            found = by_term[term] = frozenset(i for i, x in enumerate(indexes) if x.has_term(term))
        return found

    def author_papers(query: Query) -> frozenset[int]:
        found = by_author.get(query)
        if found is None:
            # the author's terms must all be in the same author name: only the papers
            # having each term somewhere are worth the one-field check
            candidates = everything.intersection(*(term_papers(t) for t in query.terms))
            found = by_author[query] = frozenset(
                i for i in candidates if matches_one_field(query, indexes[i].authors)
            )
        return found

    result: dict[str, frozenset[int]] = {}
    for key in dict.fromkeys(keys):
        follow = parse_follow(key)
        if not follow:
            continue
        hits = everything
        for term in follow.query.terms:
            hits = hits & term_papers(term)
            if not hits:
                break
        if hits and follow.author:
            hits = hits & author_papers(follow.author)
        if hits:
            result[key] = hits
    return result


def follow_matches_paper(follow: FollowQuery, paper: PaperText) -> bool:
    """The brute-force meaning of one follow on one paper (what tests compare with)."""
    if not follow:
        return False
    fields = [paper.title, *paper.authors, *paper.sections]
    if follow.query and not matches(follow.query, fields):
        return False
    if follow.author:
        authors = [tuple(runs(normalise(a))) for a in paper.authors]
        return matches_one_field(follow.author, tuple(authors))
    return True


def papers_of(mapping: Mapping[str, frozenset[int]], keys: Iterable[str]) -> frozenset[int]:
    """The union of the papers matched by ``keys`` (a chat's follows)."""
    found: frozenset[int] = frozenset()
    for key in keys:
        hit = mapping.get(key)
        if hit:
            found = found | hit
    return found
