"""The one-message push at its real time, its number buttons, 🔖 bookmarks, /saved (pages,
✕, BibTeX file) and /similar: the real bot through the fake Bot API, on SQLite and
PostgreSQL, with the nine sample digests stored."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.delivery.client import make_bot
from digestbot.delivery.engine import DeliveryEngine
from digestbot.schedule.jobs import push_tick
from digestbot.store import models as m
from digestbot.store.db import session_factory
from tests.bot.conftest import (
    ADMIN,
    CHANNEL,
    GROUP,
    MEMBER,
    USER,
    Driver,
    bot_settings,
    buttons,
    channel_post,
)
from tests.support.botapi import BOT_USERNAME, SentMessage, utf16_len
from tests.support.times import SEOUL, at

NEWEST = "2505.04921"  # rank 1 of 2025-05-09
OTHER = "2502.11089"  # Native Sparse Attention, 2025-02-19


async def saved_ids(engine: AsyncEngine, user_id: int) -> list[str]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(m.Paper.arxiv_id)
            .join(m.Bookmark, m.Bookmark.paper_id == m.Paper.id)
            .where(m.Bookmark.user_id == user_id)
            .order_by(m.Bookmark.created_at.desc(), m.Bookmark.id.desc())
        )
        return list(rows)


async def card(bot: Driver, arxiv_id: str, chat_id: int = USER) -> SentMessage:
    replies = await bot.send(f"/paper {arxiv_id}", chat_id=chat_id, user_id=chat_id)
    return replies[-1]


async def test_the_morning_push_is_one_message_whose_numbers_open_the_cards(
    bot: Driver, engine: AsyncEngine, db_url: str
) -> None:
    sessions = session_factory(engine)
    settings = bot_settings(bot.server, db_url)
    await bot.send("/subscribe 08:00 5 Asia/Seoul")
    before = len(bot.server.sent_to(USER))
    # the real push time of the newest sample day: 08:00 in Seoul
    assert await push_tick(sessions, settings, at(SEOUL, 2025, 5, 9, 8, 0, 30)) == 1
    async with make_bot(settings) as client:
        await DeliveryEngine(client, sessions, settings, instance="test").run_until_idle()
    [push] = (await bot.server.wait_for_messages(USER, before + 1))[before:]
    assert push.text.startswith("📰 <b>Daily Papers 2025-05-09</b> · 상위 5/20편")
    assert utf16_len(push.text) <= 4096
    assert push.text.count("<blockquote expandable>") == 5
    assert [label for label, _ in buttons(push)] == ["1", "2", "3", "4", "5"]
    assert buttons(push)[0] == ("1", f"p:{NEWEST}")
    [call] = bot.server.calls("sendMessage")[-1:]
    assert call.params["link_preview_options"] == {"is_disabled": True}
    _, [opened] = await bot.press(push, buttons(push)[2][1])
    assert opened.text.startswith('<b><a href="https://arxiv.org/abs/2505.05470">Flow-GRPO')
    assert re.findall(r"<b>([^<]+)</b>\n", opened.text) == [
        "What's New",
        "Technical Details",
        "Performance Highlights",
    ]
    assert buttons(opened) == [("🔖 저장", "b:2505.05470"), ("🔗 비슷한 논문", "r:2505.05470")]
    assert len(bot.server.sent_to(USER)) == before + 2  # the push went out once


async def test_the_bookmark_button_toggles_and_says_so(bot: Driver, engine: AsyncEngine) -> None:
    message = await card(bot, NEWEST)
    answer, edits = await bot.press(message, f"b:{NEWEST}")
    assert answer.text == "🔖 저장했습니다. /saved 에서 볼 수 있습니다."
    assert [e.method for e in edits] == ["editMessageReplyMarkup"]
    assert buttons(bot.current(message))[0] == ("✅ 저장됨", f"b:{NEWEST}")
    assert bot.current(message)["text"].startswith("Perception, Reason")  # text unchanged
    assert await saved_ids(engine, USER) == [NEWEST]
    # a card opened later knows it is saved
    assert buttons(await card(bot, NEWEST))[0] == ("✅ 저장됨", f"b:{NEWEST}")
    answer, _ = await bot.press(message, f"b:{NEWEST}")
    assert answer.text == "저장을 취소했습니다."
    assert buttons(bot.current(message))[0] == ("🔖 저장", f"b:{NEWEST}")
    assert await saved_ids(engine, USER) == []


async def test_bookmarks_are_per_user_and_anyone_may_press_in_a_group(
    bot: Driver, engine: AsyncEngine
) -> None:
    await bot.send(f"/paper {NEWEST}", user_id=MEMBER, chat_id=MEMBER)
    await bot.press(await card(bot, NEWEST, MEMBER), f"b:{NEWEST}")  # saved in private
    [*_, group_card] = await bot.send(f"/paper {NEWEST}", chat_id=GROUP, user_id=MEMBER)
    # the card is everyone's: its 🔖 offers to save, whatever the asker saved
    assert buttons(group_card)[0] == ("🔖 저장", f"b:{NEWEST}")
    saved = "🔖 저장했습니다. /saved 에서 볼 수 있습니다."
    already = "이미 저장한 논문입니다. /saved 에서 보거나 ✕ 로 지울 수 있습니다."
    answer, edits = await bot.press(group_card, f"b:{NEWEST}", user_id=ADMIN)
    assert (answer.text, edits) == (saved, [])  # the shared button is not relabelled
    # pressing again in a group never forgets a paper: that is /saved's ✕
    for user in (ADMIN, MEMBER):
        answer, edits = await bot.press(group_card, f"b:{NEWEST}", user_id=user)
        assert (answer.text, edits) == (already, [])
    assert bot.current(group_card)["reply_markup"] == group_card.reply_markup
    assert await saved_ids(engine, MEMBER) == [NEWEST]
    assert await saved_ids(engine, ADMIN) == [NEWEST]
    assert await saved_ids(engine, USER) == []
    answer, _ = await bot.press(group_card, "b:2601.99999", user_id=ADMIN, strict=False)
    assert answer.show_alert  # a paper the archive does not hold


async def test_buttons_under_a_channel_post_answer_in_the_readers_private_chat(
    bot: Driver, engine: AsyncEngine
) -> None:
    bot.server.add_chat(CHANNEL, "channel", "Papers KO")
    [top] = await bot.send_update(channel_post("/top 3", 9101), CHANNEL)
    [*_, channel_card] = await bot.send_update(channel_post(f"/paper {OTHER}", 9102), CHANNEL)
    # a reader's press posts nothing into the channel: it opens the bot's private chat
    answer, posted = await bot.press(top, f"p:{NEWEST}", user_id=MEMBER)
    assert posted == [] and answer.text is None
    assert answer.url == f"https://t.me/{BOT_USERNAME}?start=p-2505_04921"
    answer, posted = await bot.press(channel_card, f"r:{OTHER}", user_id=MEMBER)
    assert posted == []
    assert answer.url == f"https://t.me/{BOT_USERNAME}?start=r-2502_11089"
    answer, posted = await bot.press(channel_card, f"b:{OTHER}", user_id=MEMBER)
    assert (answer.text, posted) == ("🔖 저장했습니다. /saved 에서 볼 수 있습니다.", [])
    assert await saved_ids(engine, MEMBER) == [OTHER]

    # ... where Telegram sends /start with the link's payload
    *_, opened = await bot.send("/start p-2505_04921", chat_id=MEMBER, user_id=MEMBER)
    assert opened.text.startswith('<b><a href="https://arxiv.org/abs/2505.04921">')
    assert buttons(opened)[0] == ("🔖 저장", f"b:{NEWEST}")
    [similar] = await bot.send("/start r-2502_11089", chat_id=MEMBER, user_id=MEMBER)
    assert similar.text == (await bot.send(f"/similar {OTHER}", chat_id=MEMBER))[0].text
    [plain_help] = await bot.send("/start", chat_id=MEMBER)
    for junk in ("p-2505.04921", "x-2505_04921", "p-2505_04921 more", "<b>"):
        [reply] = await bot.send(f"/start {junk}", chat_id=MEMBER)
        assert reply.text == plain_help.text, junk
    assert "/paper" in plain_help.text
    [gone] = await bot.send("/start p-9999_99999", chat_id=MEMBER)  # a paper since removed
    assert gone.text.startswith("논문 9999.99999을(를) 찾지 못했습니다.")


async def test_saved_lists_newest_first_pages_and_removes(bot: Driver, engine: AsyncEngine) -> None:
    assert [r.text for r in await bot.send("/saved")] == [
        "저장한 논문이 없습니다. 논문 카드의 🔖 버튼으로 저장해 보세요."
    ]
    [top] = await bot.send("/top 12 2025-02-19")
    ids = [data.removeprefix("p:") for _, data in buttons(top) if data.startswith("p:")]
    assert len(ids) == 12
    for arxiv_id in ids:
        await bot.press(await card(bot, arxiv_id), f"b:{arxiv_id}")
    [listing] = await bot.send("/saved")
    assert listing.text.startswith("🔖 <b>저장한 논문</b> · 1–10 / 12\n\n")
    newest_first = list(reversed(ids))
    assert f"<code>{newest_first[0]}</code>" in listing.text.split("\n\n")[1]
    labels = [label for label, _ in buttons(listing)]
    assert labels[:10] == [str(n) for n in range(1, 11)]
    assert labels[10:20] == [f"✕ {n}" for n in range(1, 11)]
    assert labels[20:] == ["1/2", "다음 ▶"]
    await bot.press(listing, "v:1")
    assert bot.current(listing)["text"].startswith("🔖 저장한 논문 · 11–12 / 12")
    # ✕ forgets that paper and shows the page again
    answer, _ = await bot.press(listing, f"u:1:{newest_first[10]}")
    assert answer.text == "저장을 취소했습니다."
    assert bot.current(listing)["text"].startswith("🔖 저장한 논문 · 11–11 / 11")
    assert await saved_ids(engine, USER) == newest_first[:10] + newest_first[11:]
    # a stale ✕ (an old copy of the list) answers kindly and changes nothing
    answer, _ = await bot.press(listing, f"u:1:{newest_first[10]}", strict=False)
    assert answer.text == "이 논문은 더 이상 저장되어 있지 않습니다."
    assert len(await saved_ids(engine, USER)) == 11


async def test_saved_bibtex_sends_a_bib_file(bot: Driver) -> None:
    assert [r.text for r in await bot.send("/saved bibtex")] == [
        "저장한 논문이 없습니다. 논문 카드의 🔖 버튼으로 저장해 보세요."
    ]
    for arxiv_id in (OTHER, "2311.12052"):
        await bot.press(await card(bot, arxiv_id), f"b:{arxiv_id}")
    [sent] = await bot.send("/saved bibtex")
    assert sent.method == "sendDocument"
    assert sent.plain_text == "🔖 저장한 논문 2편 (BibTeX)"
    assert sent.document is not None and sent.document.file_name == "saved.bib"
    bib = sent.document.data.decode()
    assert bib.count("@misc{") == 2
    assert bib.index("2311.12052") < bib.index(OTHER)  # newest bookmark first
    assert "title = {{MagicDance: Realistic Human Dance Video Generation with Motions \\&" in bib
    assert "author = {Zhenda Xie and Lean Wang and" in bib
    assert "eprint = {2502.11089}" in bib and "year = {2025}" in bib
    assert "url = {https://arxiv.org/abs/2502.11089}" in bib
    [bad] = await bot.send("/saved everything")
    assert bad.text == (
        "everything: /saved 뒤에는 bibtex 만 쓸 수 있습니다. 예: <code>/saved bibtex</code>"
    )


async def test_similar_lists_papers_sharing_distinctive_terms(bot: Driver) -> None:
    [answer] = await bot.send(f"/similar {OTHER}")
    assert answer.text.startswith("🔗 <b>비슷한 논문</b> · Native Sparse Attention")
    listed = re.findall(r"<code>([^<]+)</code>", answer.text)
    assert 1 <= len(listed) <= 8 and OTHER not in listed
    assert [label for label, _ in buttons(answer)] == [str(n) for n in range(1, len(listed) + 1)]
    # the card's button answers the same
    message = await card(bot, OTHER)
    _, [again] = await bot.press(message, f"r:{OTHER}")
    assert again.text == answer.text
    [unknown] = await bot.send("/similar 2501.99999")
    assert unknown.text == (
        "논문 2501.99999을(를) 찾지 못했습니다. 예: <code>/similar 2502.11089</code>"
    )
    [bad] = await bot.send("/similar nonsense")
    assert "예: <code>/similar 2502.11089</code>" in bad.text
    [empty] = await bot.send("/similar")
    assert empty.text == "어떤 논문인지 알려 주세요. 예: <code>/similar 2502.11089</code>"


async def test_forged_button_data_is_answered_silently(bot: Driver) -> None:
    message = await card(bot, NEWEST)
    before = len(bot.server.sent_to(USER))
    for data in ("b:../../etc", "b:", "r:x y", "v:-1", "u:0:", "u:x:2505.04921", "p:<b>"):
        answer, _ = await bot.press(message, data, strict=False)
        assert answer.text is None
    assert len(bot.server.sent_to(USER)) == before
    assert bot.server.calls("editMessageReplyMarkup") == []
