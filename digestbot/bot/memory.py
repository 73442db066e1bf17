"""What the bot keeps in memory between two updates: search queries (so callback data,
64 bytes, holds only a short id) and admins' confirmations waiting for a press. A restart
forgets them: old buttons then answer "expired"."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from digestbot.delivery.enqueue import new_request_id

# 9 random bytes → 12 URL-safe characters: "s:<token>:<page>" stays far under 64 bytes
TOKEN_BYTES = 9


def new_token() -> str:
    """A random, unguessable id, unique across processes and restarts (a counter would
    start again at 1 in each process, so an old button would recall another user's query)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class QueryMemory:
    """The last ``capacity`` search queries, each under a random token."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._queries: OrderedDict[str, str] = OrderedDict()

    def remember(self, query: str) -> str:
        query_id = new_token()
        while query_id in self._queries:  # 72 random bits: practically never
            query_id = new_token()
        self._queries[query_id] = query
        while len(self._queries) > self.capacity:
            self._queries.popitem(last=False)
        return query_id

    def recall(self, query_id: str) -> str | None:
        """The query under ``query_id``; None when unknown (another process, a restart, or
        pushed out by newer searches)."""
        return self._queries.get(query_id)


# --------------------------------------------------------------------------- confirmations

CONFIRM_TTL = 15 * 60.0


class PendingKind(StrEnum):
    REPOST = "repost"
    BROADCAST = "broadcast"


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An admin's send to everyone, waiting for the ✅ press."""

    kind: PendingKind
    admin_id: int
    lang: str
    day: dt.date | None = None
    text: str = ""
    created: float = 0.0


class PendingActions:
    """Confirmations waiting for a button press; ``take`` hands each out once. The key is
    also the request id of the deliveries, so one confirmation is one delivery per chat."""

    def __init__(self, ttl: float = CONFIRM_TTL) -> None:
        self.ttl = ttl
        self._items: dict[str, PendingAction] = {}

    def add(self, action: PendingAction) -> str:
        now = time.monotonic()
        self._items = {k: v for k, v in self._items.items() if now - v.created < self.ttl}
        key = new_request_id()
        self._items[key] = action
        return key

    def take(self, key: str) -> PendingAction | None:
        action = self._items.pop(key, None)
        if action is None or time.monotonic() - action.created >= self.ttl:
            return None
        return action
