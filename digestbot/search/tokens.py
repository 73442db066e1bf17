"""The search index's tokens and the match expressions both database backends use, as
pure functions (what a query means: :mod:`digestbot.search.query`).

Index tokens (see :func:`field_tokens`): a word becomes one token, spelt in ASCII with a
prefix-free code (``a``..``y`` and digits stand for themselves, ``z`` is ``zz``, any other
character is ``z<hex>z``), so word prefixes stay token prefixes and no tokenizer can split
or fold it; a Hangul run ``s1 .. sn`` becomes the overlapping pairs ``s1s2 .. s(n-1)sn``
then the single last syllable ``sn``. Every syllable then starts exactly one token of its
run, so a one-syllable term is a token-prefix query, a two-syllable term is one token and
a longer term is the phrase of its consecutive pairs; consecutive pairs only exist inside
one run (a run always ends with its single-syllable token), so the phrase is an exact
substring test. Fields are separated by :data:`SEPARATOR`, a token no query produces.
That is the SQLite FTS5 index. PostgreSQL (see :func:`tsvector_literal`) keeps the same
words but gives each Hangul run's suffixes as lexemes, so a Korean term is one prefix
lookup in the GIN index with no recheck of the (large) row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from digestbot.search.query import MAX_QUERY_CHARS, RUNS, Query, normalise, runs

SEPARATOR = "z"  # never produced by encode_word nor by a Hangul run
_NOT_PLAIN = re.compile(r"[^a-y0-9]")
_PLAIN = re.compile(r"[a-y0-9]+\Z")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return "zz" if ch == "z" else f"z{ord(ch):x}z"


def encode_word(word: str) -> str:
    """ASCII spelling of a normalised word; a prefix-free code, so ``encode`` keeps
    prefixes: ``encode(a)`` starts ``encode(b)`` exactly when ``a`` starts ``b``.
    ``a``-``y`` and digits stay, ``z`` is ``zz``, anything else ``z<hex>z``."""
    return _NOT_PLAIN.sub(_escape, word)


# --------------------------------------------------------------------------- index tokens


def field_tokens(text: str) -> list[str]:
    """The index tokens of one field, in order (see the module docstring)."""
    tokens: list[str] = []
    for hangul, word in RUNS.findall(normalise(text)):  # hot: every paper at ingest
        if hangul:
            if len(hangul) > 1:
                tokens += [hangul[i : i + 2] for i in range(len(hangul) - 1)]
            tokens.append(hangul[-1])
        else:
            tokens.append(word if _PLAIN.match(word) else _NOT_PLAIN.sub(_escape, word))
    return tokens


def fields_tokens(fields: Iterable[str]) -> list[str]:
    """Tokens of several fields, with :data:`SEPARATOR` between them (phrases never
    run from one field into the next)."""
    tokens: list[str] = []
    for i, f in enumerate(fields):
        if i:
            tokens.append(SEPARATOR)
        tokens.extend(field_tokens(f))
    return tokens


def _hangul_tokens(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def fts5_expression(query: Query) -> str:
    """An SQLite FTS5 MATCH expression; every token is quoted. Empty for no terms."""
    parts = []
    for t in query.terms:
        if t.hangul:
            run = t.parts[0]
            parts.append(
                f'"{run}"*' if len(run) == 1 else '"' + " ".join(_hangul_tokens(run)) + '"'
            )
        else:
            parts.append('"' + " ".join(encode_word(w) for w in t.parts) + '"*')
    return " AND ".join(parts)


def tsquery_expression(query: Query) -> str:
    """A PostgreSQL tsquery literal for :func:`tsvector_literal` documents (cast it with
    ``CAST(:q AS tsquery)``; no parser runs over it). A Korean term is a prefix of a
    run's suffix token; a Latin term is a phrase, its last word a prefix."""
    parts = []
    for t in query.terms:
        if t.hangul:
            parts.append(f"'{t.parts[0]}':*")
        else:
            lexemes = [f"'{encode_word(w)}'" for w in t.parts]
            lexemes[-1] += ":*"
            parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def tsvector_literal(fields: Iterable[str]) -> str:
    """A PostgreSQL tsvector literal of these fields.

    Words are positioned lexemes (a Hangul run and a field boundary each take a position
    without a lexeme, so a word phrase cannot jump over them). A Hangul run gives every
    suffix of itself (cut at :data:`MAX_QUERY_CHARS` syllables) as an unpositioned lexeme:
    a Korean term is a substring of the run exactly when it prefixes one of them, so the
    GIN index answers it with a prefix lookup and no recheck of the row. PostgreSQL keeps
    positions up to 16383 and 256 per lexeme, far beyond a digest paper's words.
    """
    positions: dict[str, list[int]] = {}
    suffixes: set[str] = set()
    pos = 0
    for i, f in enumerate(fields):
        pos += 1 if i else 0
        for hangul, run in runs(normalise(f)):
            pos += 1
            if hangul:
                suffixes.update(run[j : j + MAX_QUERY_CHARS] for j in range(len(run)))
            else:
                positions.setdefault(encode_word(run), []).append(min(pos, 16383))
    words = (f"'{tok}':{','.join(map(str, ps))}" for tok, ps in positions.items())
    return " ".join([*words, *(f"'{s}'" for s in sorted(suffixes))])


# --------------------------------------------------------------------------- ranking

_VOTE_BITS, _DAY_BITS, _ID_BITS = 20, 20, 23
MAX_PAPER_ID = (1 << _ID_BITS) - 1


def sort_key(paper_id: int, votes: int | None, day: dt.date | None) -> int:
    """A 63-bit integer that orders papers by votes (more first, none last), then day
    (newer first, none last), then paper id: the order inside a relevance tier.

    The index stores it as the row key, so "the first page" is the first rows in key
    order and no sort over every match is needed."""
    if not 0 < paper_id <= MAX_PAPER_ID:
        raise ValueError(f"paper id {paper_id} outside the search index's range")
    vote_max = (1 << _VOTE_BITS) - 1
    day_max = (1 << _DAY_BITS) - 1
    v = 0 if votes is None else min(max(votes, 0) + 1, vote_max)
    d = 0 if day is None else min(day.toordinal(), day_max)
    return ((vote_max - v) << (_DAY_BITS + _ID_BITS)) | ((day_max - d) << _ID_BITS) | paper_id


def paper_id_of(key: int) -> int:
    return key & MAX_PAPER_ID
