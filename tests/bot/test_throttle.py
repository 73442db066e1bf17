"""Flood control, end to end: the real bot against the fake Bot API server, its per-user
throttle on a hand-driven clock (``UserThrottle`` with an injected clock, as the factory
builds it from settings)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.bot.app import BotApp, build_application, running
from digestbot.present.i18n import t
from digestbot.services.ingest import store_text
from digestbot.services.throttle import UserThrottle
from digestbot.store.db import session_factory
from tests.bot.conftest import ADMIN, MEMBER, USER, bot_settings, buttons
from tests.conftest import DIGESTS
from tests.support.botapi import FakeBotAPI

SLOW_KO = t("ko", "error.slow_down")
SLOW_EN = t("en", "error.slow_down")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def start(botapi: FakeBotAPI, db_url: str, clock: Clock, burst: int) -> BotApp:
    settings = bot_settings(
        botapi, db_url, throttle_burst=burst, throttle_refill_seconds=2.0, admins=[ADMIN]
    )
    app = build_application(settings)
    assert app.bot_data.throttle is not None and app.bot_data.throttle.burst == burst
    app.bot_data.throttle = UserThrottle(burst, 2.0, clock=clock)
    return app


@pytest.fixture
async def one_day(engine: AsyncEngine) -> AsyncEngine:
    """One sample digest stored (the suite's ``archive`` holds nine: slower to set up)."""
    path = DIGESTS / "2025/02/19.md"
    result = await store_text(session_factory(engine), path.read_bytes(), str(path))
    assert result.status == "stored"
    return engine


@pytest.fixture
async def flood_app(
    botapi: FakeBotAPI, db_url: str, one_day: AsyncEngine, clock: Clock
) -> AsyncIterator[BotApp]:
    app = await start(botapi, db_url, clock, burst=8)
    async with running(app, poll_interval=0.0, poll_timeout=1):
        yield app


async def all_handled(botapi: FakeBotAPI) -> None:
    """An admin (never throttled) asks for /help: updates are handled one at a time, in
    order, so once it is answered every update sent before it has been handled."""
    before = len(botapi.sent_to(ADMIN))
    botapi.send_text(ADMIN, ADMIN, "/help")
    await botapi.wait_for(lambda: len(botapi.sent_to(ADMIN)) > before, 10.0)


async def test_a_flood_of_commands_gets_the_burst_one_slow_down_then_silence(
    botapi: FakeBotAPI, flood_app: BotApp, clock: Clock
) -> None:
    for _ in range(14):
        botapi.send_text(USER, USER, "/top 3")
    await all_handled(botapi)
    texts = [m.text for m in botapi.sent_to(USER)]
    assert len(texts) == 9, texts
    assert all(text.startswith("🏆") for text in texts[:8])
    assert texts[8] == SLOW_KO

    # another user is not affected
    botapi.send_text(MEMBER, MEMBER, "/top 3")
    await all_handled(botapi)
    [other] = botapi.sent_to(MEMBER)
    assert other.text.startswith("🏆")

    # still flooding within the refill time: silence, no second slow-down
    clock.now += 1.5
    botapi.send_text(USER, USER, "/top 3")
    await all_handled(botapi)
    assert len(botapi.sent_to(USER)) == 9

    # one refill later: answered again
    clock.now += 0.5
    botapi.send_text(USER, USER, "/top 3")
    botapi.send_text(USER, USER, "/top 3")  # the bucket is empty again: silence
    await all_handled(botapi)
    after = botapi.sent_to(USER)[9:]
    assert len(after) == 1 and after[0].text.startswith("🏆")

    # admins are never throttled
    before = len(botapi.sent_to(ADMIN))  # the /help of all_handled
    for _ in range(20):
        botapi.send_text(ADMIN, ADMIN, "/top 3")
    await botapi.wait_for(lambda: len(botapi.sent_to(ADMIN)) >= before + 20, 10.0)
    texts = [m.text for m in botapi.sent_to(ADMIN)[before:]]
    assert len(texts) == 20 and all(text.startswith("🏆") for text in texts)


async def test_button_presses_and_inline_queries_are_throttled_too(
    botapi: FakeBotAPI, db_url: str, one_day: AsyncEngine, clock: Clock
) -> None:
    app = await start(botapi, db_url, clock, burst=3)
    async with running(app, poll_interval=0.0, poll_timeout=1):
        botapi.send_text(USER, USER, "/top 3 2025-02-19")  # token 1
        await botapi.wait_for(lambda: botapi.sent_to(USER), 10.0)
        [message] = botapi.sent_to(USER)
        data = next(d for _, d in buttons(message) if d)
        answers = []
        for _ in range(4):  # tokens 2 and 3, then the slow-down, then silence
            query = botapi.press_button(USER, USER, message.message_id, data)
            answers.append(await botapi.wait_for_answer(query))
        assert [a.text for a in answers[2:]] == [SLOW_KO, None]
        assert answers[0].text != SLOW_KO and answers[1].text != SLOW_KO

        # inline: another user (English app), burst of three, then the slow-down button
        # above no results, then no answer at all
        botapi.add_user(3003, "Eve", "eve", language_code="en")
        queries = [botapi.inline_query(3003, "") for _ in range(5)]
        await all_handled(botapi)
        inline = botapi.inline_answers
        assert all(inline[q].results for q in queries[:3])
        warned = inline[queries[3]]
        assert warned.results == () and warned.button is not None
        assert warned.button["text"] == SLOW_EN
        assert queries[4] not in inline
