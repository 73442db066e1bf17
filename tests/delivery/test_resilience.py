"""The engine when things go wrong: a rejected token, a database that goes away, slow
answers from Telegram, timeouts after the message went through, huge id lists; and the
push header's "top n of total"."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot.cli.ops import run_delivery
from digestbot.delivery import outbox
from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import DeliveryEngine
from digestbot.delivery.enqueue import subscription_targets
from digestbot.delivery.outbox import NewDelivery
from digestbot.errors import ConfigError
from digestbot.store.models import Delivery, DeliveryKind, Subscription
from tests.delivery.conftest import add_subscribers, store_sample_digest
from tests.delivery.test_engine import deliver, make_settings, push, queue, rows, texts
from tests.support.botapi import TOKEN, FakeBotAPI

Sessions = async_sessionmaker[AsyncSession]
WRONG_TOKEN = "123456:WRONG-token-revoked-BBBBBBBBBBBBBBBBBB"
WRONG_SECRET = WRONG_TOKEN.split(":", 1)[1]


def assert_no_token(exc: BaseException) -> None:
    """Nothing reachable from ``exc`` (text, repr, cause, context, traceback) shows it."""
    shown = "".join(traceback.format_exception(exc))
    assert WRONG_SECRET not in shown
    seen: BaseException | None = exc
    while seen is not None:
        assert WRONG_SECRET not in str(seen) and WRONG_SECRET not in repr(seen)
        seen = seen.__cause__ or seen.__context__


# --------------------------------------------------------------------------- token


async def test_a_rejected_token_is_a_config_error_without_the_token(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url, token=WRONG_TOKEN)
    with pytest.raises(ConfigError) as caught:
        await run_delivery(settings, sessions, until_idle=True)
    assert caught.value.setting == "DIGESTBOT_TOKEN"
    assert "rejected" in str(caught.value)
    assert_no_token(caught.value)
    # the bot `digestbot repost` starts (async with make_bot(...)) says the same
    with pytest.raises(ConfigError) as again:
        async with make_bot(settings):
            pass
    assert again.value.setting == "DIGESTBOT_TOKEN"
    assert_no_token(again.value)
    assert [c.status for c in botapi.calls("getMe")] == [401, 401]


async def test_an_unreachable_api_server_is_a_config_error_without_the_token(
    db_url: str, sessions: Sessions
) -> None:
    with FakeBotAPI() as server:
        url = server.url
        settings = make_settings(server, db_url, token=WRONG_TOKEN)
    # the server is gone now: nothing listens at its address
    with pytest.raises(ConfigError) as caught:
        async with make_bot(settings, timeout=2.0):
            pass
    assert caught.value.setting == "DIGESTBOT_API_URL"
    assert url in str(caught.value)
    assert_no_token(caught.value)


def test_digestbot_deliver_with_a_rejected_token_says_so_in_one_line(
    botapi: FakeBotAPI, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DIGESTBOT_TOKEN": WRONG_TOKEN,
        "DIGESTBOT_API_URL": botapi.url,
        "DIGESTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "DIGESTBOT_LOG_LEVEL": "DEBUG",
    }
    done = subprocess.run(
        [sys.executable, "-m", "digestbot", "deliver", "--until-idle"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 2, output[-3000:]
    assert "DIGESTBOT_TOKEN" in output and "rejected" in output
    assert "Traceback" not in output
    assert WRONG_SECRET not in output


# --------------------------------------------------------------------------- database


async def rename_table(engine: AsyncEngine, old: str, new: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_running_engine_starts_while_the_database_is_away_and_sends_later(
    botapi: FakeBotAPI,
    db_url: str,
    engine: AsyncEngine,
    sessions: Sessions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    botapi.add_chat(7)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    settings = make_settings(botapi, db_url)
    await rename_table(engine, "deliveries", "deliveries_away")
    async with make_bot(settings) as bot:
        sender = DeliveryEngine(
            bot,
            sessions,
            settings,
            instance="live",
            poll_interval=0.1,
            error_pause=0.05,
            max_error_pause=0.2,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await until(lambda: sender.stats.loop_errors >= 3 or task.done())
        assert not task.done()  # it keeps trying
        await rename_table(engine, "deliveries_away", "deliveries")
        await botapi.wait_for_messages(7, 1, timeout=10)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert texts(botapi, 7) == ["hello"]
    [row] = await rows(sessions)
    assert row.state == "sent"
    logged = [
        r
        for r in caplog.records
        if r.name == "digestbot.delivery.engine" and r.levelno == logging.ERROR
    ]
    assert logged and all(r.exc_info for r in logged)


async def test_a_delivery_whose_progress_cannot_be_written_is_resumed_later(
    botapi: FakeBotAPI,
    db_url: str,
    engine: AsyncEngine,
    sessions: Sessions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    botapi.add_chat(7)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["p1", "p2", "p3"]))
    settings = make_settings(botapi, db_url, rate_private_per_second=2.0)
    async with make_bot(settings) as bot:
        sender = DeliveryEngine(
            bot,
            sessions,
            settings,
            instance="live",
            lease=1.0,
            poll_interval=0.1,
            error_pause=0.05,
            max_error_pause=0.2,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await botapi.wait_for_messages(7, 1, timeout=10)
        # recording the next part as sent fails, and so does putting the delivery back
        await rename_table(engine, "deliveries", "deliveries_away")
        await until(
            lambda: any("cannot record the failure" in r.getMessage() for r in caplog.records)
        )
        await rename_table(engine, "deliveries_away", "deliveries")
        # the claim's lease runs out; the engine claims it again and finishes it
        await until(lambda: texts(botapi, 7)[-1:] == ["p3"])
        stop.set()
        await asyncio.wait_for(task, 10)
    assert set(texts(botapi, 7)) == {"p1", "p2", "p3"}
    [row] = await rows(sessions)
    assert (row.state, row.parts_sent) == ("sent", 3)


# --------------------------------------------------------------------------- pacing


async def test_sends_queued_behind_slow_answers_do_not_burst_past_the_global_limit(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(101, 141))
    for user in users:
        botapi.add_chat(user)
    botapi.enforce_limits(global_per_s=10, per_private_chat_per_s=1, per_group_per_min=20)
    # Telegram takes a second to answer (the message is accepted at once): with 3 sends in
    # flight, sends queue up for a slot; then the answers become fast again
    botapi.set_delay(1.0, methods=["sendMessage"], process_first=True)
    await queue(
        sessions, *(NewDelivery(f"a:{u}:0", DeliveryKind.BROADCAST, u, 0, ["hi"]) for u in users)
    )
    # the engine aims a message a second under the server's limit: a margin for the jitter
    # between our clock and the server's (this tests bursts, not the window's edge)
    settings = make_settings(botapi, db_url, rate_global_per_second=9.0, delivery_concurrency=3)
    async with make_bot(settings) as bot:
        sender = DeliveryEngine(bot, sessions, settings, instance="slow", max_active=40)
        task = asyncio.create_task(sender.run_until_idle())
        await asyncio.sleep(2.0)
        botapi.set_delay(0)
        stats = await asyncio.wait_for(task, 30)

    calls = botapi.calls("sendMessage")
    timeline = [(round(c.at - calls[0].at, 3), c.status) for c in calls]
    assert botapi.limit_violations == 0, (botapi.limit_violation_log, timeline)
    times = sorted(m.at for m in botapi.messages)
    assert len(times) == 40 and stats.deliveries_sent == 40
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 10


# --------------------------------------------------------------------------- timeouts


async def test_a_timeout_after_telegram_accepted_the_message_is_counted_as_uncertain(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    # Telegram takes the message but its answer comes too late for the client
    botapi.set_delay(1.0, methods=["sendMessage"], process_first=True)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    settings = make_settings(botapi, db_url)
    stats, alerts = await deliver(settings, sessions, bot_timeout=0.3, backoff_base=30.0)
    assert (stats.uncertain, stats.rescheduled, stats.deliveries_sent) == (1, 1, 0)
    assert alerts == []
    [row] = await rows(sessions)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "outcome unknown" in row.last_error and "TimedOut" in row.last_error
    assert texts(botapi, 7) == ["hello"]  # it did arrive

    botapi.set_delay(0)
    async with sessions.begin() as session:  # as if the backoff had passed
        row.due_at = dt.datetime.now(dt.UTC)
        await session.merge(row)
    stats, _ = await deliver(settings, sessions)
    # the retry the issue asks for repeats it: that is what `uncertain` counts
    assert texts(botapi, 7) == ["hello", "hello"]
    assert stats.uncertain == 0 and stats.deliveries_sent == 1


async def test_a_server_error_is_a_certain_retry(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.fail_next("sendMessage", count=1, status=502)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    stats, _ = await deliver(make_settings(botapi, db_url), sessions)
    assert (stats.uncertain, stats.rescheduled, stats.deliveries_sent) == (0, 1, 1)


# --------------------------------------------------------------------------- sizes


async def test_tens_of_thousands_of_ids_fit_in_the_statements(sessions: Sessions) -> None:
    await add_subscribers(sessions, [1, 2, 3])
    async with sessions() as session:
        ids = list(await session.scalars(select(Subscription.id)))
    unknown = list(range(1_000_000, 1_040_000))  # more than a statement's 32,767 parameters
    async with sessions() as session:
        targets = await subscription_targets(session, subscription_ids=[*unknown, *ids])
    assert [t.chat_id for t in targets] == [1, 2, 3]

    await queue(
        sessions,
        NewDelivery("a:1:0", DeliveryKind.BROADCAST, 1, 0, ["x"]),
        NewDelivery("a:2:0", DeliveryKind.BROADCAST, 2, 0, ["x"]),
    )
    now = dt.datetime.now(dt.UTC)
    async with sessions.begin() as session:
        claimed = await outbox.claim_due(session, instance="big", now=now, limit=10, lease=60)
        mine = [c.id for c in claimed]
        until_ = now + dt.timedelta(minutes=5)
        assert await outbox.renew_leases(session, [*unknown, *mine], "big", until=until_) == 2
        assert await outbox.release_claims(session, "big", [*unknown, *mine]) == 2
    async with sessions() as session:
        states = list(await session.scalars(select(Delivery.state)))
    assert states == ["pending", "pending"]


# --------------------------------------------------------------------------- rendering


async def test_the_push_header_says_how_many_papers_the_day_has(sessions: Sessions) -> None:
    await store_sample_digest(sessions, papers=3)
    await add_subscribers(sessions, [1], top_n=2)
    await add_subscribers(sessions, [2], top_n=5)
    assert await push(sessions) == 2
    found = await rows(sessions)
    async with sessions() as session:
        parts = await outbox.queued_parts(session, [r.dedupe_key for r in found])
    headers = {r.chat_id: parts[r.dedupe_key][0].text.split("\n", 1)[0] for r in found}
    assert headers == {
        1: "📰 <b>Daily Papers 2025-05-09</b> · 상위 2/3편",
        2: "📰 <b>Daily Papers 2025-05-09</b> · 3편",
    }


def test_the_fake_server_uses_the_test_token() -> None:
    # the wrong token really is another token (else the tests above prove nothing)
    assert WRONG_TOKEN != TOKEN and WRONG_SECRET not in TOKEN
