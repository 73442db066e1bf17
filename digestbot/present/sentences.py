"""Cutting a summary into sentences, so a shortened section never stops mid-sentence. Pure.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (closing quotes and brackets after it stay
with it) followed by whitespace or the end of the text, or at a line break (the archive's
bullets are one per line). Korean sentences end the same way (``…합니다.``, ``…이다.``).
Not an end: a point inside a number (``3.5``, ``GPT-4.1``), a point after a common
abbreviation (``e.g.``, ``i.e.``, ``et al.``, ``vs.``, ``Fig.``…) or after a single
capital (an initial: ``J. Smith``)."""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

# the end of a sentence: the mark, what closes with it, then a space (or the end)
_END = re.compile(r"[.!?…。]+[\"'”’)\]」』]*(?=\s|$)")
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "al",
        "vs",
        "fig",
        "figs",
        "eq",
        "eqs",
        "cf",
        "etc",
        "dr",
        "mr",
        "ms",
        "no",
        "sec",
        "approx",
        "resp",
        "incl",
        "ref",
        "refs",
        "tab",
    }
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the point at ``text[end]`` closes an abbreviation or an initial."""
    if text[end] != ".":
        return False
    found = _WORD_BEFORE.search(text, 0, end)
    if found is None:
        return False
    word = found.group(1)
    if word.lower().rstrip(".") in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isupper()


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, each stripped; joined with spaces (and line
    breaks where the text had them) they give the text back, whitespace aside."""
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _END.finditer(line):
            if _is_abbreviation(line, match.start()):
                continue
            piece = line[start : match.end()].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences
