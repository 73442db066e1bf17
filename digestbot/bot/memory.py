"""Search queries kept server-side so callback data (64 bytes) holds only a short token."""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict

# 9 random bytes → 12 URL-safe characters: "s:<token>:<page>" stays far under 64 bytes
TOKEN_BYTES = 9
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")


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
