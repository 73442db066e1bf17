"""Cutting Telegram HTML into messages Telegram accepts. Pure.

Telegram counts a message's length in UTF-16 code units and allows 4096. ``split_html``
cuts a long text on paragraph boundaries first, then lines, then words, never inside a
tag or an entity, and closes/reopens the tags open at a cut; ``pack_blocks`` joins whole
blocks (papers, sections) into as few messages as fit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["MESSAGE_LIMIT", "pack_blocks", "split_html", "utf16_len"]

MESSAGE_LIMIT = 4096

_ATOM = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[^<&]|[<&]", re.DOTALL)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def pack_blocks(blocks: Iterable[str], limit: int = MESSAGE_LIMIT, sep: str = "\n\n") -> list[str]:
    """Join whole blocks into messages of at most ``limit``; a block too long for one
    message is itself cut with ``split_html``."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if not block.strip():
            continue
        candidate = f"{current}{sep}{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        if utf16_len(block) <= limit:
            current = block
        else:
            *full, current = split_html(block, limit)
            messages.extend(full)
    if current:
        messages.append(current)
    return messages


@dataclass(frozen=True, slots=True)
class _Open:
    name: str
    tag: str  # the opening tag as written, to reopen it in the next part


def _atoms(text: str) -> list[str]:
    return _ATOM.findall(text)


def _closing(stack: Sequence[_Open]) -> str:
    return "".join(f"</{o.name}>" for o in reversed(stack))


def _reopening(stack: Sequence[_Open]) -> str:
    return "".join(o.tag for o in stack)


def _visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut Telegram HTML into parts of at most ``limit`` UTF-16 units, each valid on its own.

    Cuts prefer a blank line (paragraph or section), then a line break, then a space,
    then any character boundary; never inside a tag or an entity. Tags open at a cut are
    closed at the end of the part and reopened at the start of the next one."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if text else []
    atoms = _atoms(text)
    sizes = [utf16_len(a) for a in atoms]
    stacks: list[tuple[_Open, ...]] = [()]  # stacks[i] = tags open before atom i
    stack: list[_Open] = []
    for atom in atoms:
        match = _TAG.match(atom) if atom.startswith("<") and len(atom) > 1 else None
        if match:
            name = match.group(2).lower()
            if match.group(1):
                for k in range(len(stack) - 1, -1, -1):
                    if stack[k].name == name:
                        del stack[k:]
                        break
            else:
                stack.append(_Open(name, atom))
        stacks.append(tuple(stack))

    parts: list[str] = []
    start = 0
    n = len(atoms)
    while start < n:
        while start < n and atoms[start] in (" ", "\n"):
            start += 1
        if start >= n:
            break
        prefix = _reopening(stacks[start])
        used = utf16_len(prefix)
        best_j, best_level = start + 1, -1
        j = start
        while j < n and used + sizes[j] <= limit:
            used += sizes[j]
            j += 1
            if used + utf16_len(_closing(stacks[j])) > limit:
                continue
            level = _cut_level(atoms, j, start)
            if level >= best_level:
                best_j, best_level = j, level
        body = "".join(atoms[start:best_j]).rstrip(" \n")
        part = prefix + body + _closing(stacks[best_j])
        if _visible(part).strip():
            parts.append(part)
        start = best_j
    return parts


def _cut_level(atoms: Sequence[str], j: int, start: int) -> int:
    """How good a cut before atom ``j`` is: 3 blank line, 2 line break, 1 space, 0 other."""
    if j >= len(atoms):
        return 4
    before = atoms[j - 1]
    if before == "\n":
        return 3 if j - 2 > start and atoms[j - 2] == "\n" else 2
    if before == " ":
        return 1
    return 0
