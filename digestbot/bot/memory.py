"""Search queries kept server-side so callback data (64 bytes) holds only a small id."""

from __future__ import annotations

from collections import OrderedDict


class QueryMemory:
    """The last ``capacity`` search queries, each under an increasing integer id."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._queries: OrderedDict[int, str] = OrderedDict()
        self._next = 1

    def remember(self, query: str) -> int:
        query_id = self._next
        self._next += 1
        self._queries[query_id] = query
        while len(self._queries) > self.capacity:
            self._queries.popitem(last=False)
        return query_id

    def recall(self, query_id: int) -> str | None:
        return self._queries.get(query_id)
