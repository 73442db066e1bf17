"""Updates waiting for the bot, and the getUpdates requests held open for them."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from typing import Any

from tests.support.botapi.wire import JSONDict

MAX_UPDATES = 100  # per getUpdates answer


class UpdateQueue:
    """Updates queued by user actions until an offset (or a webhook delivery) confirms them."""

    def __init__(self) -> None:
        self._updates: list[JSONDict] = []
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._updates)

    def push(self, update: Mapping[str, Any]) -> int:
        """Queue ``update`` (without ``update_id``); returns the update_id it got."""
        update_id = self._next_id
        self._next_id += 1
        self._updates.append({"update_id": update_id, **copy.deepcopy(dict(update))})
        return update_id

    def confirm(self, offset: int) -> None:
        """Forget what a getUpdates ``offset`` confirms (a negative one keeps the last few)."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            del self._updates[: max(0, len(self._updates) + offset)]

    def first(self, limit: int) -> list[JSONDict]:
        return self._updates[:limit]

    def delivered(self, update: JSONDict) -> None:
        """A webhook took ``update``."""
        if self._updates and self._updates[0] is update:
            self._updates.pop(0)

    def clear(self) -> None:
        self._updates.clear()


class Polls:
    """getUpdates requests waiting for an update; each waiter learns why it was released:
    "wake" (updates arrived), "timeout", "stop", "conflict" (a newer getUpdates) or
    "conflict_webhook" (setWebhook)."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[str]] = []
        self.tasks: set[asyncio.Task[Any]] = set()

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())

    def add(self, waiter: asyncio.Future[str]) -> None:
        self._waiters.append(waiter)

    def discard(self, waiter: asyncio.Future[str]) -> None:
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def release(self, reason: str) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(reason)
        self._waiters.clear()
