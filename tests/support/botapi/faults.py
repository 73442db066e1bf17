"""Faults a test injects: the next calls fail, random floods of 429, a chat blocks the bot,
a group migrates, a chat's calls fail, answers come slowly, answers wait for each other."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from dataclasses import dataclass

from tests.support.botapi.errors import ApiError, bad, too_many
from tests.support.botapi.wire import JSONDict, Reply

ANY_METHOD = "*"  # fail_next("*"): any method except getUpdates

_KICKED = {
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}


@dataclass(frozen=True)
class Fault:
    status: int
    description: str
    parameters: JSONDict | None = None

    def error(self) -> ApiError:
        return ApiError(self.status, self.description, self.parameters)


@dataclass(frozen=True)
class Delay:
    seconds: float
    methods: frozenset[str] | None  # lower-case names; None: every method but getUpdates
    process_first: bool  # True: deliver at once, answer late (a lost answer)

    def applies(self, method: str) -> bool:
        return self.methods is None or method.lower() in self.methods


class Barrier:
    """The answers to one method wait until ``parties`` calls of it have arrived (then
    all go at once, and later calls pass): several clients start in step."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self._open: asyncio.Event | None = None  # made in the server's loop

    async def wait(self, reply: Reply) -> Reply:
        if self._open is None:
            self._open = asyncio.Event()
        self.arrived += 1
        if self.arrived >= self.parties:
            self._open.set()
        await self._open.wait()
        return reply


@dataclass(frozen=True)
class Flood:
    """Each call of ``methods`` (lower-case) answers 429 with this probability."""

    probability: float
    retry_after: int
    methods: frozenset[str]


def forbidden_description(reason: str, chat_type: str) -> str:
    """Telegram's 403 description for posting to a chat that blocked the bot ("blocked"),
    removed it ("kicked") or whose user is gone ("deactivated")."""
    if reason == "blocked":
        return "Forbidden: bot was blocked by the user"
    if reason == "deactivated":
        return "Forbidden: user is deactivated"
    if reason == "kicked":
        return _KICKED.get(chat_type, _KICKED["group"])
    raise ValueError(f"unknown reason {reason!r}")


class Faults:
    def __init__(self, seed: int) -> None:
        self._next: dict[str, deque[Fault]] = {}
        self.flood: Flood | None = None
        self._rng = random.Random(seed)
        self.blocked: dict[int, str] = {}  # chat id -> 403 description
        self.migrated: dict[int, int] = {}  # old group id -> new supergroup id
        self.failing_chats: dict[int, Fault] = {}
        self.delay: Delay | None = None
        self.barriers: dict[str, Barrier] = {}  # lower-case method -> its barrier

    def fail_next(self, method: str, count: int, fault: Fault) -> None:
        self._next.setdefault(method.lower(), deque()).extend(fault for _ in range(count))

    def raise_injected(self, method: str) -> None:
        """Raise the next fault queued for ``method`` (or for any method), if there is one."""
        lowered = method.lower()
        queue = self._next.get(lowered)
        if not queue and lowered != "getupdates":
            queue = self._next.get(ANY_METHOD)
        if queue:
            raise queue.popleft().error()

    def raise_flooded(self, method: str) -> None:
        flood = self.flood
        if (
            flood is not None
            and method.lower() in flood.methods
            and self._rng.random() < flood.probability
        ):
            raise too_many(flood.retry_after)

    def raise_unreachable(self, chat_id: int) -> None:
        """Raise if calls targeting the chat fail or the chat migrated to a supergroup."""
        fault = self.failing_chats.get(chat_id)
        if fault is not None:
            raise fault.error()
        if chat_id in self.migrated:
            raise bad(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )

    def raise_blocked(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise ApiError(403, self.blocked[chat_id])
