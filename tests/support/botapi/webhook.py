"""Webhook mode: while a webhook is set, queued updates are POSTed to it one at a time,
oldest first, each retried (with backoff) until the bot answers 2xx."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.support.botapi.state import State

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Webhook:
    url: str
    secret_token: str | None


def restart_pump(state: State) -> None:
    """Deliver to the current webhook (if any) from now on; call with the lock held, in the
    server's thread."""
    if state.webhook_task is not None:
        state.webhook_task.cancel()
        state.webhook_task = None
    if state.webhook is not None and state.loop is not None and not state.stopping:
        state.webhook_task = state.loop.create_task(_pump(state, state.webhook))


async def _pump(state: State, hook: Webhook) -> None:
    wake = state.webhook_wake
    assert wake is not None
    backoff = 0.05
    headers = {"Content-Type": "application/json"}
    if hook.secret_token:
        headers[SECRET_HEADER] = hook.secret_token
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            with state.lock:
                if state.webhook is not hook:
                    return
                pending = state.updates.first(1)
            if not pending:
                wake.clear()
                await wake.wait()
                continue
            update = pending[0]
            try:
                body = json.dumps(update, ensure_ascii=False)
                status = (await client.post(hook.url, content=body, headers=headers)).status_code
            except httpx.HTTPError:
                status = 0
            with state.lock:
                state.records.add_webhook_delivery(update["update_id"], status)
                if 200 <= status < 300:
                    state.updates.delivered(update)
                    backoff = 0.05
            if not 200 <= status < 300:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
