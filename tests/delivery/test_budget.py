"""The token's send budget: its arithmetic (pure), the shared schedule in PostgreSQL,
the in-memory lane, and the paid-broadcast cap (both backends)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.clock import utcnow
from digestbot.delivery import outbox
from digestbot.delivery.budget import (
    Lane,
    Reservation,
    batch_size,
    budget_key,
    is_stale,
    paid_grant,
    paid_rate,
    reserve,
    slot_interval,
    stars,
)
from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import DeliveryEngine
from digestbot.delivery.outbox import NewDelivery
from digestbot.delivery.paid import PaidCap, add_paid_sent, paid_sent_on
from digestbot.delivery.sendslots import LocalSlots, SharedSlots, pause_schedule, reserve_slots
from digestbot.present.plain import html_to_text
from digestbot.present.stats import render_stats
from digestbot.services import admin
from digestbot.store.models import Chat, DeliveryKind, PaidSends
from tests.conftest import FAST_LIMITS, POSTGRES_ONLY
from tests.support.botapi import TOKEN, FakeBotAPI
from tests.support.settings import settings_for

Sessions = async_sessionmaker[AsyncSession]
NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)

# --------------------------------------------------------------------------- arithmetic


def test_an_idle_schedule_starts_now_and_banks_no_burst() -> None:
    reservation, next_slot = reserve(
        next_slot=90.0, paused_until=0.0, now=100.0, count=3, interval=0.1
    )
    assert reservation.slots() == pytest.approx([100.0, 100.1, 100.2])
    assert next_slot == pytest.approx(100.3)


def test_a_busy_schedule_goes_on_from_its_next_free_slot() -> None:
    reservation, next_slot = reserve(
        next_slot=105.0, paused_until=0.0, now=100.0, count=2, interval=0.5
    )
    assert reservation.first == 105.0 and next_slot == 106.0


def test_a_pause_moves_the_next_slots_past_its_end() -> None:
    reservation, _ = reserve(next_slot=100.0, paused_until=130.0, now=100.0, count=1, interval=1.0)
    assert reservation.first == 130.0
    with pytest.raises(ValueError):
        reserve(100.0, 0.0, 100.0, 0, 1.0)


def test_two_instances_reserving_in_turn_get_disjoint_evenly_spaced_slots() -> None:
    interval = slot_interval(30.0, 0.03)
    a, next_slot = reserve(0.0, 0.0, 1000.0, 5, interval)
    b, next_slot = reserve(next_slot, 0.0, 1000.01, 4, interval)  # another instance
    slots = sorted(a.slots() + b.slots())
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert min(gaps) == pytest.approx(interval) and len(set(slots)) == 9
    # no second holds 31 slots, whoever reserved them: 30 intervals are longer than 1 s
    assert interval * 30 > 1.0


def test_slots_map_to_the_local_clock_through_one_shared_moment() -> None:
    reservation = Reservation(first=1_700_000_000.5, count=2, interval=0.25)
    assert reservation.local(1_700_000_000.0, 50.0) == pytest.approx([50.5, 50.75])


def test_batches_are_what_waits_at_most_a_lookahead_and_at_least_one() -> None:
    assert batch_size(waiting=3, rate=30.0, lookahead=0.2) == 3
    assert batch_size(waiting=50, rate=30.0, lookahead=0.2) == 6
    assert batch_size(waiting=50, rate=1.0, lookahead=0.2) == 1
    assert batch_size(waiting=0, rate=30.0, lookahead=0.2) == 1
    # a used-up batch doubles (a steady stream), up to the lookahead's worth
    assert batch_size(waiting=1, rate=970.0, lookahead=0.2, previous=8) == 16
    assert batch_size(waiting=1, rate=970.0, lookahead=0.2, previous=150) == 194
    assert batch_size(waiting=40, rate=970.0, lookahead=0.2, previous=8) == 40


def test_a_slot_late_by_more_than_the_grace_is_stale() -> None:
    assert not is_stale(9.99, now=10.0, grace=0.02)
    assert is_stale(9.97, now=10.0, grace=0.02)


def test_paid_arithmetic_cap_cost_and_lane_rate() -> None:
    assert paid_grant(reserved=0, cap=250, wanted=100) == 100
    assert paid_grant(reserved=200, cap=250, wanted=100) == 50
    assert paid_grant(reserved=250, cap=250, wanted=100) == 0
    assert paid_grant(reserved=300, cap=250, wanted=100) == 0  # the cap was lowered
    assert stars(15) == Decimal("1.5") and stars(0) == 0
    assert paid_rate(1000.0, 30.0) == 970.0 and paid_rate(30.0, 30.0) == 0.0


def test_the_budget_key_hides_the_token_and_tells_the_lanes_apart() -> None:
    free, paid = budget_key(TOKEN, Lane.FREE), budget_key(TOKEN, Lane.PAID)
    assert free != paid and len(free) <= 64
    assert TOKEN not in free and TOKEN.split(":")[1] not in free
    assert budget_key("1:" + "x" * 30, Lane.FREE) != free


async def test_the_local_lane_spaces_its_slots() -> None:
    now = [10.0]
    slots = LocalSlots(10.0, safety=0.0, clock=lambda: now[0])
    assert [await slots.acquire() for _ in range(3)] == pytest.approx([10.0, 10.1, 10.2])
    await slots.pause(5.0)
    assert await slots.acquire() == pytest.approx(15.0)


# --------------------------------------------------------------------------- the shared schedule


@POSTGRES_ONLY
async def test_reservations_in_the_database_follow_one_another(sessions: Sessions) -> None:
    key, interval = budget_key(TOKEN, Lane.FREE), 0.5  # 2 a second: nothing runs idle here
    async with sessions.begin() as session:
        first, now = await reserve_slots(session, key, 4, interval)
    async with sessions.begin() as session:  # another instance, a moment later
        second, _ = await reserve_slots(session, key, 3, interval)
    assert first.first == pytest.approx(now, abs=0.05)
    assert second.first == pytest.approx(first.first + 4 * interval)

    async with sessions.begin() as session:
        await pause_schedule(session, key, 10.0)
    async with sessions.begin() as session:
        paused, later = await reserve_slots(session, key, 1, interval)
    assert paused.first >= later + 9.0  # everybody waits for the pause's end


@POSTGRES_ONLY
async def test_instances_racing_for_slots_never_share_one(sessions: Sessions) -> None:
    key, interval = budget_key(TOKEN, Lane.PAID), 0.05
    # a dead instance: it reserved and will never send; its slots are only lost time
    async with sessions.begin() as session:
        dead, _ = await reserve_slots(session, key, 5, interval)

    async def instance() -> list[float]:
        slots: list[float] = []
        for _ in range(4):
            async with sessions.begin() as session:
                reservation, _ = await reserve_slots(session, key, 5, interval)
            slots += reservation.slots()
        return slots

    taken = await asyncio.gather(*(instance() for _ in range(3)))
    # on the schedule's (the database's) clock: 60 distinct slots, one interval apart
    slots = sorted(t for batch in taken for t in batch)
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert len(slots) == 60 and min(gaps) == pytest.approx(interval, abs=1e-6)
    assert slots[0] == pytest.approx(dead.first + 5 * interval, abs=1e-6)


@POSTGRES_ONLY
async def test_sends_waiting_together_share_one_reservation(sessions: Sessions) -> None:
    slots = SharedSlots(sessions, budget_key(TOKEN, Lane.FREE), 20.0, safety=0.0)
    taken = await asyncio.gather(*(slots.acquire() for _ in range(20)))
    assert len(set(taken)) == 20
    assert slots.reservations < 10  # batches (at most 0.2 s' worth), not a trip per slot


# --------------------------------------------------------------------------- paid cap


async def test_the_daily_cap_is_shared_and_unspent_messages_go_back(sessions: Sessions) -> None:
    one = PaidCap(sessions, 5, now=lambda: NOON, batch=3)
    two = PaidCap(sessions, 5, now=lambda: NOON, batch=3)
    assert await one.take()  # reserves 3 of the 5
    assert [await two.take() for _ in range(3)] == [True, True, False]  # gets the other 2
    await one.close()  # spent 1 of its 3: 2 go back
    other = PaidCap(sessions, 5, now=lambda: NOON, batch=3)
    assert [await other.take() for _ in range(3)] == [True, True, False]

    tomorrow = PaidCap(sessions, 5, now=lambda: NOON + dt.timedelta(days=1), batch=5)
    assert await tomorrow.take()  # a new UTC day, a new cap


async def test_paid_messages_are_counted_per_utc_day(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await add_paid_sent(session, NOON.date(), 7)
        await add_paid_sent(session, NOON.date(), 3)
    async with sessions() as session:
        assert await paid_sent_on(session, NOON.date()) == 10
        assert await paid_sent_on(session, NOON.date() - dt.timedelta(days=1)) == 0
        row = await session.get(PaidSends, NOON.date())
    assert row is not None and row.sent == 10


# --------------------------------------------------------------------------- end to end


async def test_pushes_go_paid_until_the_cap_then_free_and_stats_show_the_cost(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    users = list(range(301, 306))
    for user in users:
        botapi.add_chat(user)
    # the server holds paid sends to 1,000/s, free ones to the (raised) token limit
    botapi.enforce_limits(global_per_s=2000, per_private_chat_per_s=200, paid_per_s=1000)
    async with sessions.begin() as session:
        session.add_all(Chat(id=u, type="private", title=str(u)) for u in users)
        await session.flush()
        await outbox.add_deliveries(
            session,
            [NewDelivery(f"push:d:{u}:0", DeliveryKind.PUSH, u, 0, ["push"]) for u in users]
            + [NewDelivery("repost:r:301:0", DeliveryKind.REPOST, 301, 0, ["repost"])],
        )
    settings = settings_for(
        botapi,
        db_url,
        **FAST_LIMITS,
        rate_paid_per_second=3000.0,
        paid_broadcast=True,
        paid_broadcast_daily_cap=3,
        delivery_concurrency=4,
    )
    async with make_bot(settings) as bot:
        stats = await DeliveryEngine(bot, sessions, settings, instance="paid").run_until_idle()

    assert stats.deliveries_sent == 6 and stats.paid_sent == 3
    assert botapi.paid_messages == 3  # the cap; the other pushes and the repost went free
    paid = [c for c in botapi.calls("sendMessage") if c.params.get("allow_paid_broadcast")]
    assert len(paid) == 3 and all(c.params["text"] == "push" for c in paid)
    async with sessions() as session:
        found = await admin.collect_stats(session, settings, utcnow())
    assert found.paid == (3, Decimal("0.3"), 3)
    text = html_to_text(render_stats(found, "en", ZoneInfo("Asia/Seoul")))
    assert "Paid broadcasts today (UTC): 3 messages = 0.3 Stars (daily cap 3)" in text
