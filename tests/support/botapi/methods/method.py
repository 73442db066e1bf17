"""A Bot API method as the server models it: its name, the parameters it understands and
the function that answers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict

Handler = Callable[[State, JSONDict], Any]  # returns the "result" of the answer


@dataclass(frozen=True)
class Method:
    name: str  # canonical, as in the Bot API docs
    params: frozenset[str]  # any other parameter is answered "not supported"
    handler: Handler | None  # None: getUpdates, answered by the long-poll machinery
