"""The engine against the fake Bot API server: every subscriber exactly once, and
Telegram's answers under stress (429, 403, migration, bad HTML, 5xx, timeouts)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.config import Settings
from digestbot.delivery import outbox
from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import AdminAlert, DeliveryEngine, EngineStats
from digestbot.delivery.enqueue import enqueue_push
from digestbot.delivery.outbox import NewDelivery, Part
from digestbot.present.push import Button
from digestbot.store.models import Chat, Delivery, DeliveryBody, DeliveryKind, Subscription
from tests.conftest import FAST_LIMITS
from tests.delivery.conftest import DAY, add_subscribers, store_sample_digest
from tests.support.botapi import TOKEN, FakeBotAPI
from tests.support.settings import settings_for

Sessions = async_sessionmaker[AsyncSession]
FAST = FAST_LIMITS


_DEFAULTS: dict[str, Any] = {
    "delivery_concurrency": 8,
    "delivery_max_attempts": 3,
    "delivery_max_sleep": 5.0,
    **FAST,
}


def make_settings(server: FakeBotAPI, db_url: str, **overrides: Any) -> Settings:
    """The suite's one settings builder (``settings_for``), with this module's defaults."""
    return settings_for(server, db_url, **{**_DEFAULTS, **overrides})


async def deliver(
    settings: Settings, sessions: Sessions, *, bot_timeout: float = 10.0, **kwargs: Any
) -> tuple[EngineStats, list[AdminAlert]]:
    alerts: list[AdminAlert] = []

    async def on_alert(alert: AdminAlert) -> None:
        alerts.append(alert)

    kwargs.setdefault("backoff_base", 0.05)
    async with make_bot(settings, timeout=bot_timeout) as bot:
        engine = DeliveryEngine(
            bot, sessions, settings, instance="test", on_alert=on_alert, **kwargs
        )
        stats = await engine.run_until_idle()
    return stats, alerts


async def rows(sessions: Sessions) -> list[Delivery]:
    async with sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def queue(sessions: Sessions, *items: NewDelivery) -> None:
    async with sessions.begin() as session:
        await outbox.add_deliveries(session, list(items))


async def push(sessions: Sessions, day: dt.date = DAY) -> int:
    async with sessions.begin() as session:
        return await enqueue_push(session, day)


def texts(server: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.text for m in server.sent_to(chat_id, "sendMessage")]


async def test_every_subscriber_gets_the_push_exactly_once(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(1001, 1031))
    for user in users:
        botapi.add_chat(user)
    botapi.add_chat(-100500, "supergroup", is_forum=True)
    botapi.add_chat(-100600, "channel")
    await store_sample_digest(sessions)
    await add_subscribers(sessions, [*users, -100500, -100600])
    await add_subscribers(sessions, [-100500], thread_id=77)
    settings = make_settings(botapi, db_url)

    assert await push(sessions) == 33
    stats, alerts = await deliver(settings, sessions)
    # the job runs again (overlap, restart): nothing is queued or sent twice
    assert await push(sessions) == 0
    await deliver(settings, sessions)

    assert stats.deliveries_sent == 33 and alerts == []
    for chat in [*users, -100600]:
        assert len(texts(botapi, chat)) == 1, chat
    to_group = botapi.sent_to(-100500)
    assert sorted(m.message_thread_id or 0 for m in to_group) == [0, 77]
    assert "Paper number 1" in to_group[0].text
    assert {r.state for r in await rows(sessions)} == {"sent"}


async def test_parts_and_deliveries_to_one_chat_go_in_order(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    await queue(
        sessions,
        NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["a1", "a2", "a3"]),
        NewDelivery("b:7:0", DeliveryKind.BROADCAST, 7, 0, ["b1", "b2"]),
    )
    await deliver(make_settings(botapi, db_url), sessions)
    assert texts(botapi, 7) == ["a1", "a2", "a3", "b1", "b2"]
    assert [(r.state, r.parts_sent) for r in await rows(sessions)] == [("sent", 3), ("sent", 2)]


async def test_retry_after_pauses_the_chat_and_retries(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.add_chat(8)
    botapi.fail_next("sendMessage", count=1, status=429, retry_after=1)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    await queue(sessions, NewDelivery("b:8:0", DeliveryKind.BROADCAST, 8, 0, ["hi"]))
    stats, _ = await deliver(make_settings(botapi, db_url), sessions)

    calls = botapi.calls("sendMessage")
    refused = [c for c in calls if c.status == 429]
    assert len(refused) == 1
    chat = refused[0].params["chat_id"]
    retried = [c for c in calls if c.params["chat_id"] == chat and c.status == 200]
    assert len(retried) == 1
    assert retried[0].at - refused[0].at >= 0.95  # waited retry_after
    assert texts(botapi, 7) == ["hello"] and texts(botapi, 8) == ["hi"]
    assert stats.flood_waits == 1 and stats.deliveries_sent == 2


async def test_a_long_retry_after_is_rescheduled_not_slept_through(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.fail_next("sendMessage", count=1, status=429, retry_after=600)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    before = dt.datetime.now(dt.UTC)
    stats, _ = await deliver(make_settings(botapi, db_url), sessions)

    [row] = await rows(sessions)
    assert (row.state, row.attempts, row.parts_sent) == ("pending", 0, 0)
    due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=dt.UTC)
    assert dt.timedelta(seconds=590) < due - before < dt.timedelta(seconds=620)
    assert "429" in row.last_error or "retry" in row.last_error.lower()
    assert stats.rescheduled == 1 and texts(botapi, 7) == []


async def test_a_blocked_chat_is_deactivated_and_its_subscription_kept(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    for user in (1, 2, 3):
        botapi.add_chat(user)
    botapi.block_chat(2, "blocked")
    await store_sample_digest(sessions)
    await add_subscribers(sessions, [1, 2, 3])
    await push(sessions)
    stats, alerts = await deliver(make_settings(botapi, db_url), sessions)

    assert stats.deactivated == 1 and alerts == []
    async with sessions() as session:
        chat = await session.get(Chat, 2)
        sub = await session.scalar(select(Subscription).where(Subscription.chat_id == 2))
    assert chat is not None and not chat.active
    assert "blocked by the user" in chat.inactive_reason
    assert sub is not None and sub.active  # kept as the user left it
    by_chat = {r.chat_id: r for r in await rows(sessions)}
    assert by_chat[2].state == "failed" and "blocked" in by_chat[2].last_error
    assert texts(botapi, 1) and texts(botapi, 3) and not texts(botapi, 2)
    # the next day's push leaves the inactive chat out
    await store_sample_digest(sessions, DAY + dt.timedelta(days=1))
    assert await push(sessions, DAY + dt.timedelta(days=1)) == 2


async def test_a_migrated_group_gets_the_message_at_its_new_id(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(-500, "group")
    botapi.migrate_chat(-500, -100500)
    await store_sample_digest(sessions)
    await add_subscribers(sessions, [-500])
    await push(sessions)
    stats, _ = await deliver(make_settings(botapi, db_url), sessions)

    assert stats.migrated == 1
    assert len(texts(botapi, -100500)) == 1 and texts(botapi, -500) == []
    async with sessions() as session:
        sub = await session.scalar(select(Subscription))
        assert sub is not None and sub.chat_id == -100500
        assert (await session.get(Chat, -100500)) is not None
    [row] = await rows(sessions)
    assert (row.state, row.chat_id, row.dedupe_key) == (
        "sent",
        -100500,
        "push:2025-05-09:-100500:0",
    )
    # pushing the same day again finds it delivered under the new id
    assert await push(sessions) == 0


async def test_a_bad_message_fails_with_the_reason_and_admins_are_told(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    await queue(
        sessions,
        NewDelivery("bad:7:0", DeliveryKind.BROADCAST, 7, 0, ["<foo>broken</foo>"]),
        NewDelivery("good:7:0", DeliveryKind.BROADCAST, 7, 0, ["fine"]),
    )
    _, alerts = await deliver(make_settings(botapi, db_url), sessions)

    bad, good = await rows(sessions)
    assert bad.state == "failed" and "unsupported start tag" in bad.last_error.lower()
    assert good.state == "sent"
    assert [(a.delivery_id, a.kind) for a in alerts] == [(bad.id, "bad message")]
    assert TOKEN not in bad.last_error
    assert texts(botapi, 7) == ["fine"]


async def test_server_errors_are_retried_with_backoff(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.fail_next("sendMessage", count=2, status=502)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    _, alerts = await deliver(make_settings(botapi, db_url), sessions)

    [row] = await rows(sessions)
    assert (row.state, row.attempts) == ("sent", 2)
    assert texts(botapi, 7) == ["hello"] and alerts == []
    assert [c.status for c in botapi.calls("sendMessage")] == [502, 502, 200]


async def test_a_chat_that_keeps_failing_is_given_up_after_max_attempts(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.add_chat(8)
    botapi.fail_chat(7, 500)
    await queue(
        sessions,
        NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]),
        NewDelivery("a:8:0", DeliveryKind.BROADCAST, 8, 0, ["hello"]),
    )
    _, alerts = await deliver(make_settings(botapi, db_url), sessions)

    failed, sent = await rows(sessions)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in failed.last_error
    assert sent.state == "sent"
    assert [a.kind for a in alerts] == ["gave up"]
    assert len([c for c in botapi.calls("sendMessage") if c.params["chat_id"] == 7]) == 3


async def test_a_timed_out_request_is_retried(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.set_delay(1.0, methods=["sendMessage"])  # the request is lost, not delivered
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["hello"]))
    settings = make_settings(botapi, db_url)
    await deliver(settings, sessions, bot_timeout=0.3, backoff_base=30.0)
    [row] = await rows(sessions)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "TimedOut" in row.last_error

    botapi.set_delay(0)
    async with sessions.begin() as session:  # as if the backoff had passed
        row.due_at = dt.datetime.now(dt.UTC)
        await session.merge(row)
    await deliver(settings, sessions)
    assert texts(botapi, 7) == ["hello"]


async def test_a_dead_instances_claim_is_resumed_after_its_lease(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    await queue(sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["p1", "p2", "p3"]))
    now = dt.datetime.now(dt.UTC)
    async with sessions.begin() as session:
        [claim] = await outbox.claim_due(session, instance="dead", now=now, limit=5, lease=0.5)
        # it had sent the first part when it died
        await outbox.mark_part_sent(
            session, claim.id, "dead", parts_sent=1, done=False, now=now, lease=0.5
        )
    await deliver(make_settings(botapi, db_url), sessions)
    assert texts(botapi, 7) == ["p2", "p3"]
    [row] = await rows(sessions)
    assert (row.state, row.parts_sent, row.claimed_by) == ("sent", 3, "test")


async def test_one_message_a_second_to_a_private_chat_and_the_group_rate(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    botapi.add_chat(-100500, "supergroup")
    botapi.enforce_limits(global_per_s=30, per_private_chat_per_s=1, per_group_per_min=120)
    await queue(
        sessions,
        NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["1", "2", "3"]),
        NewDelivery("g:-100500:0", DeliveryKind.BROADCAST, -100500, 0, ["1", "2", "3"]),
    )
    settings = make_settings(
        botapi,
        db_url,
        rate_global_per_second=30.0,
        rate_private_per_second=1.0,
        rate_group_per_minute=120.0,
    )
    await deliver(settings, sessions)

    private = [m.at for m in botapi.sent_to(7)]
    group = [m.at for m in botapi.sent_to(-100500)]
    assert len(private) == 3 and len(group) == 3
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(private))
    assert all(b - a >= 0.45 for a, b in itertools.pairwise(group))
    assert private[-1] - private[0] < 2.5  # at the ceiling, not far under it
    assert botapi.limit_violations == 0


async def test_the_global_ceiling_holds_across_many_chats(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(1, 41))
    for user in users:
        botapi.add_chat(user)
    await queue(
        sessions, *(NewDelivery(f"a:{u}:0", DeliveryKind.BROADCAST, u, 0, ["hi"]) for u in users)
    )
    settings = make_settings(botapi, db_url, rate_global_per_second=20.0)
    await deliver(settings, sessions)

    times = sorted(m.at for m in botapi.messages)
    assert len(times) == 40
    # never more than 20 (+1 for timing jitter at the window's edge) in any second
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 21
    assert 1.8 <= times[-1] - times[0] <= 2.6  # ~39/20 s: at the ceiling


async def test_the_running_engine_sends_what_is_queued_and_stops_cleanly(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(7)
    settings = make_settings(botapi, db_url, rate_private_per_second=1.0)
    async with make_bot(settings) as bot:
        engine = DeliveryEngine(bot, sessions, settings, instance="live", poll_interval=5.0)
        stop = asyncio.Event()
        task = asyncio.create_task(engine.run(stop))
        await queue(
            sessions, NewDelivery("a:7:0", DeliveryKind.BROADCAST, 7, 0, ["one", "two", "three"])
        )
        engine.notify()  # no waiting for the 5 s poll
        await botapi.wait_for_messages(7, 1)
        stop.set()  # mid-delivery: the second part waits a second for the chat's limit
        await asyncio.wait_for(task, 10)
    [row] = await rows(sessions)
    # what was not sent went back to the outbox, ready for the next start
    assert (row.state, row.claimed_by) == ("pending", "")
    assert row.parts_sent == len(texts(botapi, 7)) < 3


async def test_parts_carry_their_buttons_and_link_preview_and_old_rows_still_send(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    botapi.add_chat(11, "private")
    buttons = ((Button("1", "p:2505.00001"),),)
    await queue(
        sessions,
        NewDelivery(
            "k:11:0",
            DeliveryKind.PUSH,
            11,
            0,
            [
                "<b>a part stored as a plain string</b>",
                Part("<b>with buttons</b>", buttons, "https://arxiv.org/abs/2505.00001"),
            ],
        ),
    )
    async with sessions.begin() as session:
        [row] = await session.scalars(select(Delivery))
        body = await session.get(DeliveryBody, row.body_id)
        assert body is not None and row.parts == []
        assert body.parts[0] == "<b>a part stored as a plain string</b>"  # a bare string
        # a row queued before the shared bodies: its parts in the row itself
        botapi.add_chat(12, "private")
        session.add(
            Delivery(dedupe_key="old:12:0", kind="push", chat_id=12, parts=["<b>an old row</b>"])
        )
    stats, _ = await deliver(make_settings(botapi, db_url), sessions)
    assert stats.deliveries_sent == 2
    [old] = botapi.sent_to(12)
    assert old.text == "<b>an old row</b>"
    first, second = [c for c in botapi.calls("sendMessage") if c.params["chat_id"] == 11]
    assert first.params["link_preview_options"] == {"is_disabled": True}
    assert "reply_markup" not in first.params
    assert second.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "1", "callback_data": "p:2505.00001"}]]
    }
    assert second.params["link_preview_options"] == {
        "url": "https://arxiv.org/abs/2505.00001",
        "prefer_small_media": True,
    }
    [_, sent] = botapi.sent_to(11)
    assert sent.reply_markup == second.params["reply_markup"]
