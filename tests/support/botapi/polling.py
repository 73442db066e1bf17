"""getUpdates: answered at once when updates are queued, otherwise held open (long polling)
until one arrives or the timeout passes.  As on Telegram, a newer getUpdates ends an older
one with 409, and getUpdates while a webhook is set is a 409."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from tests.support.botapi.errors import CLIENT_CLOSED, ApiError
from tests.support.botapi.params import opt_int
from tests.support.botapi.records import Call
from tests.support.botapi.state import State
from tests.support.botapi.updates import MAX_UPDATES
from tests.support.botapi.wire import JSONDict, Reply, error_body, ok_body

MAX_POLL_SECONDS = 60.0
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_CONFLICTS = {
    "conflict": "Conflict: terminated by other getUpdates request; make sure that only one "
    "bot instance is running",
    "conflict_webhook": "Conflict: terminated by setWebhook request",
}


def get_updates(
    state: State, params: JSONDict, received: float
) -> Reply | Coroutine[Any, Any, Reply]:
    with state.lock:
        try:
            state.faults.raise_injected("getUpdates")
            if state.webhook is not None:
                raise ApiError(409, _WEBHOOK_ACTIVE)
            offset = opt_int(params, "offset") or 0
            limit = min(max(opt_int(params, "limit") or MAX_UPDATES, 1), MAX_UPDATES)
            raw_timeout = params.get("timeout", 0)
            timeout = float(raw_timeout) if isinstance(raw_timeout, int | float) else 0.0
        except ApiError as exc:
            _record(state, params, received, exc.status, exc.description)
            return exc.reply()
        state.updates.confirm(offset)
        state.polls.release("conflict")
        updates = state.updates.first(limit)
        if updates or timeout <= 0 or state.stopping or state.loop is None:
            _record(state, params, received, 200)
            return Reply(200, ok_body(updates))
        waiter: asyncio.Future[str] = state.loop.create_future()
        state.polls.add(waiter)
    return _long_poll(state, waiter, params, received, min(timeout, MAX_POLL_SECONDS), limit)


async def _long_poll(
    state: State,
    waiter: asyncio.Future[str],
    params: JSONDict,
    received: float,
    seconds: float,
    limit: int,
) -> Reply:
    task = asyncio.current_task()
    if task is not None:
        state.polls.tasks.add(task)
        task.add_done_callback(state.polls.tasks.discard)

    def expire() -> None:
        if not waiter.done():
            waiter.set_result("timeout")

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        reason = await waiter
    except asyncio.CancelledError:
        with state.lock:
            state.polls.discard(waiter)
        _record(state, params, received, CLIENT_CLOSED, "client went away before the answer")
        raise
    finally:
        timer.cancel()
    with state.lock:
        state.polls.discard(waiter)
        if reason in _CONFLICTS:
            _record(state, params, received, 409, _CONFLICTS[reason])
            return Reply(409, error_body(409, _CONFLICTS[reason]))
        updates = state.updates.first(limit)
        _record(state, params, received, 200)
        return Reply(200, ok_body(updates))


def _record(
    state: State, params: JSONDict, at: float, status: int, description: str | None = None
) -> None:
    state.records.add_call(Call("getUpdates", params, at, status, description))
