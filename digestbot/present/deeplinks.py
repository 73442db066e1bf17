"""Deep links into the bot's private chat: building them and reading their payload back.
Pure.

A link ``https://t.me/<bot>?start=<payload>`` opens the user's private chat with the bot,
which (after the user's "Start", the first time) receives ``/start <payload>``. A payload
is 1-64 characters of ``A-Z a-z 0-9 _ -`` (Telegram's rule). The bot hands them out where
a button must not post into the chat it sits under (a channel: every reader would see
what one reader asked for):

    p-<arXiv id>    open a paper's card
    r-<arXiv id>    the papers similar to it

An arXiv id's ``.`` is written ``_`` and the ``/`` of an old-style id ``__``: arXiv ids
never hold ``_``, so the payload reads back to exactly one id.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Final

from digestbot.present.callbacks import ARXIV_ID, PaperCallback, SimilarCallback

PAYLOAD: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
# a Telegram username: 5-32 characters, letters, digits and underscores
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_PAPER, _SIMILAR = "p", "r"

StartAction = PaperCallback | SimilarCallback


def _encode(arxiv_id: str) -> str:
    return arxiv_id.replace("/", "__").replace(".", "_")


def _decode(written: str) -> str:
    return written.replace("__", "/").replace("_", ".")


def _link(bot_username: str, kind: str, arxiv_id: str) -> str:
    if not _USERNAME.fullmatch(bot_username):
        raise ValueError(f"not a bot username: {bot_username!r}")
    if not ARXIV_ID.fullmatch(arxiv_id):
        raise ValueError(f"not an arXiv id: {arxiv_id!r}")
    payload = f"{kind}-{_encode(arxiv_id)}"
    if not PAYLOAD.fullmatch(payload):  # an id too long for a payload
        raise ValueError(f"no deep link holds {arxiv_id!r}")
    return f"https://t.me/{bot_username}?{urllib.parse.urlencode({'start': payload})}"


def paper_link(bot_username: str, arxiv_id: str) -> str:
    """The link that opens ``arxiv_id``'s card in the bot's private chat."""
    return _link(bot_username, _PAPER, arxiv_id)


def similar_link(bot_username: str, arxiv_id: str) -> str:
    """The link that lists the papers similar to ``arxiv_id`` in the bot's private chat."""
    return _link(bot_username, _SIMILAR, arxiv_id)


def parse_start(payload: str) -> StartAction:
    """What a ``/start`` payload asks for; ``ValueError`` for anything these links never
    hold (anyone can type ``/start`` with any text)."""
    if not PAYLOAD.fullmatch(payload):
        raise ValueError(f"not a start payload: {payload!r}")
    kind, _, written = payload.partition("-")
    arxiv_id = _decode(written)
    if not ARXIV_ID.fullmatch(arxiv_id) or _encode(arxiv_id) != written:
        raise ValueError(f"no arXiv id in {payload!r}")
    if kind == _PAPER:
        return PaperCallback(arxiv_id)
    if kind == _SIMILAR:
        return SimilarCallback(arxiv_id)
    raise ValueError(f"unknown start payload {payload!r}")
