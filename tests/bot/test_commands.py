"""The real bot, driven through the fake Bot API: every command, button and bad input.

Runs on SQLite and PostgreSQL (``db_url``); the archive holds the nine sample digests."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.store import models as m
from digestbot.store.db import session_factory
from tests.bot.conftest import ADMIN, CHANNEL, GROUP, MEMBER, USER, Driver, buttons, channel_post
from tests.support.botapi import BOT_USERNAME, utf16_len


def one(replies: list) -> str:  # type: ignore[type-arg]
    assert len(replies) == 1, [r.text[:80] for r in replies]
    text: str = replies[0].text
    return text


async def subscription(engine: AsyncEngine, chat_id: int, thread_id: int = 0) -> m.Subscription:
    async with session_factory(engine)() as session:
        sub = await session.scalar(
            select(m.Subscription).where(
                m.Subscription.chat_id == chat_id, m.Subscription.thread_id == thread_id
            )
        )
    assert sub is not None
    return sub


# --------------------------------------------------------------------------- help, today


async def test_start_and_help_list_every_command_with_an_example(bot: Driver) -> None:
    text = one(await bot.send("/start"))
    assert text.startswith("<b>Hugging Face Daily Papers 한국어 요약 봇</b>")
    for example in (
        "/today",
        "/top 10 week",
        "/search diffusion",
        "/paper 2502.11089",
        "/subscribe 08:00 5 Asia/Seoul",
        "/unsubscribe",
        "/settings",
        "/saved",
        "/similar 2502.11089",
    ):
        assert f"<code>{example}</code>" in text
    assert f"<code>@{BOT_USERNAME} 검색어</code>" in text
    assert one(await bot.send("/help")) == text
    menus = {c.params.get("language_code"): c.params for c in bot.server.calls("setMyCommands")}
    assert set(menus) == {None, "en"}


async def test_today_shows_the_newest_digest_in_one_message_with_a_button_per_paper(
    bot: Driver,
) -> None:
    [today] = await bot.send("/today")
    text = today.text
    assert text.startswith("📰 <b>Daily Papers 2025-05-09</b> · 상위 5/20편\n\n")
    assert (
        '<b>1. <a href="https://arxiv.org/abs/2505.04921">Perception, Reason, Think, and Plan: '
        "A Survey on Large Multimodal Reasoning Models</a></b> · 👍 75\n<blockquote expandable>"
    ) in text
    assert "<b>What's New</b> " in text and "<b>Performance Highlights</b> " in text
    assert len(re.findall(r"<b>\d+\. <a href=", text)) == 5
    assert utf16_len(text) <= 4096
    assert [label for label, _ in buttons(today)] == ["1", "2", "3", "4", "5"]
    # a number opens that paper's whole card, with 🔖 and "similar" under it
    _, [card] = await bot.press(today, "p:2505.04921")
    assert card.text.startswith('<b><a href="https://arxiv.org/abs/2505.04921">Perception')
    assert '<a href="https://huggingface.co/papers/2505.04921">🤗 Hugging Face</a>' in card.text
    assert buttons(card) == [("🔖 저장", "b:2505.04921"), ("🔗 비슷한 논문", "r:2505.04921")]


# --------------------------------------------------------------------------- top


async def test_top_pages_with_buttons_and_opens_a_paper(bot: Driver) -> None:
    [message] = await bot.send("/top 3 2025-02-19")
    assert message.text.startswith("🏆 <b>추천 수 상위 논문</b> · 2025-02-19 · 1–3 / 68\n\n")
    assert "<b>1.</b> Native Sparse Attention: Hardware-Aligned and Natively Trainable" in (
        message.text
    )
    assert "👍 71 · 2025-02-19 · <code>2502.11089</code>" in message.text
    assert buttons(message) == [
        ("1", "p:2502.11089"),
        ("2", "p:2502.12900"),
        ("3", "p:2502.13063"),
        ("1/23", "x"),
        ("다음 ▶", "t:d:20250219:3:1"),
    ]
    _, edits = await bot.press(message, "t:d:20250219:3:1")
    assert [e.method for e in edits] == ["editMessageText"]
    page2 = bot.current(message)
    assert "4–6 / 68" in page2["text"]
    assert "4. Continuous Diffusion Model for Language Modeling" in page2["text"]
    assert ("◀ 이전", "t:d:20250219:3:0") in buttons(page2)
    assert ("다음 ▶", "t:d:20250219:3:2") in buttons(page2)
    assert ("2/23", "x") in buttons(page2)
    await bot.press(message, "t:d:20250219:3:0")
    assert "1–3 / 68" in bot.current(message)["text"]
    _, opened = await bot.press(message, "p:2502.12900")
    assert opened[0].method == "sendMessage"
    assert opened[0].text.startswith(
        '<b><a href="https://arxiv.org/abs/2502.12900">Soundwave: Less is More for Speech-Text'
    )
    for data in (d for _, d in buttons(page2)):
        assert len(data.encode()) <= 64


async def test_top_week_is_anchored_at_the_newest_digest(bot: Driver) -> None:
    [message] = await bot.send("/top week")
    assert message.text.startswith(
        "🏆 <b>추천 수 상위 논문</b> · 최근 1주 (2025-05-03 ~ 2025-05-09) · 1–10 / 20"
    )
    assert "<b>1.</b> Perception, Reason, Think, and Plan" in message.text
    [empty] = await bot.send("/top 2024-01-01")
    assert empty.text == "2024-01-01 기간에 저장된 논문이 없습니다."


BAD_INPUT = [
    ("/top 0", "0: 편수는 1에서 20 사이의 숫자여야 합니다. 예: <code>/top 10 week</code>"),
    (
        "/top 2025-02-30",
        "2025-02-30은(는) 날짜가 아닙니다. YYYY-MM-DD, week, month 중 하나를 쓰세요. "
        "예: <code>/top 2025-05-09</code>",
    ),
    (
        "/paper nonsense",
        "nonsense은(는) arXiv id나 오늘 다이제스트의 순위가 아닙니다. "
        "예: <code>/paper 2502.11089</code>",
    ),
    ("/paper", "어떤 논문인지 알려 주세요. 예: <code>/paper 2502.11089</code>"),
    ("/paper 99", "오늘 다이제스트에는 99위가 없습니다 (1–20위). 예: <code>/paper 1</code>"),
    ("/search", "검색어를 입력해 주세요. 예: <code>/search diffusion</code>"),
    (
        "/subscribe 25:00",
        "25:00은(는) 시각이 아닙니다. HH:MM 형식으로 쓰세요. "
        "예: <code>/subscribe 08:00 5 Asia/Seoul</code>",
    ),
    (
        "/subscribe 08:00 Mars/Base",
        "Mars/Base은(는) 시간대가 아닙니다. Asia/Seoul, Europe/Berlin, UTC 같은 이름을 쓰세요. "
        "예: <code>/subscribe 08:00 5 Asia/Seoul</code>",
    ),
    (
        "/frobnicate",
        "알 수 없는 명령어입니다. 명령어 목록은 /help 를 보세요. 예: <code>/top 10 week</code>",
    ),
]


async def test_bad_input_gets_one_line_with_an_example(bot: Driver) -> None:
    # one bot for every case keeps the suite fast; each case is checked on its own
    for command, expected in BAD_INPUT:
        assert one(await bot.send(command)) == expected, command


async def test_bad_input_in_english(bot: Driver) -> None:
    await bot.send("/settings")
    [settings] = bot.server.sent_to(USER)
    await bot.press(settings, "c:m:lang")
    await bot.press(settings, "c:l:en")
    assert one(await bot.send("/top 0")) == (
        "0: the number of papers must be between 1 and 20. Example: <code>/top 10 week</code>"
    )
    assert one(await bot.send("/nope")).startswith("Unknown command; /help lists them all.")


async def test_unknown_commands_in_groups_only_when_addressed_to_this_bot(bot: Driver) -> None:
    assert await bot.send("/frobnicate", chat_id=GROUP, user_id=MEMBER) == []
    assert await bot.send("/frobnicate@other_bot", chat_id=GROUP, user_id=MEMBER) == []
    reply = one(await bot.send(f"/frobnicate@{BOT_USERNAME}", chat_id=GROUP, user_id=MEMBER))
    assert reply.startswith("알 수 없는 명령어입니다.")
    top = await bot.send(f"/top@{BOT_USERNAME} 1", chat_id=GROUP, user_id=MEMBER)
    assert "1–1 / 20" in one(top)


# --------------------------------------------------------------------------- paper


async def test_paper_by_id_has_links_authors_votes_date_and_every_section(bot: Driver) -> None:
    replies = await bot.send("/paper 2502.11089")
    text = one(replies)
    assert text.startswith(
        '<b><a href="https://arxiv.org/abs/2502.11089">Native Sparse Attention: '
        "Hardware-Aligned and Natively Trainable Sparse Attention</a></b>\n"
        '<a href="https://huggingface.co/papers/2502.11089">🤗 Hugging Face</a> · '
        "arXiv <code>2502.11089</code> · 👍 71 추천 · 📅 다이제스트 2025-02-19\n"
        "<i>저자: Zhenda Xie, Lean Wang,"
    )
    assert "Huazuo Gao</i>" in text
    assert re.findall(r"<b>([^<]+)</b>\n", text) == [
        "What's New",
        "Technical Details",
        "Performance Highlights",
    ]


async def test_paper_titles_are_escaped(bot: Driver) -> None:
    text = one(await bot.send("/paper 2311.12052"))
    assert ">MagicDance: Realistic Human Dance Video Generation with Motions &amp; Facial " in text
    assert "<b>Summary</b>\n" in text  # the earliest era's unlabelled bullets
    text = one(await bot.send("/paper https://arxiv.org/abs/2502.12115"))
    assert "Can Frontier LLMs Earn $1 Million from Real-World" in text


async def test_paper_by_rank_in_the_newest_digest(bot: Driver) -> None:
    text = one(await bot.send("/paper 2"))
    assert '<a href="https://arxiv.org/abs/2505.04620">On Path to Multimodal Generalist' in text
    assert "📅 다이제스트 2025-05-09" in text
    assert one(await bot.send("/paper 9999.99999")).startswith(
        "논문 9999.99999을(를) 찾지 못했습니다."
    )


# --------------------------------------------------------------------------- search


async def test_search_finds_papers_in_korean_english_and_by_author(bot: Driver) -> None:
    for query, arxiv_id in [
        ("native sparse attention", "2502.11089"),
        ("휴머노이드", "2502.12152"),
        ("Zhenda Xie", "2502.11089"),
    ]:
        [message] = await bot.send(f"/search {query}")
        assert message.text.startswith(f"🔎 <b>검색</b> “{query}” · 1–"), query
        assert f"<code>{arxiv_id}</code>" in message.text, query
        assert ("1", f"p:{arxiv_id}") in buttons(message), query


async def test_search_pages_through_buttons(bot: Driver) -> None:
    [message] = await bot.send("/search model")
    total = int(re.search(r"1–10 / (\d+)", message.text).group(1))  # type: ignore[union-attr]
    assert total > 10
    next_data = dict(buttons(message))["다음 ▶"]
    assert re.fullmatch(r"s:[A-Za-z0-9_-]{12}:1", next_data)
    await bot.press(message, next_data)
    assert f"11–{min(20, total)} / {total}" in bot.current(message)["text"]


HOSTILE = [
    '"unbalanced quote',
    "*",
    "attention*",
    "NEAR(a b)",
    "a NEAR b",
    "((((",
    ")) OR ((",
    "'; DROP TABLE papers; --",
    "1' OR '1'='1",
    "title:foo AND -bar",
    "🚀🤖 모델",
    "<b>&amp;</b>",
    "x" * 4000,
]


async def test_hostile_search_input_never_errors(bot: Driver) -> None:
    # 10 KB is more than Telegram lets a user send; the bot must still answer, not fail
    for query in [*HOSTILE, "attention " * 1000]:
        text = one(await bot.send(f"/search {query}"))
        assert text.startswith("🔎 "), query[:40]
        assert "오류" not in text, query[:40]
        assert utf16_len(text) <= 4096
    assert bot.server.calls("sendMessage")[-1].status == 200


async def test_search_nothing_found(bot: Driver) -> None:
    text = one(await bot.send("/search qwxzzyv"))
    assert text == "🔎 “qwxzzyv”에 해당하는 논문을 찾지 못했습니다. 다른 단어로 검색해 보세요."


# --------------------------------------------------------------------------- subscriptions


async def test_subscribe_in_private_and_unsubscribe_keeps_the_settings(
    bot: Driver, engine: AsyncEngine
) -> None:
    text = one(await bot.send("/subscribe 7:30 3"))
    assert text == "✅ 구독했습니다: 매일 07:30 (Asia/Seoul)에 상위 3편을 보내 드립니다."
    sub = await subscription(engine, USER)
    assert (sub.active, sub.push_time, sub.top_n, sub.sections) == (True, "07:30", 3, [])
    assert one(await bot.send("/unsubscribe")).startswith("🔕 구독을 중지했습니다.")
    sub = await subscription(engine, USER)
    assert (sub.active, sub.push_time, sub.top_n) == (False, "07:30", 3)
    assert one(await bot.send("/unsubscribe")).startswith("구독하고 있지 않습니다.")
    assert "상위 3편" in one(await bot.send("/subscribe"))
    assert (await subscription(engine, USER)).active


async def test_subscribe_with_a_time_zone_stores_it_and_shows_it(
    bot: Driver, engine: AsyncEngine
) -> None:
    text = one(await bot.send("/subscribe 07:30 3 Europe/Berlin"))
    assert text == "✅ 구독했습니다: 매일 07:30 (Europe/Berlin)에 상위 3편을 보내 드립니다."
    sub = await subscription(engine, USER)
    assert (sub.active, sub.push_time, sub.top_n, sub.timezone) == (
        True,
        "07:30",
        3,
        "Europe/Berlin",
    )
    assert "알림 시간: 07:30 (Europe/Berlin)" in one(await bot.send("/settings"))
    # a later /subscribe with only a zone keeps the time and count; the case is fixed
    assert "매일 07:30 (America/New_York)에 상위 3편" in one(
        await bot.send("/subscribe america/new_york")
    )
    sub = await subscription(engine, USER)
    assert (sub.push_time, sub.top_n, sub.timezone) == ("07:30", 3, "America/New_York")
    # a bad zone changes nothing
    assert "시간대가 아닙니다" in one(await bot.send("/subscribe 06:00 Nowhere/Land"))
    sub = await subscription(engine, USER)
    assert (sub.push_time, sub.timezone) == ("07:30", "America/New_York")


async def test_group_subscription_needs_an_administrator(bot: Driver, engine: AsyncEngine) -> None:
    refused = one(await bot.send("/subscribe 09:00", chat_id=GROUP, user_id=MEMBER))
    assert refused == "이 그룹의 구독은 그룹 관리자만 바꿀 수 있습니다."
    async with session_factory(engine)() as session:
        assert await session.scalar(select(m.Subscription)) is None
    ok = one(await bot.send("/subscribe 09:00", chat_id=GROUP, user_id=ADMIN))
    assert ok.startswith("✅ 구독했습니다: 매일 09:00")
    member_stop = one(await bot.send("/unsubscribe", chat_id=GROUP, user_id=MEMBER))
    assert member_stop == refused
    assert (await subscription(engine, GROUP)).active
    asked = [c.params for c in bot.server.calls("getChatMember")]
    assert {"chat_id": GROUP, "user_id": MEMBER} in [
        {"chat_id": p["chat_id"], "user_id": p["user_id"]} for p in asked
    ]


async def test_anonymous_group_admin_counts_as_admin(bot: Driver, engine: AsyncEngine) -> None:
    group = {"id": GROUP, "type": "supergroup", "title": "Paper club"}
    update = {
        "message": {
            "message_id": 9001,
            "date": 1_700_000_000,
            "chat": group,
            "from": {
                "id": 1087968824,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": group,
            "text": "/subscribe 10:00 2",
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        }
    }
    assert one(await bot.send_update(update, GROUP)).startswith("✅ 구독했습니다: 매일 10:00")
    sub = await subscription(engine, GROUP)
    assert (sub.push_time, sub.top_n) == ("10:00", 2)


# --------------------------------------------------------------------------- settings


async def test_settings_keyboard_changes_persist(bot: Driver, engine: AsyncEngine) -> None:
    [message] = await bot.send("/settings")
    assert message.text == (
        "⚙️ <b>설정</b>\n구독: 꺼짐\n알림 시간: 08:00 (Asia/Seoul)\n"
        "편수: 5\n섹션: 모두\n언어: 한국어\n주기: 매일\n팔로우한 논문만: 꺼짐\n"
        "전체 섹션으로 받기: 꺼짐"
    )
    assert [d for _, d in buttons(message)] == [
        "c:m:time",
        "c:m:n",
        "c:m:sec",
        "c:m:lang",
        "c:m:full",
        "c:m:cad",
        "c:o:1",
    ]
    await bot.press(message, "c:m:time")
    assert ("09:00", "c:t:0900") in buttons(bot.current(message))
    answer, _ = await bot.press(message, "c:t:0900")
    assert answer.text == "저장했습니다"
    assert ("✓ 09:00", "c:t:0900") in buttons(bot.current(message))
    await bot.press(message, "c:m:main")
    await bot.press(message, "c:m:n")
    await bot.press(message, "c:n:10")
    await bot.press(message, "c:m:main")
    await bot.press(message, "c:m:sec")
    await bot.press(message, "c:s:0")
    await bot.press(message, "c:s:2")
    assert "섹션: What's New, Performance Highlights" in bot.current(message)["text"]
    sub = await subscription(engine, USER)
    assert (sub.active, sub.push_time, sub.top_n) == (False, "09:00", 10)
    assert sub.sections == ["What's New", "Performance Highlights"]
    await bot.press(message, "c:s:0")
    assert (await subscription(engine, USER)).sections == ["Performance Highlights"]
    # /subscribe starts the push with the settings chosen here
    assert one(await bot.send("/subscribe")) == (
        "✅ 구독했습니다: 매일 09:00 (Asia/Seoul)에 상위 10편을 보내 드립니다."
    )
    # and /today shows what the push will show
    [today] = await bot.send("/today")
    assert "<b>Performance Highlights</b>" in today.text and "<b>What's New</b>" not in today.text
    assert len(re.findall(r"<b>\d+\. <a href=", today.text)) == 10
    assert len(buttons(today)) == 10
    # every section in full: the push as it was, in as many messages as it needs
    await bot.press(message, "c:m:main")
    await bot.press(message, "c:m:full")
    answer, _ = await bot.press(message, "c:f:1")
    assert answer.text == "저장했습니다"
    assert ("✓ 켜짐", "c:f:1") in buttons(bot.current(message))
    assert (await subscription(engine, USER)).full_sections is True
    full = await bot.send("/today")
    assert len(full) > 1 and all(utf16_len(m.text) <= 4096 for m in full)
    assert "<b>Performance Highlights</b>\n" in full[0].text and "blockquote" not in full[0].text
    assert len(buttons(full[-1])) == 10 and all(not buttons(m) for m in full[:-1])


async def test_language_switch_to_english(bot: Driver, engine: AsyncEngine) -> None:
    [message] = await bot.send("/settings")
    await bot.press(message, "c:m:lang")
    answer, _ = await bot.press(message, "c:l:en")
    assert answer.text == "Saved"
    assert bot.current(message)["text"].startswith("⚙️ Settings\nSubscription: off")
    async with session_factory(engine)() as session:
        chat = await session.get(m.Chat, USER)
    assert chat is not None and chat.language == "en"
    assert one(await bot.send("/help")).startswith("<b>Hugging Face Daily Papers, summarised")
    text = one(await bot.send("/paper 2502.11089"))
    assert "👍 71 votes · 📅 Digest 2025-02-19" in text
    assert "<i>Authors: Zhenda Xie" in text


async def test_group_settings_refuse_members(bot: Driver, engine: AsyncEngine) -> None:
    [message] = await bot.send("/settings", chat_id=GROUP, user_id=MEMBER)
    await bot.press(message, "c:m:n", user_id=MEMBER)  # looking is allowed
    answer, _ = await bot.press(message, "c:n:3", user_id=MEMBER)
    assert answer.show_alert and answer.text == "이 그룹의 구독은 그룹 관리자만 바꿀 수 있습니다."
    async with session_factory(engine)() as session:
        assert await session.scalar(select(m.Subscription)) is None
    answer, _ = await bot.press(message, "c:n:3", user_id=ADMIN)
    assert answer.text == "저장했습니다"
    assert (await subscription(engine, GROUP)).top_n == 3


async def test_forum_topic_gets_its_own_subscription(bot: Driver, engine: AsyncEngine) -> None:
    bot.server.add_chat(-100777, "supergroup", "Forum", is_forum=True)
    bot.server.set_admins(-100777, [ADMIN])
    reply = await bot.send("/subscribe 06:00", chat_id=-100777, user_id=ADMIN, thread=42)
    assert reply[0].message_thread_id == 42
    sub = await subscription(engine, -100777, thread_id=42)
    assert sub.push_time == "06:00"


# --------------------------------------------------------------------------- inline mode


async def test_inline_query_pages_through_next_offset(bot: Driver) -> None:
    first = await bot.inline("model")
    assert len(first.results) == 20
    assert first.next_offset == "20"
    ids = [r["id"] for r in first.results]
    second = await bot.inline("model", offset=first.next_offset or "")
    assert second.results and not set(ids) & {r["id"] for r in second.results}
    card = first.results[0]["input_message_content"]
    assert card["parse_mode"] == "HTML"
    assert card["message_text"].startswith('<b><a href="https://arxiv.org/abs/')
    assert utf16_len(card["message_text"]) <= 4096


async def test_inline_query_without_words_offers_the_newest_digest(bot: Driver) -> None:
    answer = await bot.inline("")
    assert [r["id"] for r in answer.results][:2] == ["2505.04921", "2505.04620"]
    assert len(answer.results) == 20 and answer.next_offset in ("", None)
    nothing = await bot.inline("qwxzzyv")
    assert nothing.results == () or list(nothing.results) == []


# --------------------------------------------------------------------------- review fixes

EXPIRED = "이 검색 결과는 만료되었습니다. /search 로 다시 검색해 주세요."
OTHER_USER = 1002


async def test_an_old_search_button_never_recalls_another_users_query(bot: Driver) -> None:
    # USER searches in this process; OTHER_USER presses the "next" button of a search made
    # before a restart (or on another webhook instance), whose id was 1
    [mine] = await bot.send("/search model")
    [other] = await bot.send("/help", chat_id=OTHER_USER)
    for stale in ("s:1:1", "s:2:0"):
        bot._queued += 1
        query_id = bot.server.press_button(
            OTHER_USER, OTHER_USER, other.message_id, stale, strict=False
        )
        await bot.settle()
        answer = await bot.server.wait_for_answer(query_id)
        assert (answer.text, answer.show_alert) == (EXPIRED, True), stale
    assert bot.current(other)["text"] == bot.server.sent_to(OTHER_USER)[0].plain_text
    assert [s.method for s in bot.server.sent_to(OTHER_USER)] == ["sendMessage"]
    # the real button still works for its owner
    await bot.press(mine, dict(buttons(mine))["다음 ▶"])
    assert "11–20 / " in bot.current(mine)["text"]


async def test_a_channel_subscribes_and_reads_with_channel_posts(
    bot: Driver, engine: AsyncEngine
) -> None:
    bot.server.add_chat(CHANNEL, "channel", "Papers KO")
    bot.server.set_admins(CHANNEL, [ADMIN])
    done = one(await bot.send_update(channel_post("/subscribe 07:00 3", 9001), CHANNEL))
    assert done == "✅ 구독했습니다: 매일 07:00 (Asia/Seoul)에 상위 3편을 보내 드립니다."
    sub = await subscription(engine, CHANNEL)
    assert (sub.active, sub.push_time, sub.top_n) == (True, "07:00", 3)
    today = await bot.send_update(channel_post("/today", 9002), CHANNEL)
    assert today[0].text.startswith("📰 <b>Daily Papers 2025-05-09</b> · 상위 3/20편\n\n")
    paper = one(await bot.send_update(channel_post("/paper 2502.11089", 9003), CHANNEL))
    assert ">Native Sparse Attention: " in paper
    [found] = await bot.send_update(
        channel_post(f"/search@{BOT_USERNAME} 휴머노이드", 9004), CHANNEL
    )
    assert "<code>2502.12152</code>" in found.text

    [settings] = await bot.send_update(channel_post("/settings", 9005), CHANNEL)
    await bot.press(settings, "c:m:n", user_id=MEMBER)  # looking is allowed
    # any reader may press a button under a channel post; only the channel's admins change
    refused, _ = await bot.press(settings, "c:n:10", user_id=MEMBER)
    assert refused.show_alert and refused.text == "이 그룹의 구독은 그룹 관리자만 바꿀 수 있습니다."
    assert (await subscription(engine, CHANNEL)).top_n == 3
    saved, _ = await bot.press(settings, "c:n:10", user_id=ADMIN)
    assert saved.text == "저장했습니다"
    assert (await subscription(engine, CHANNEL)).top_n == 10

    stopped = one(await bot.send_update(channel_post("/unsubscribe", 9006), CHANNEL))
    assert stopped.startswith("🔕 구독을 중지했습니다.")
    assert not (await subscription(engine, CHANNEL)).active
    # admin commands need a person: a channel post is not answered
    assert await bot.send_update(channel_post("/stats", 9007), CHANNEL) == []


async def test_paper_by_arxiv_prefix_and_links(bot: Driver) -> None:
    for ref in (
        "arXiv:2502.11089",
        "https://arxiv.org/abs/2502.11089v2",
        "https://huggingface.co/papers/2502.11089",
    ):
        text = one(await bot.send(f"/paper {ref}"))
        assert text.startswith('<b><a href="https://arxiv.org/abs/2502.11089">Native Sparse'), ref


async def test_a_page_already_shown_is_ignored_and_other_edit_failures_are_not(
    bot: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    [message] = await bot.send("/top 3 2025-02-19")
    # a stale client asks for the page already shown: Telegram answers "not modified"
    bot._queued += 1
    query_id = bot.server.press_button(
        USER, USER, message.message_id, "t:d:20250219:3:0", strict=False
    )
    await bot.settle()
    await bot.server.wait_for_answer(query_id)
    assert bot.server.calls("editMessageText")[-1].status == 400
    assert bot.server.sent_to(USER) == [message]  # no error message
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

    bot.server.fail_next("editMessageText", 1, 400, "Bad Request: message to edit not found")
    _, sent = await bot.press(message, "t:d:20250219:3:1")
    assert [s.text for s in sent] == [
        "죄송합니다. 처리 중 오류가 났습니다. 잠시 후 다시 시도해 주세요."
    ]
    warned = [r.getMessage().lower() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("message to edit not found" in w for w in warned)
