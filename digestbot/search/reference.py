"""The brute-force reference matcher: what a search means, checked paper by paper, with
no index. Tests and benchmarks compare both database backends against it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from digestbot.search.query import Query, Term, normalise, runs


def _term_in_field(term: Term, field_runs: Sequence[tuple[bool, str]]) -> bool:
    if term.hangul:
        return any(h and term.parts[0] in run for h, run in field_runs)
    *whole, last = term.parts
    k = len(term.parts)
    for i in range(len(field_runs) - k + 1):
        window = field_runs[i : i + k]
        if any(h for h, _ in window):
            continue
        if all(window[j][1] == w for j, w in enumerate(whole)) and window[-1][1].startswith(last):
            return True
    return False


AnalysedField = tuple[tuple[bool, str], ...]
Analysed = tuple[AnalysedField, ...]


def analyse(fields: Iterable[str]) -> Analysed:
    """The runs of each field, to match many queries against the same paper."""
    return tuple(tuple(runs(normalise(f))) for f in fields)


def matches(query: Query, fields: Iterable[str] | Analysed) -> bool:
    """Brute force: does a paper with these field texts (title, each author, each
    section) match? An empty query matches nothing."""
    if not query.terms:
        return False
    analysed = [f if isinstance(f, tuple) else tuple(runs(normalise(f))) for f in fields]
    return all(any(_term_in_field(t, fr) for fr in analysed) for t in query.terms)


def matches_head(query: Query, title: str, authors: Iterable[str]) -> bool:
    """The first ranking tier: every term matches in the title or the authors."""
    return matches(query, [title, *authors])


def matches_one_field(query: Query, fields: Iterable[AnalysedField]) -> bool:
    """Do all of ``query``'s terms match inside one of these (analysed) fields? (A
    follow's ``author:`` part: every word in the same author name.)"""
    if not query.terms:
        return False
    return any(all(_term_in_field(t, field) for t in query.terms) for field in fields)
