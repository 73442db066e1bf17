"""Readiness: what ``/healthz`` answers, from what the process knows about itself.

``ProcessState`` is that knowledge, read fresh at each request by whoever serves the
endpoint (the bot, or ``digestbot deliver``); ``readiness`` is a pure function of it and
of whether the database answered. Ready means:

* **database**: it answered ``SELECT 1`` within ``DATABASE_TIMEOUT``;
* **updates** (the bot only): the polling loop (or the webhook server) is running, or,
  with long polling, another instance leads and polls (this one stands by); in webhook
  mode, when ``health_webhook_silence_minutes`` is set, an update came within it;
* **scheduler** (the bot only): on the instance that holds the scheduler lock, the push
  tick ran within ``TICK_MAX_AGE`` (counted from when it took the lock, before the first
  tick); any other instance is a "follower", which is fine.

The body is one JSON object: ``{"status": "ready" | "not ready", "checks": {name:
{"ok": bool, "detail": str}}}``; HTTP 200 when ready, 503 otherwise."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.delivery.engine import EngineStats

DATABASE_TIMEOUT = 3.0
# the push tick runs every minute: five missed ticks is a stuck scheduler
TICK_MAX_AGE = 300.0


class UpdateMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class UpdatesState:
    mode: UpdateMode
    running: bool
    last_update_age: float | None  # seconds since the newest update; None: none yet
    standby: bool = False  # polling: another instance leads and polls, this one waits


@dataclass(frozen=True, slots=True)
class SchedulerState:
    leader: bool
    # seconds since the last push tick finished, or since this instance took the lock
    # when no tick has run since (None: not leading)
    tick_age: float | None
    ticked: bool  # a tick finished since this instance took the lock


@dataclass(frozen=True, slots=True)
class ProcessState:
    """What the serving process knows about itself (``digestbot run``: all of it;
    ``digestbot deliver``: its engine only)."""

    role: str  # "bot" or "deliver"
    engine: EngineStats | None = None
    updates: UpdatesState | None = None
    scheduler: SchedulerState | None = None
    throttled: int = 0  # requests refused by the per-user flood control


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str


async def check_database(sessions: async_sessionmaker[AsyncSession]) -> Check:
    """``SELECT 1`` within ``DATABASE_TIMEOUT``; the error's first line when it fails
    (a driver's message names the host, never a password: URLs are not in it)."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), sessions() as session:
            await session.execute(text("SELECT 1"))
    except TimeoutError:
        return Check(False, f"no answer within {DATABASE_TIMEOUT:g} s")
    except Exception as exc:  # any driver error means "not reachable"
        reason = str(getattr(exc, "orig", None) or exc).splitlines()
        return Check(False, f"unreachable: {reason[0] if reason else type(exc).__name__}")
    return Check(True, "reachable")


def check_updates(state: UpdatesState, *, webhook_silence: float) -> Check:
    """``webhook_silence``: seconds without an update after which a webhook is not ready
    (0: not checked)."""
    age = (
        "no update yet"
        if state.last_update_age is None
        else (f"last update {state.last_update_age:.0f} s ago")
    )
    if state.standby and not state.running:
        return Check(True, f"{state.mode.value}: standby, the leading instance polls; {age}")
    if not state.running:
        return Check(False, f"{state.mode.value} stopped; {age}")
    if state.mode is UpdateMode.WEBHOOK and webhook_silence > 0:
        silent = state.last_update_age is None or state.last_update_age > webhook_silence
        if silent:
            return Check(False, f"webhook: {age}, over {webhook_silence:.0f} s")
    return Check(True, f"{state.mode.value}; {age}")


def check_scheduler(state: SchedulerState, *, max_age: float = TICK_MAX_AGE) -> Check:
    if not state.leader or state.tick_age is None:
        return Check(True, "follower")
    if state.tick_age > max_age:
        since = "last push tick" if state.ticked else "took the lock, no push tick since"
        return Check(False, f"leader: {since} {state.tick_age:.0f} s ago")
    if not state.ticked:
        return Check(True, "leader: first push tick pending")
    return Check(True, f"leader: last push tick {state.tick_age:.0f} s ago")


def readiness(
    state: ProcessState, database: Check, *, webhook_silence: float = 0.0
) -> tuple[int, dict[str, Any]]:
    """The status code and JSON body of ``/healthz``."""
    checks: dict[str, Check] = {"database": database}
    if state.updates is not None:
        checks["updates"] = check_updates(state.updates, webhook_silence=webhook_silence)
    if state.scheduler is not None:
        checks["scheduler"] = check_scheduler(state.scheduler)
    ready = all(check.ok for check in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "role": state.role,
        "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()},
    }
    return (200 if ready else 503), body
