"""Deterministic damage to digest texts, for fuzz tests of everything that reads digests.

``mutate(text, rng)`` applies one to three mutations chosen by ``rng`` and returns the
damaged text: ``str`` usually, ``bytes`` when garbage bytes were inserted or the file was
replaced by raw bytes. The same ``rng`` state always gives the same result.
``sample_texts()`` loads the nine real digests these mutations start from.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from digestbot.packaged import sample_digests

__all__ = ["MUTATIONS", "mutate", "sample_texts"]

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
}
