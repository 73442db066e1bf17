"""The morning push with follows, follows-only pushes and the weekly digest: the real
push tick at a fake "now", then the delivery engine through python-telegram-bot to the
local Bot API server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.schedule.jobs import push_tick
from digestbot.services import follows
from digestbot.services.ingest import store_text
from digestbot.store.models import Cadence, Subscription
from tests.conftest import DIGESTS
from tests.delivery.conftest import store_sample_digest
from tests.schedule.test_jobs import deliveries, make_settings, send_all, subscribe
from tests.support.botapi import FakeBotAPI
from tests.support.times import SEOUL, at

Sessions = async_sessionmaker[AsyncSession]

FOLLOWER = 3001
OTHER = 3002
ONLY = 3003
ONLY_NONE = 3004
WEEKLY = 3005
BOTH = 3006
LEGO = "Generating Physically Stable and Buildable LEGO Designs from Text"  # rank 11 of 20


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        for user in (FOLLOWER, OTHER, ONLY, ONLY_NONE, WEEKLY, BOTH):
            server.add_user(user, f"User {user}")
        yield server
        assert server.errors == []


async def store_day(sessions: Sessions) -> None:
    path = DIGESTS / "2025/05/09.md"  # 20 papers, a Friday
    assert (await store_text(sessions, path.read_bytes(), str(path))).status == "stored"


async def follow(sessions: Sessions, chat_id: int, words: str) -> None:
    async with sessions.begin() as session:
        await follows.follow(session, chat_id, 0, words)


async def set_sub(sessions: Sessions, chat_id: int, **values: object) -> None:
    async with sessions.begin() as session:
        changed = await session.scalars(
            update(Subscription)
            .where(Subscription.chat_id == chat_id)
            .values(**values)
            .returning(Subscription.id)
        )
        assert len(changed.all()) == 1


def text_of(server: FakeBotAPI, chat_id: int) -> str:
    return "\n".join(m.text for m in server.sent_to(chat_id))


async def test_a_follower_gets_the_followed_low_ranked_paper_and_a_non_follower_does_not(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url)
    await store_day(sessions)
    for chat_id in (FOLLOWER, OTHER, ONLY, ONLY_NONE):
        await subscribe(sessions, chat_id, top_n=2, sections=["What's New"])
    await follow(sessions, FOLLOWER, "lego")
    await follow(sessions, FOLLOWER, "Perception Survey")  # rank 1: already in its top 2
    await follow(sessions, OTHER, "quantum chromodynamics")  # matches nothing that day
    await follow(sessions, ONLY, "author:Zhifang Sui")  # ranks 8 and 20
    await follow(sessions, ONLY_NONE, "quantum")
    await set_sub(sessions, ONLY, follows_only=True)
    await set_sub(sessions, ONLY_NONE, follows_only=True)

    now = at(SEOUL, 2025, 5, 9, 8, 0, 30)
    assert await push_tick(sessions, settings, now) == 3
    # ticks later that morning queue nothing more, the match-less follows-only included
    assert await push_tick(sessions, settings, now + dt.timedelta(minutes=1)) == 0
    assert await send_all(settings, sessions) == 3
    assert await push_tick(sessions, settings, now + dt.timedelta(hours=2)) == 0
    assert await deliveries(sessions) == sorted(
        [
            (f"follow:2025-05-09:{ONLY}:0", "sent"),
            (f"push:2025-05-09:{FOLLOWER}:0", "sent"),
            (f"push:2025-05-09:{OTHER}:0", "sent"),
        ]
    )

    mine = text_of(botapi, FOLLOWER)
    assert mine.startswith("📰 <b>Daily Papers 2025-05-09</b> · 상위 2/20편")
    heading = mine.index("📌 <b>팔로우한 논문</b>")
    assert mine.index(LEGO) > heading and mine.count(LEGO) == 1
    assert mine.index("Perception, Reason, Think") < heading  # in the top 2, not twice
    assert mine.count("Perception, Reason, Think") == 1
    assert "<b>3. " in mine[heading:]  # numbered on from the top 2, as its button is
    theirs = text_of(botapi, OTHER)
    assert LEGO not in theirs and "팔로우한 논문" not in theirs

    only = text_of(botapi, ONLY)
    assert only.startswith("📌 <b>Daily Papers 2025-05-09</b> · 팔로우한 논문 2편")
    assert "ICon: In-Context Contribution" in only
    assert "Chain-of-Thought Tokens are Computer Program Variables" in only
    assert "Perception, Reason, Think" not in only  # no top N
    assert botapi.sent_to(ONLY_NONE) == []  # a day without a match: nothing


async def test_weekly_digest_on_monday_not_tuesday_and_both_is_daily_and_weekly(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url)
    await store_day(sessions)
    await subscribe(sessions, WEEKLY, top_n=3, sections=["What's New"])
    await subscribe(sessions, BOTH, top_n=2, sections=["What's New"], language="en")
    await subscribe(sessions, OTHER, top_n=2)  # daily
    await set_sub(sessions, WEEKLY, cadence=Cadence.WEEKLY)
    await set_sub(sessions, BOTH, cadence=Cadence.BOTH)

    friday = at(SEOUL, 2025, 5, 9, 8, 0, 30)
    assert await push_tick(sessions, settings, friday) == 2  # daily and both: no weekly
    assert await send_all(settings, sessions) == 2
    assert botapi.sent_to(WEEKLY) == []

    # Monday 2025-05-12 has its digest; a bot that was down at 08:00 comes back at 11:00
    await store_sample_digest(sessions, dt.date(2025, 5, 12), papers=3)
    monday = at(SEOUL, 2025, 5, 12, 11, 0)
    # daily: OTHER and BOTH; weekly: WEEKLY and BOTH
    assert await push_tick(sessions, settings, monday) == 4
    assert await push_tick(sessions, settings, monday + dt.timedelta(minutes=1)) == 0
    assert await send_all(settings, sessions) == 4
    tuesday = at(SEOUL, 2025, 5, 13, 8, 0, 30)
    assert await push_tick(sessions, settings, tuesday) == 0  # no weekly, no new digest
    # the next Monday: the week of 2025-05-12 (its one digest), for the two weekly chats
    assert await push_tick(sessions, settings, at(SEOUL, 2025, 5, 19, 8, 0, 30)) == 2
    keys = [k for k, state in await deliveries(sessions) if state == "sent"]
    assert [k for k in keys if k.startswith("weekly:")] == [
        f"weekly:2025-05-05:{WEEKLY}:0",
        f"weekly:2025-05-05:{BOTH}:0",
    ]
    assert {f"push:2025-05-12:{BOTH}:0", f"push:2025-05-12:{OTHER}:0"} <= set(keys)
    assert not any(k.startswith("push:") and k.endswith(f":{WEEKLY}:0") for k in keys)

    [weekly] = botapi.sent_to(WEEKLY)
    assert weekly.text.startswith(
        "🗓 <b>주간 Daily Papers</b> · 2025-05-05 ~ 2025-05-11 · 상위 3/20편"
    )
    assert "<b>1. " in weekly.text and "<b>3. " in weekly.text and "<b>4. " not in weekly.text
    assert "Flow-GRPO" in weekly.text
    both = [m.text for m in botapi.sent_to(BOTH)]
    assert (
        sum(t.startswith("🗓 <b>Weekly Daily Papers</b> · 2025-05-05 – 2025-05-11") for t in both)
        == 1
    )
    assert sum(t.startswith("📰 <b>Daily Papers 2025-05-09</b>") for t in both) >= 1
    assert sum(t.startswith("📰 <b>Daily Papers 2025-05-12</b>") for t in both) == 1
    assert not any("Weekly" in m.text or "주간" in m.text for m in botapi.sent_to(OTHER))


async def test_a_follows_only_weekly_digest_holds_the_weeks_followed_papers_or_nothing(
    botapi: FakeBotAPI, db_url: str, sessions: Sessions
) -> None:
    settings = make_settings(botapi, db_url)
    await store_day(sessions)
    for chat_id, top_n in ((ONLY, 5), (ONLY_NONE, 5), (WEEKLY, 1)):
        await subscribe(sessions, chat_id, top_n=top_n, sections=["What's New"])
        await set_sub(sessions, chat_id, cadence=Cadence.WEEKLY)
    await follow(sessions, ONLY, "author:Zhifang Sui")  # ranks 8 and 20 of 2025-05-09
    await follow(sessions, ONLY_NONE, "quantum")  # nothing that week
    await follow(sessions, WEEKLY, "lego")  # a follow, but this chat wants the top N
    await set_sub(sessions, ONLY, follows_only=True)
    await set_sub(sessions, ONLY_NONE, follows_only=True)

    monday = at(SEOUL, 2025, 5, 12, 8, 0, 30)
    assert await push_tick(sessions, settings, monday) == 2  # ONLY and WEEKLY
    assert await push_tick(sessions, settings, monday + dt.timedelta(minutes=1)) == 0
    assert await send_all(settings, sessions) == 2
    assert await deliveries(sessions) == sorted(
        [(f"weekly:2025-05-05:{ONLY}:0", "sent"), (f"weekly:2025-05-05:{WEEKLY}:0", "sent")]
    )
    only = text_of(botapi, ONLY)
    assert only.startswith(
        "🗓 <b>주간 Daily Papers</b> · 2025-05-05 ~ 2025-05-11 · 📌 팔로우한 논문 2편"
    )
    ids = ["ICon: In-Context Contribution", "Chain-of-Thought Tokens are Computer Program"]
    assert all(title in only for title in ids)
    assert only.index(ids[0]) < only.index(ids[1])  # best-voted first
    assert "Perception, Reason, Think" not in only  # no top N
    assert botapi.sent_to(ONLY_NONE) == []  # a week without a match: nothing
    top = text_of(botapi, WEEKLY)
    assert "상위 1/20편" in top and "Perception, Reason, Think" in top and LEGO not in top
