"""Deterministic damage to digest texts, for fuzz tests of everything that reads digests.

``mutate(text, rng)`` applies one to three mutations chosen by ``rng`` and returns the
damaged text: ``str`` usually, ``bytes`` when garbage bytes were inserted or the file was
replaced by raw bytes. The same ``rng`` state always gives the same result.
``sample_texts()`` loads the nine real digests these mutations start from.

``REPAIRABLE`` names the mutations that imitate the drift found in the published archive
(each one something the parser repairs). ``keeps_a_digest(damaged)`` says whether a damaged
text must still parse (it has a date header and a paper with an arXiv heading), and
``comparable(text)`` puts an input and the parser's output on the same footing (the bad
characters and their documented LaTeX repairs removed), so a test can check that whatever
the parser kept is in what it was given.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable

from digestbot.packaged import sample_digests

__all__ = ["MUTATIONS", "REPAIRABLE", "comparable", "keeps_a_digest", "mutate", "sample_texts"]

DIGESTS = sample_digests()

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""

_GARBAGE = [b"\xff", b"\xfe\xff", b"\x00", b"\xc3", b"\xe2\x82", b"\x80\x80", b"\x1b[0m", b"\r"]
_HEADERS = [
    "## Daily Papers (2024-06-13)",
    "## Daily Papers (1999-01-01)",
    "## Daily Papers (2024-13-45)",
    "## Daily Paper (2024-06-12)",
    "## Daily Papers",
    "# Daily Papers (2024-06-12)",
    "",
]


def sample_texts() -> dict[str, str]:
    """The nine real digests, keyed by their path under the fixtures, e.g. ``2024/06/12.md``."""
    return {
        path.relative_to(DIGESTS).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(DIGESTS.glob("*/*/*.md"))
    }


def mutate(text: str, rng: random.Random) -> str | bytes:
    """Damage ``text`` in one to three ways chosen by ``rng``."""
    roll = rng.random()
    if roll < 0.03:
        return HTML_PAGE if rng.random() < 0.5 else HTML_PAGE.encode()
    if roll < 0.05:
        empties: list[str | bytes] = ["", "\n", " \r\n", b"", b"\xef\xbb\xbf"]
        return rng.choice(empties)
    if roll < 0.06:
        return rng.randbytes(rng.randrange(1, 2000))
    out = text
    as_bytes = False
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(list(MUTATIONS))
        if name == "garbage_bytes":
            as_bytes = True  # applied last, on the encoded text
        else:
            out = MUTATIONS[name](out, rng)
    if as_bytes:
        return _insert_garbage(out.encode("utf-8"), rng)
    return out


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _delete_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    for _ in range(rng.randint(1, 5)):
        if lines:
            del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def _duplicate_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    for _ in range(rng.randint(1, 5)):
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
    return "\n".join(lines)


def _asterisks(text: str, rng: random.Random) -> str:
    """Add, remove or move asterisks in section labels (``- **Name**:``)."""
    lines = _lines(text)
    labels = [i for i, line in enumerate(lines) if line.startswith("- *")]
    if not labels:
        return text
    for _ in range(rng.randint(1, 4)):
        i = rng.choice(labels)
        line = lines[i]
        stars = [j for j, c in enumerate(line[:80]) if c == "*"]
        action = rng.randrange(3)
        if action == 0 and stars:  # remove one
            j = rng.choice(stars)
            line = line[:j] + line[j + 1 :]
        elif action == 1:  # add one next to a label character
            j = rng.randrange(2, min(len(line), 60) + 1)
            line = line[:j] + "*" + line[j:]
        elif stars:  # move one
            j = rng.choice(stars)
            line = line[:j] + line[j + 1 :]
            k = rng.randrange(2, min(len(line), 60) + 1)
            line = line[:k] + "*" + line[k:]
        lines[i] = line
    return "\n".join(lines)


def _insert_garbage(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice(_GARBAGE) + data[at:]
    return data


def _shuffle_locally(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    width = rng.randint(2, 6)
    start = rng.randrange(max(1, len(lines) - width + 1))
    window = lines[start : start + width]
    rng.shuffle(window)
    lines[start : start + width] = window
    return "\n".join(lines)


def _replace_header(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    headers = [i for i, line in enumerate(lines) if line.startswith("## ")]
    if not headers:
        return text
    lines[rng.choice(headers)] = rng.choice(_HEADERS)
    return "\n".join(lines)


def _crlf(text: str, rng: random.Random) -> str:
    return text.replace("\n", "\r\n")


def _bom(text: str, rng: random.Random) -> str:
    return "\ufeff" + text


def _garbage_placeholder(text: str, rng: random.Random) -> str:
    return text  # mutate() inserts the bytes after the text mutations


# -- the archive's drift, as mutations ---------------------------------------------------

_METADATA = ("Vote:", "Authors:", "![", "[Watch Video]")
_MEDIA_RE = re.compile(r"(?:!\[[^\]]*\]|\[Watch Video\])\(([^()\s]+)\)")
# What the generator's JSON decoding made of LaTeX (``\bench`` -> backspace + "ench"), and
# a few control characters with no meaning at all.
_MANGLED = [
    " \x08ench",
    " $\x08eta$",
    " \x0cramework",
    " $\x0crac{1}{2}$",
    " $\x09heta$",
    " \x09ext{ours}",
    " $a \x09imes b$",
    " $\rho$",
    "\x1b",
    "\x7f",
]


def _paper_ranges(lines: list[str]) -> list[tuple[int, int]]:
    """(heading index, end index) of every paper: up to the next heading or date header."""
    starts = [i for i, line in enumerate(lines) if line.startswith("### [")]
    ranges = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        for i in range(start + 1, end):
            if lines[i].startswith("## "):
                end = i
                break
        ranges.append((start, end))
    return ranges


def _duplicate_metadata(text: str, rng: random.Random) -> str:
    """Repeat a ``Vote:`` or ``Authors:`` line, the repeated vote sometimes with a new count."""
    lines = _lines(text)
    for _ in range(rng.randint(1, 3)):
        meta = [i for i, line in enumerate(lines) if line.startswith(("Vote:", "Authors:"))]
        if not meta:
            return text
        i = rng.choice(meta)
        copy = lines[i]
        if copy.startswith("Vote:") and rng.random() < 0.5:
            copy = f"Vote: {rng.randrange(500)}"
        lines.insert(i + rng.choice([1, 2]), copy)
    return "\n".join(lines)


def _metadata_after_summary(text: str, rng: random.Random) -> str:
    """Move a paper's media, ``Vote:`` or ``Authors:`` line below one of its bullets."""
    lines = _lines(text)
    for _ in range(rng.randint(1, 3)):
        moves = []
        for start, end in _paper_ranges(lines):
            meta = [i for i in range(start + 1, end) if lines[i].startswith(_METADATA)]
            bullets = [i for i in range(start + 1, end) if lines[i].startswith("- ")]
            moves += [(i, j) for i in meta for j in bullets if j > i]
        if not moves:
            break
        i, j = rng.choice(moves)
        line = lines.pop(i)
        lines.insert(j, line)  # j - 1 is the bullet now: the line goes right after it
    return "\n".join(lines)


def _indent_structure(text: str, rng: random.Random) -> str:
    """Indent a heading, media, player, ``Vote:`` or ``Authors:`` line."""
    lines = _lines(text)
    marks = ("### [", "## ", "<div><video", *_METADATA)
    candidates = [i for i, line in enumerate(lines) if line.startswith(marks)]
    if not candidates:
        return text
    for _ in range(rng.randint(1, 3)):
        i = rng.choice(candidates)
        lines[i] = rng.choice([" ", "  ", "    ", "\t"]) + lines[i]
    return "\n".join(lines)


def _truncate_last_paper(text: str, rng: random.Random) -> str:
    """Cut the text somewhere after the last paper's heading line."""
    at = text.rfind("\n### [")
    end = text.find("\n", at + 1) if at >= 0 else -1
    if end < 0 or end + 1 >= len(text) - 1:
        return text
    return text[: rng.randrange(end + 1, len(text) - 1)]


def _media_lines(lines: list[str]) -> tuple[list[int], list[int]]:
    videos = [i for i, line in enumerate(lines) if line.startswith("[Watch Video](")]
    images = [i for i, line in enumerate(lines) if _MEDIA_RE.fullmatch(line)]
    return videos, images


def _bare_video(text: str, rng: random.Random) -> str:
    """The earliest era's video: a bare ``<video src='URL'></video>`` as the media line
    (a video link and its player become one; without videos, a thumbnail becomes one)."""
    lines = _lines(text)
    videos, images = _media_lines(lines)
    pool = videos or images
    if not pool:
        return text
    i = rng.choice(pool)
    match = _MEDIA_RE.fullmatch(lines[i])
    if match is None:
        return text
    lines[i] = f"<video src='{match[1]}'></video>"
    if i + 1 < len(lines) and lines[i + 1].startswith("<div><video"):
        del lines[i + 1]
    return "\n".join(lines)


def _video_without_parentheses(text: str, rng: random.Random) -> str:
    """``[Watch Video](URL)`` written ``[Watch Video]URL`` (a thumbnail, if no video)."""
    lines = _lines(text)
    videos, images = _media_lines(lines)
    pool = videos or images
    if not pool:
        return text
    i = rng.choice(pool)
    match = _MEDIA_RE.fullmatch(lines[i])
    if match is None:
        return text
    lines[i] = f"[Watch Video]{match[1]}"
    return "\n".join(lines)


def _latex_controls(text: str, rng: random.Random) -> str:
    """Control characters in summary bullets, as JSON decoding left them in LaTeX."""
    lines = _lines(text)
    bullets = [i for i, line in enumerate(lines) if line.startswith("- ")]
    if not bullets:
        return text
    for _ in range(rng.randint(1, 4)):
        i = rng.choice(bullets)
        line = lines[i]
        spot = rng.randrange(2, len(line) + 1)
        lines[i] = line[:spot] + rng.choice(_MANGLED) + line[spot:]
    return "\n".join(lines)


# -- what a damaged text still is -----------------------------------------------------

_HEADER_LINE_RE = re.compile(
    r"^[ \t]*## Daily Papers \(([0-9]{4})-([0-9]{2})-([0-9]{2})\)[ \t]*$", re.MULTILINE
)
_ARXIV_HEADING_RE = re.compile(
    r"^[ \t]*### \[.*\]\(https?://(?:www\.)?arxiv\.org/abs/"
    r"(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/[0-9]{7})(?:v[0-9]+)?\)[ \t]*$",
    re.MULTILINE,
)
_LINE_END_RE = re.compile(r"\r+(\n|\Z)")
# The parser's bad characters (see its grammar), and the tab it may turn into "\t".
_BAD_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BAD_OR_TAB_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _as_text(data: str | bytes) -> str:
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return _LINE_END_RE.sub(r"\1", text)


def keeps_a_digest(damaged: str | bytes) -> bool:
    """Whether ``damaged`` must still parse: it has a ``## Daily Papers (date)`` line with a
    real date and a ``### [title](arXiv link)`` line, and is not binary by the parser's
    documented rule (more than 16 bad characters and at least 1 in 50)."""
    text = _as_text(damaged)
    bad = len(_BAD_RE.findall(text))
    if bad > 16 and bad * 50 >= len(text):
        return False
    if _ARXIV_HEADING_RE.search(text) is None:
        return False
    for match in _HEADER_LINE_RE.finditer(text):
        try:
            dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
        return True
    return False


def comparable(data: str | bytes) -> str:
    """``data`` without the bad characters, tabs, and the ``\\b \\f \\t \\r`` the parser may
    write back for them: apply it to the input and to what the parser returned, and every
    piece of the output must be found in the input."""
    text = _as_text(data)
    for escape in ("\\b", "\\f", "\\t", "\\r"):
        text = text.replace(escape, "")
    return _BAD_OR_TAB_RE.sub("", text)


REPAIRABLE: dict[str, Callable[[str, random.Random], str]] = {
    "duplicate_metadata": _duplicate_metadata,
    "metadata_after_summary": _metadata_after_summary,
    "indent_structure": _indent_structure,
    "truncate_last_paper": _truncate_last_paper,
    "bare_video": _bare_video,
    "video_without_parentheses": _video_without_parentheses,
    "latex_controls": _latex_controls,
}

MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "truncate": _truncate,
    "delete_lines": _delete_lines,
    "duplicate_lines": _duplicate_lines,
    "asterisks": _asterisks,
    "garbage_bytes": _garbage_placeholder,
    "shuffle_locally": _shuffle_locally,
    "replace_header": _replace_header,
    "crlf": _crlf,
    "bom": _bom,
    **REPAIRABLE,
}
