from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot.delivery import outbox
from digestbot.delivery.enqueue import (
    enqueue_broadcast,
    enqueue_push,
    enqueue_repost,
    push_key,
    repost_key,
)
from digestbot.delivery.outbox import NewDelivery
from digestbot.schedule.leader import LeaderLock, lock_key, scheduler_leadership
from digestbot.store.models import Chat, Delivery, DeliveryKind, Subscription
from tests.delivery.conftest import DAY, add_subscribers, store_sample_digest

T0 = dt.datetime(2025, 5, 9, 0, 0, tzinfo=dt.UTC)

Sessions = async_sessionmaker[AsyncSession]


def item(key: str, chat_id: int, parts: int = 1) -> NewDelivery:
    return NewDelivery(
        key, DeliveryKind.PUSH, chat_id, 0, [f"{key} part {i}" for i in range(parts)], DAY
    )


async def deliveries(sessions: Sessions) -> list[Delivery]:
    async with sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def test_a_dedupe_key_is_queued_once(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        assert await outbox.add_deliveries(session, [item("a:1:0", 1), item("b:2:0", 2)]) == 2
    async with sessions.begin() as session:
        assert await outbox.add_deliveries(session, [item("a:1:0", 1), item("c:3:0", 3)]) == 1
    assert [d.dedupe_key for d in await deliveries(sessions)] == ["a:1:0", "b:2:0", "c:3:0"]


async def test_push_reaches_each_active_subscription_once_however_often_queued(
    sessions: Sessions,
) -> None:
    await store_sample_digest(sessions, papers=3)
    await add_subscribers(sessions, [11, 12, -100500])
    await add_subscribers(sessions, [-100500], thread_id=77, top_n=1)
    async with sessions.begin() as session:
        inactive = await session.get(Chat, 12)
        assert inactive is not None
        inactive.active = False
    for _ in range(3):
        async with sessions.begin() as session:
            await enqueue_push(session, DAY)
    rows = await deliveries(sessions)
    assert sorted(d.dedupe_key for d in rows) == sorted(
        [
            "push:2025-05-09:11:0",
            "push:2025-05-09:-100500:0",
            "push:2025-05-09:-100500:77",
        ]
    )
    by_key = {d.dedupe_key: d for d in rows}
    assert by_key["push:2025-05-09:-100500:77"].thread_id == 77
    async with sessions() as session:
        parts = await outbox.queued_parts(session, by_key)
    text = "\n".join(p.text for p in parts["push:2025-05-09:11:0"])
    topic = "\n".join(p.text for p in parts["push:2025-05-09:-100500:77"])
    # titles are HTML-escaped; top_n=5 shows all 3 papers, the topic's top_n=1 only one
    assert "Paper number 3 &lt;b&gt;bold&lt;/b&gt;" in text
    assert "Paper number 1" in topic
    assert "Paper number 2" not in topic
    # one render per distinct cut: the two full pushes share one stored body
    assert parts["push:2025-05-09:11:0"] == parts["push:2025-05-09:-100500:0"]
    assert len({d.body_id for d in rows}) == 2
    assert all(d.state == "pending" and d.parts_sent == 0 for d in rows)


async def test_push_of_a_day_without_papers_queues_nothing(sessions: Sessions) -> None:
    await add_subscribers(sessions, [11])
    async with sessions.begin() as session:
        assert await enqueue_push(session, DAY) == 0


async def test_reposts_carry_their_request_id_and_a_chat_without_subscription_works(
    sessions: Sessions,
) -> None:
    await store_sample_digest(sessions)
    await add_subscribers(sessions, [11, 12])
    async with sessions.begin() as session:
        assert await enqueue_repost(session, DAY, "r1") == 2
        assert await enqueue_repost(session, DAY, "r1") == 0
        assert await enqueue_repost(session, DAY, "r2", chat_id=-100777) == 1
    keys = {d.dedupe_key for d in await deliveries(sessions)}
    assert keys == {repost_key("r1", 11), repost_key("r1", 12), repost_key("r2", -100777)}


async def test_broadcast_is_escaped_and_split(sessions: Sessions) -> None:
    await add_subscribers(sessions, [11, 12])
    text = "<script> & " + ("긴 문단입니다. " * 300 + "\n\n") * 3
    async with sessions.begin() as session:
        assert await enqueue_broadcast(session, text, "b1") == 2
    rows = await deliveries(sessions)
    assert {d.dedupe_key for d in rows} == {"broadcast:b1:11:0", "broadcast:b1:12:0"}
    async with sessions() as session:
        found = await outbox.queued_parts(session, ["broadcast:b1:11:0"])
    parts = [p.text for p in found["broadcast:b1:11:0"]]
    assert len(parts) >= 2
    assert all(len(p) <= 4096 for p in parts)
    assert parts[0].startswith("&lt;script&gt; &amp; ")


async def test_claims_are_exclusive_and_one_chat_at_a_time(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await outbox.add_deliveries(
            session, [item("k:1:0", 1), item("k:2:0", 2), item("j:2:0", 2)], now=T0
        )
    async with sessions.begin() as session:
        first = await outbox.claim_due(session, instance="A", now=T0, limit=10, lease=60)
    # both rows of chat 2 may come in one batch (the engine sends them in order)
    assert sorted(c.dedupe_key for c in first) == ["j:2:0", "k:1:0", "k:2:0"]
    async with sessions.begin() as session:
        await outbox.add_deliveries(session, [item("m:2:0", 2), item("n:3:0", 3)], now=T0)
        second = await outbox.claim_due(session, instance="B", now=T0, limit=10, lease=60)
    # chat 2 is being sent to by A: B leaves its new delivery alone
    assert [c.dedupe_key for c in second] == ["n:3:0"]


async def test_an_expired_lease_is_claimed_again_and_the_old_claimant_is_fenced_off(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        await outbox.add_deliveries(session, [item("k:1:0", 1, parts=3)], now=T0)
        [mine] = await outbox.claim_due(session, instance="A", now=T0, limit=5, lease=30)
        assert await outbox.mark_part_sent(
            session, mine.id, "A", parts_sent=1, done=False, now=T0, lease=30
        )
    later = T0 + dt.timedelta(seconds=20)
    async with sessions.begin() as session:
        assert await outbox.claim_due(session, instance="B", now=later, limit=5, lease=30) == []
    after = T0 + dt.timedelta(seconds=31)
    async with sessions.begin() as session:
        [taken] = await outbox.claim_due(session, instance="B", now=after, limit=5, lease=30)
    assert taken.parts_sent == 1  # B resumes with the second part
    async with sessions.begin() as session:
        assert not await outbox.mark_part_sent(
            session, mine.id, "A", parts_sent=2, done=False, now=after, lease=30
        )
        assert await outbox.mark_part_sent(
            session, taken.id, "B", parts_sent=3, done=True, now=after, lease=30
        )
    [row] = await deliveries(sessions)
    assert (row.state, row.parts_sent, row.claimed_by) == ("sent", 3, "B")


async def test_release_and_reschedule_make_rows_pending_again(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await outbox.add_deliveries(session, [item("k:1:0", 1), item("k:2:0", 2)], now=T0)
        a, b = await outbox.claim_due(session, instance="A", now=T0, limit=5, lease=30)
        await outbox.reschedule(
            session, a.id, "A", due_at=T0 + dt.timedelta(seconds=9), attempts=1, error="boom"
        )
        assert await outbox.release_claims(session, "A") == 1
    async with sessions() as session:
        assert await outbox.next_due_at(session) == T0
        counts = await outbox.outbox_counts(session)
    assert counts == {"pending": 2, "sending": 0, "sent": 0, "failed": 0}
    async with sessions.begin() as session:
        again = await outbox.claim_due(session, instance="C", now=T0, limit=5, lease=30)
    assert [c.id for c in again] == [b.id]  # a is not due for 9 more seconds


async def test_deactivating_a_chat_keeps_its_subscriptions_and_fails_its_pending_rows(
    sessions: Sessions,
) -> None:
    await add_subscribers(sessions, [11])
    async with sessions.begin() as session:
        await outbox.add_deliveries(session, [item("k:11:0", 11), item("j:11:0", 11)], now=T0)
        await outbox.deactivate_chat(session, 11, "Forbidden: bot was blocked", now=T0)
    async with sessions() as session:
        chat = await session.get(Chat, 11)
        subs = list(await session.scalars(select(Subscription)))
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "Forbidden: bot was blocked"
    assert [(s.chat_id, s.active) for s in subs] == [(11, True)]
    rows = await deliveries(sessions)
    assert [r.state for r in rows] == ["failed", "failed"]


async def test_migration_moves_the_chat_its_subscriptions_and_its_deliveries(
    sessions: Sessions,
) -> None:
    await add_subscribers(sessions, [-500])
    await add_subscribers(sessions, [-500], thread_id=3)
    async with sessions.begin() as session:
        await outbox.add_deliveries(session, [item(push_key(DAY, -500), -500)], now=T0)
        superseded = await outbox.migrate_chat(session, -500, -100500, now=T0)
    assert superseded == set()
    async with sessions() as session:
        chats = list(await session.scalars(select(Chat)))
        subs = list(await session.scalars(select(Subscription).order_by(Subscription.id)))
    assert [(c.id, c.type) for c in chats] == [(-100500, "supergroup")]
    assert [(s.chat_id, s.thread_id) for s in subs] == [(-100500, 0), (-100500, 3)]
    [row] = await deliveries(sessions)
    assert (row.chat_id, row.dedupe_key) == (-100500, "push:2025-05-09:-100500:0")


async def test_migration_into_a_known_supergroup_merges_and_supersedes_duplicates(
    sessions: Sessions,
) -> None:
    await add_subscribers(sessions, [-500])
    await add_subscribers(sessions, [-500], thread_id=3)
    await add_subscribers(sessions, [-100500])
    async with sessions.begin() as session:
        await outbox.add_deliveries(
            session,
            [item(push_key(DAY, -500), -500), item(push_key(DAY, -100500), -100500)],
            now=T0,
        )
        superseded = await outbox.migrate_chat(session, -500, -100500, now=T0)
    rows = await deliveries(sessions)
    assert superseded == {rows[0].id}
    assert (rows[0].state, rows[0].chat_id) == ("failed", -100500)
    assert rows[1].state == "pending"
    async with sessions() as session:
        chats = [c.id for c in await session.scalars(select(Chat))]
        subs = [
            (s.chat_id, s.thread_id)
            for s in await session.scalars(select(Subscription).order_by(Subscription.id))
        ]
    assert chats == [-100500]
    assert sorted(subs) == [(-100500, 0), (-100500, 3)]


async def test_only_one_leader_at_a_time(engine: AsyncEngine) -> None:
    key = lock_key(f"test:{id(engine)}")
    async with scheduler_leadership(engine, key) as first:
        assert first.is_leader
        second = LeaderLock(engine, key)
        try:
            if engine.dialect.name == "postgresql":
                assert not await second.try_acquire()
            else:
                assert await second.try_acquire()  # SQLite: one process, always leads
        finally:
            await second.release()
    # the first let go: someone else can lead now
    third = LeaderLock(engine, key)
    try:
        assert await third.try_acquire()
    finally:
        await third.release()


async def test_a_claim_reads_its_batch_from_the_index_not_the_whole_outbox(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    # a big push (on PostgreSQL: statistics refreshed at once), then the claim's own
    # statements, explained by the database itself
    async with sessions.begin() as session:
        session.add_all(Chat(id=c, type="private", title="") for c in range(1, 2001))
        await session.flush()
        await outbox.add_deliveries(session, [item(f"p:{c}:0", c) for c in range(1, 2001)])
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT deliveries.id"):
            seen.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with sessions.begin() as session:
            claimed = await outbox.claim_due(
                session, instance="a", now=T0 + dt.timedelta(days=3650), limit=32, lease=60
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(claimed) == 32
    assert len(seen) == 2  # leases that ran out, then what is due
    statement, params = seen[-1]
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = "\n".join(
            str(row[-1]) for row in await conn.exec_driver_sql(explain + statement, params)
        )
    assert "ix_deliveries_claim" in plan, plan
    # walked in claim order: no sort of every pending row
    assert ("TEMP B-TREE FOR ORDER BY" not in plan) if sqlite else ("Sort" not in plan), plan
