"""``digestbot deliver`` in real processes: killed midway and restarted, and two
instances sharing one PostgreSQL outbox and the token's send budget."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.delivery.enqueue import enqueue_push
from digestbot.store.models import Delivery
from tests.conftest import POSTGRES_ONLY
from tests.delivery.conftest import DAY, add_subscribers, store_sample_digest
from tests.support.botapi import TOKEN, FakeBotAPI

Sessions = async_sessionmaker[AsyncSession]
CONCURRENCY = 8


def start_deliver(
    server: FakeBotAPI, db_url: str, instance: str, rate: float, **extra: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DIGESTBOT_TOKEN": TOKEN,
        "DIGESTBOT_API_URL": server.url,
        "DIGESTBOT_DATABASE_URL": db_url,
        "DIGESTBOT_RATE_GLOBAL_PER_SECOND": str(rate),
        "DIGESTBOT_DELIVERY_CONCURRENCY": str(CONCURRENCY),
        "DIGESTBOT_LOG_LEVEL": "WARNING",
        **{f"DIGESTBOT_{name.upper()}": value for name, value in extra.items()},
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "digestbot",
            "deliver",
            "--until-idle",
            "--instance",
            instance,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def finish(proc: subprocess.Popen[bytes]) -> str:
    out, err = await asyncio.to_thread(proc.communicate, timeout=60.0)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def prepare(server: FakeBotAPI, sessions: Sessions, users: list[int]) -> None:
    for user in users:
        server.add_chat(user)
    await store_sample_digest(sessions)
    await add_subscribers(sessions, users)
    async with sessions.begin() as session:
        assert await enqueue_push(session, DAY) == len(users)


async def wait_until_sent_by(sessions: Sessions, instance: str, count: int) -> None:
    async def sent() -> int:
        async with sessions() as session:
            query = select(func.count()).where(
                Delivery.claimed_by == instance, Delivery.state == "sent"
            )
            return int(await session.scalar(query) or 0)

    async with asyncio.timeout(60):  # polling the database: no event to wait on
        while True:
            if await sent() >= count:
                return
            await asyncio.sleep(0.02)


async def test_killed_midway_and_restarted_nobody_missed_at_most_in_flight_twice(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(5001, 5161))  # 160 subscribers at 60 messages/s: ~2.7 s
    await prepare(botapi, sessions, users)

    first = start_deliver(botapi, db_url, "crash-test", rate=60.0)
    # a process can take many seconds to start on a busy machine: wait for its sends
    await botapi.wait_for(lambda: len(botapi.messages) >= 50, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    assert first.returncode == -signal.SIGKILL
    at_kill = len(botapi.messages)
    assert 50 <= at_kill < len(users), "the kill came too late to test anything"

    second = start_deliver(botapi, db_url, "crash-test", rate=60.0)
    await finish(second)

    per_chat = collections.Counter(m.chat_id for m in botapi.messages)
    assert set(per_chat) == set(users)  # nobody missed
    duplicates = sum(n - 1 for n in per_chat.values())
    # only what was in flight at the kill may arrive twice
    assert duplicates <= CONCURRENCY
    async with sessions() as session:
        states = set(await session.scalars(select(Delivery.state)))
    assert states == {"sent"}


@POSTGRES_ONLY
async def test_two_instances_share_one_postgresql_outbox_without_duplicates(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(7001, 7301))  # 300 subscribers, two instances at 80/s each
    await prepare(botapi, sessions, users)

    botapi.start_together(2)  # neither may finish the push before the other is up
    procs = [start_deliver(botapi, db_url, name, rate=80.0) for name in ("one", "two")]
    for proc in procs:
        await finish(proc)

    per_chat = collections.Counter(m.chat_id for m in botapi.messages)
    assert set(per_chat) == set(users)
    assert max(per_chat.values()) == 1  # no duplicates
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery)))
    assert {r.state for r in rows} == {"sent"}
    by_instance = collections.Counter(r.claimed_by for r in rows)
    assert set(by_instance) == {"one", "two"}  # both instances did part of the work


@POSTGRES_ONLY
async def test_two_instances_share_the_tokens_budget_and_finish_when_one_is_killed(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    # Telegram's own limits and the engine's defaults (30/s for the token): two instances
    # that each spent it alone would send 60/s
    users = list(range(9001, 9211))  # 210 subscribers: 7 s at 30/s
    await prepare(botapi, sessions, users)
    botapi.enforce_limits(global_per_s=30, per_private_chat_per_s=1, per_group_per_min=20)

    lease = {"delivery_lease_seconds": "2"}  # the killed one's claims are free after 2 s
    botapi.start_together(2)
    one, two = (start_deliver(botapi, db_url, name, 30.0, **lease) for name in ("a", "b"))
    try:
        # kill 'a' once it has sent (and recorded) part of the push
        await wait_until_sent_by(sessions, "a", 15)
        await botapi.wait_for(lambda: len(botapi.messages) >= 60, timeout=60)
        one.send_signal(signal.SIGKILL)
        one.communicate(timeout=10)
        at_kill = len(botapi.messages)
        await finish(two)
    finally:
        for proc in (one, two):
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
    assert at_kill < len(users), "the kill came too late to test anything"

    per_chat = collections.Counter(m.chat_id for m in botapi.messages)
    assert set(per_chat) == set(users)  # everyone reached, the killed one's share too
    # only what the killed instance had in flight may arrive twice
    assert sum(n - 1 for n in per_chat.values()) <= CONCURRENCY
    calls = botapi.calls("sendMessage")
    # one budget for both: the token's limit answered under 1 % of the sends with 429
    assert botapi.limit_violations < 0.01 * len(calls), botapi.limit_violation_log
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery)))
    assert {r.state for r in rows} == {"sent"}
    assert {r.claimed_by for r in rows} == {"a", "b"}  # both sent part of the push


@POSTGRES_ONLY
async def test_an_instance_added_mid_push_shares_the_budget_it_joins(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(9501, 9801))  # 300 subscribers: 10 s at the token's 30/s
    await prepare(botapi, sessions, users)
    botapi.enforce_limits(global_per_s=30, per_private_chat_per_s=1, per_group_per_min=20)

    first = start_deliver(botapi, db_url, "first", 30.0)
    try:
        await wait_until_sent_by(sessions, "first", 30)  # the push is under way
        second = start_deliver(botapi, db_url, "added", 30.0)
        try:
            await finish(second)
        finally:
            if second.poll() is None:
                second.kill()
                second.communicate(timeout=10)
        await finish(first)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate(timeout=10)

    per_chat = collections.Counter(m.chat_id for m in botapi.messages)
    assert set(per_chat) == set(users) and max(per_chat.values()) == 1
    calls = botapi.calls("sendMessage")
    assert botapi.limit_violations < 0.01 * len(calls), botapi.limit_violation_log
    async with sessions() as session:
        by_instance = collections.Counter(
            await session.scalars(select(Delivery.claimed_by).where(Delivery.state == "sent"))
        )
    assert set(by_instance) == {"first", "added"}, by_instance  # the newcomer took a share
    assert sum(by_instance.values()) == len(users)
