"""The fake Bot API server, exercised with the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from tests.support.botapi import BOT_ID, BOT_USERNAME, TOKEN, FakeBotAPI
from tests.support.ports import free_port

USER = 42
GROUP = -1001234567890


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        srv.add_user(USER, "Alice", "alice", language_code="ko")
        yield srv
    assert srv.errors == []


@pytest.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with server.bot() as client:
        yield client


# --------------------------------------------------------------------------- basics


async def test_get_me_and_message_recorded(server: FakeBotAPI, bot: Bot) -> None:
    assert bot.username == BOT_USERNAME
    assert bot.id == BOT_ID
    assert bot.bot.supports_inline_queries is True
    assert bot.bot.can_join_groups is True

    first = await bot.send_message(USER, "안녕하세요")
    second = await bot.send_message(USER, "<b>두 번째</b>", parse_mode="HTML")

    assert first.text == "안녕하세요"
    assert first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == BOT_ID
    assert second.message_id == first.message_id + 1
    assert second.text == "두 번째"
    assert second.entities[0].type == "bold"

    sent = server.sent_to(USER)
    assert [m.text for m in sent] == ["안녕하세요", "<b>두 번째</b>"]
    assert sent[1].parse_mode == "HTML"
    assert sent[1].plain_text == "두 번째"
    assert sent[1].method == "sendMessage"
    assert sent[1].message_id == second.message_id
    assert sent[0].reply_markup is None and sent[0].message_thread_id is None
    assert [c.method for c in server.calls()] == ["getMe", "sendMessage", "sendMessage"]
    assert server.calls("sendmessage")[0].params == {"chat_id": USER, "text": "안녕하세요"}


async def test_unknown_chat_token_and_method(server: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hi")
    assert server.messages == []

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("no_such_method")


async def test_wrong_token_is_unauthorized(server: FakeBotAPI) -> None:
    other = Bot("654321:WRONG-token-AAAAAAAAAAAAAAAAAAAA", base_url=server.base_url)
    with pytest.raises(InvalidToken):
        await other.initialize()
    await other.shutdown()
    assert server.calls("getMe")[-1].status == 401


async def test_raw_http_forms_json_and_case_insensitive_methods(server: FakeBotAPI) -> None:
    async with httpx.AsyncClient(base_url=f"{server.url}/bot{TOKEN}") as client:
        response = await client.post("/SENDmessage", json={"chat_id": USER, "text": "json"})
        assert response.status_code == 200
        assert response.json()["result"]["text"] == "json"

        response = await client.post(
            "/sendMessage",
            data={
                "chat_id": str(USER),
                "text": "form",
                "reply_markup": '{"inline_keyboard":[[{"text":"a","callback_data":"a"}]]}',
            },
        )
        assert response.json()["ok"] is True

        response = await client.get("/getme")
        assert response.json()["result"]["username"] == BOT_USERNAME

        response = await client.post("/doesNotExist")
        assert response.status_code == 404
        assert response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.url}/bot1:nope/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert [m.text for m in server.messages] == ["json", "form"]


# --------------------------------------------------------------------------- validation


async def test_text_length_limit(server: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(USER, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    # measured in UTF-16 code units: an emoji outside the BMP counts twice
    await bot.send_message(USER, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2048 + "x")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "   ")
    assert len(server.messages) == 2
    assert [c.status for c in server.calls("sendMessage")] == [200, 400, 200, 400, 400]


@pytest.mark.parametrize(
    "text",
    [
        "<b>x",
        "a < b",
        "&nbsp;",
        "R&D",
        "<foo>x</foo>",
        "<b>x</i>",
        "x</b>",
        '<a href="https://x">y',
        "<a>no href</a>",
        '<span class="other">x</span>',
        "<b/>",
    ],
)
async def test_broken_html_rejected(server: FakeBotAPI, bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, text, parse_mode="HTML")
    assert server.messages == []
    call = server.calls("sendMessage")[0]
    assert call.status == 400
    assert call.description is not None
    assert call.description.startswith("Bad Request: can't parse entities: ")


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a &lt; b &gt; c &amp; d &quot;e&quot;", 'a < b > c & d "e"'),
        ("&#60;&#x3C;&#x27;", "<<'"),
        ('<a href="https://x">y</a>', "y"),
        ("<b>bold <i>both <u>all</u></i></b>", "bold both all"),
        ('<pre><code class="language-python">print(1)</code></pre>', "print(1)"),
        ('<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler>', "s t"),
        ("<blockquote expandable>quote</blockquote>", "quote"),
        ("<STRONG>x</STRONG> <em>y</em> <s>z</s>", "x y z"),
        ("1 > 0", "1 > 0"),
    ],
)
async def test_valid_html_accepted(server: FakeBotAPI, bot: Bot, text: str, plain: str) -> None:
    message = await bot.send_message(USER, text, parse_mode="HTML")
    assert message.text == plain
    assert server.messages[0].plain_text == plain


async def test_html_entities_become_message_entities(bot: Bot) -> None:
    message = await bot.send_message(
        USER,
        '😀 <b>굵게</b> <a href="https://example.org/?a=1&amp;b=2">링크</a>'
        '<pre><code class="language-python">x</code></pre>',
        parse_mode="HTML",
    )
    bold, link, pre = message.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 3, 2)
    assert (link.type, link.url) == ("text_link", "https://example.org/?a=1&b=2")
    assert (pre.type, pre.language) == ("pre", "python")
    assert message.text_html.startswith("😀 <b>굵게</b>")


async def test_length_is_measured_after_entity_parsing(server: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(USER, "&amp;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "<b>" + "x" * 4097 + "</b>", parse_mode="HTML")
    assert [len(m.plain_text) for m in server.messages] == [4096, 4096]


async def test_what_the_bot_does_not_use_fails_loudly(server: FakeBotAPI, bot: Bot) -> None:
    # a method the bot does not call (python-telegram-bot calls any 404 InvalidToken)
    with pytest.raises(InvalidToken, match="Not Found: method not found"):
        await bot.send_photo(USER, b"{}", filename="digest.png")
    with pytest.raises(BadRequest, match="not supported by the test server"):
        await bot.send_message(USER, "*bold*", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="not supported by the test server"):
        await bot.send_message(USER, "quiet", disable_notification=True)
    with pytest.raises(BadRequest, match="not supported by the test server"):
        await bot.send_message(USER, "no keyboard", reply_markup=ReplyKeyboardRemove())
    assert server.messages == []
    assert [c.status for c in server.calls()[1:]] == [404, 400, 400, 400]
    assert server.calls("sendMessage")[1].description == (
        "Bad Request: sendMessage with disable_notification is not supported by the test "
        "server (tests/support/botapi)"
    )


async def test_callback_data_limit(server: FakeBotAPI, bot: Bot) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("버튼", callback_data=data)]])

    await bot.send_message(USER, "64 bytes", reply_markup=keyboard("d" * 64))
    await bot.send_message(USER, "63 bytes", reply_markup=keyboard("가" * 21))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "65 bytes", reply_markup=keyboard("d" * 65))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "66 bytes", reply_markup=keyboard("가" * 22))
    with pytest.raises(BadRequest, match="Text buttons are unallowed"):
        await bot.send_message(
            USER, "no action", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x")]])
        )
    assert [m.text for m in server.messages] == ["64 bytes", "63 bytes"]
    assert server.messages[0].reply_markup == {
        "inline_keyboard": [[{"text": "버튼", "callback_data": "d" * 64}]]
    }


async def test_edit_message(server: FakeBotAPI, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    message = await bot.send_message(USER, "<b>v1</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>v1</b>", USER, message.message_id, parse_mode="HTML", reply_markup=markup
        )
    # the same text without formatting is a different message
    edited = await bot.edit_message_text("v1", USER, message.message_id, reply_markup=markup)
    assert isinstance(edited, type(message)) and edited.edit_date is not None
    # an edit that does not repeat the keyboard drops it
    await bot.edit_message_text("v2", USER, message.message_id)
    current = server.get_message(USER, message.message_id)
    assert current is not None and current["text"] == "v2" and "reply_markup" not in current
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    users_message = server.send_text(USER, USER, "mine")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", USER, users_message)
    assert [m.method for m in server.sent_to(USER)] == [
        "sendMessage",
        "editMessageText",
        "editMessageText",
    ]


# --------------------------------------------------------------------------- faults


async def test_retry_after(server: FakeBotAPI, bot: Bot) -> None:
    server.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "a")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "b")  # only the next call failed

    server.fail_next("sendMessage", status=429)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "c")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)  # the default

    server.set_flood(1.0, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "d")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    server.set_flood(0)
    await bot.send_message(USER, "e")

    assert [m.text for m in server.messages] == ["b", "e"]
    assert [c.status for c in server.calls("sendMessage")] == [429, 200, 429, 429, 200]


async def test_forbidden(server: FakeBotAPI, bot: Bot) -> None:
    server.add_chat(GROUP, "supergroup", "Papers")
    server.block_chat(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    server.block_chat(USER, "deactivated")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(USER, "hi")
    server.block_chat(GROUP, "kicked")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "hi")
    server.unblock_chat(USER)
    await bot.send_message(USER, "back")
    assert [m.text for m in server.messages] == ["back"]


async def test_chat_migrated(server: FakeBotAPI, bot: Bot) -> None:
    server.add_chat(-4001, "group", "Old group")
    await bot.send_message(-4001, "before")
    server.migrate_chat(-4001, GROUP)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-4001, "after")
    assert caught.value.new_chat_id == GROUP
    message = await bot.send_message(GROUP, "after")
    assert message.chat.type == "supergroup"
    assert [(m.chat_id, m.text) for m in server.messages] == [(-4001, "before"), (GROUP, "after")]


async def test_server_errors_are_network_errors(server: FakeBotAPI, bot: Bot) -> None:
    server.fail_chat(USER, 500)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(USER, "x")
    assert not isinstance(caught.value, BadRequest | TimedOut)
    server.heal_chat(USER)

    server.fail_next("*", status=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "x")

    server.fail_next("sendMessage", status=0)  # the connection is dropped without an answer
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "x")

    await bot.send_message(USER, "fine")
    assert [m.text for m in server.messages] == ["fine"]
    assert [c.status for c in server.calls("sendMessage")] == [500, 502, 0, 200]


async def test_slow_answer_times_out(server: FakeBotAPI, bot: Bot) -> None:
    server.set_delay(1.0)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "lost request", read_timeout=0.15)
    assert time.monotonic() - started < 0.9
    # the client gave up first, so the request was never processed
    call = (await server.wait_for_call("sendMessage"))[0]
    assert call.status == 499
    assert server.messages == []

    server.set_delay(1.0, process_first=True)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "lost answer", read_timeout=0.15)
    # ... here it was delivered although the client saw a timeout
    assert [m.text for m in server.messages] == ["lost answer"]

    server.set_delay(0)
    await bot.send_message(USER, "fast again")


async def test_start_together_holds_answers_until_every_party_arrived(
    server: FakeBotAPI, bot: Bot
) -> None:
    server.start_together(2, "sendMessage")
    first = asyncio.create_task(bot.send_message(USER, "first"))
    await server.wait_for_call("sendMessage")  # it arrived and was processed ...
    await asyncio.sleep(0.2)
    assert not first.done()  # ... but its answer waits for the second party
    second = await bot.send_message(USER, "second")
    assert (await first).text == "first" and second.text == "second"
    assert (await bot.send_message(USER, "third")).text == "third"  # later calls pass


async def test_enforce_limits(server: FakeBotAPI, bot: Bot) -> None:
    server.add_chat(GROUP, "supergroup", "Papers")
    for uid in range(100, 106):
        server.add_user(uid, f"u{uid}")
    server.enforce_limits(global_per_s=5, per_private_chat_per_s=1, per_group_per_min=3)

    await bot.send_message(USER, "1")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "2")  # 2 messages to one private chat within a second
    assert caught.value.retry_after == dtm.timedelta(seconds=1)

    for n in range(3):
        await bot.send_message(GROUP, f"g{n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "g3")  # 4 messages to a group within a minute
    assert isinstance(caught.value.retry_after, dtm.timedelta)
    assert 50 <= caught.value.retry_after.total_seconds() <= 60

    with pytest.raises(RetryAfter):  # the 5 sends of this second are used up
        for uid in range(100, 106):
            await bot.send_message(uid, "hello")
    assert server.limit_violations == 3
    assert [kind for kind, _chat, _at in server.limit_violation_log] == [
        "private",
        "group",
        "global",
    ]
    server.enforce_limits(enabled=False)
    await bot.send_message(GROUP, "unlimited")


async def test_paid_broadcasts_are_held_to_the_paid_limit(server: FakeBotAPI, bot: Bot) -> None:
    for uid in range(100, 110):
        server.add_user(uid, f"u{uid}")
    server.enforce_limits(global_per_s=2, paid_per_s=6)

    for uid in (100, 101):
        await bot.send_message(uid, "free")
    with pytest.raises(RetryAfter):  # the 2 free sends of this second are used up
        await bot.send_message(102, "free")
    for uid in range(102, 106):  # paid: up to 6 sends a second of every kind
        await bot.send_message(uid, "paid", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(106, "paid", allow_paid_broadcast=True)
    assert server.paid_messages == 4
    assert [kind for kind, _chat, _at in server.limit_violation_log] == ["global", "paid"]


# --------------------------------------------------------------------------- chats


async def test_chats_and_administrators(server: FakeBotAPI, bot: Bot) -> None:
    server.add_chat(GROUP, "supergroup", "Papers", is_forum=True)
    server.add_user(5, "Owner")
    server.add_user(7, "Admin", "admin7")
    server.add_user(9, "Member")
    server.set_admins(GROUP, [7, BOT_ID], creator=5)

    members = [await bot.get_chat_member(GROUP, user) for user in (5, 7, BOT_ID, 9)]
    assert [type(m) for m in members] == [
        ChatMemberOwner,
        ChatMemberAdministrator,
        ChatMemberAdministrator,
        ChatMemberMember,
    ]
    assert [m.status for m in members] == ["creator", "administrator", "administrator", "member"]
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(GROUP, 12345)
    with pytest.raises(BadRequest, match="User not found"):  # a private chat has two members
        await bot.get_chat_member(USER, 9)

    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title, chat.is_forum) == ("supergroup", "Papers", True)
    server.add_chat(-100900, "channel", "Channel", username="papers_ko")
    assert (await bot.get_chat("@Papers_KO")).id == -100900

    topic_message = await bot.send_message(GROUP, "topic", message_thread_id=77)
    assert topic_message.message_thread_id == 77
    assert server.sent_to(GROUP)[0].message_thread_id == 77
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(USER, "no topics here", message_thread_id=77)


async def test_commands(server: FakeBotAPI, bot: Bot) -> None:
    assert await bot.set_my_commands([("today", "오늘의 논문"), ("search", "검색")])
    assert await bot.set_my_commands([("today", "today's papers")], language_code="en")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Bad-Name", "x")])
    with pytest.raises(BadRequest, match="Bot_command_description_invalid"):
        await bot.set_my_commands([("today", "x" * 257)])
    calls = server.calls("setMyCommands")
    assert [c.status for c in calls] == [200, 200, 400, 400]
    assert calls[0].params["commands"] == [
        {"command": "today", "description": "오늘의 논문"},
        {"command": "search", "description": "검색"},
    ]
    assert calls[1].params["language_code"] == "en"


# --------------------------------------------------------------------------- updates


async def test_long_poll_answers_promptly_and_confirms(server: FakeBotAPI, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        server.send_text(USER, USER, "hello")

    started = time.monotonic()
    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5)
    await task
    assert time.monotonic() - started < 1.5
    assert len(updates) == 1
    assert updates[0].message is not None and updates[0].message.text == "hello"

    server.send_text(USER, USER, "/start@digest_test_bot now")
    updates = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert len(updates) == 1 and server.pending_updates == 1
    message = updates[0].message
    assert message is not None
    assert message.parse_entities() == {message.entities[0]: "/start@digest_test_bot"}
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert server.pending_updates == 0


async def test_stop_releases_waiting_poll(bot: Bot) -> None:
    srv = FakeBotAPI().start()
    async with srv.bot() as other:
        poll = asyncio.create_task(other.get_updates(timeout=20))
        await srv.wait_for(lambda: srv.waiting_polls == 1)
        started = time.monotonic()
        await asyncio.to_thread(srv.stop)
        assert await poll == ()
        assert time.monotonic() - started < 2


async def test_application_end_to_end(server: FakeBotAPI) -> None:
    server.add_chat(GROUP, "supergroup", "Papers")

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("pong", do_quote=False)

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("좋아요", callback_data="like")]])
        await update.effective_message.reply_text(
            "<b>메뉴</b>", "HTML", reply_markup=keyboard, do_quote=False
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}")
        await query.edit_message_text("선택됨")

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        text = update.inline_query.query
        await update.inline_query.answer(
            [
                InlineQueryResultArticle(
                    f"r{n}", f"{text} {n}", InputTextMessageContent(f"<b>{text}</b> {n}", "HTML")
                )
                for n in range(3)
            ],
            cache_time=0,
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(
            update.effective_message.text.upper(), do_quote=False
        )

    app = server.application_builder().build()
    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            server.send_text(USER, USER, "/ping")
            server.send_text(GROUP, USER, f"/ping@{BOT_USERNAME}")
            server.send_text(USER, USER, "hello")
            assert [m.text for m in await server.wait_for_messages(GROUP, 1)] == ["pong"]
            replies = await server.wait_for_messages(USER, 2)
            assert sorted(m.text for m in replies) == ["HELLO", "pong"]

            server.send_text(USER, USER, "/menu")
            menu_message = (await server.wait_for_messages(USER, 3))[-1]
            assert menu_message.plain_text == "메뉴"
            query_id = server.press_button(USER, USER, menu_message.message_id, "like")
            answer = await server.wait_for_answer(query_id)
            assert answer.text == "got like"
            edit = (await server.wait_for_messages(USER, 1, method="editMessageText"))[0]
            assert edit.message_id == menu_message.message_id and edit.text == "선택됨"
            assert edit.reply_markup is None

            inline_id = server.inline_query(USER, "논문")
            inline_answer = await server.wait_for_inline_answer(inline_id)
            assert [r["id"] for r in inline_answer.results] == ["r0", "r1", "r2"]
            assert inline_answer.results[0]["input_message_content"]["parse_mode"] == "HTML"
        finally:
            await app.updater.stop()
            await app.stop()

    methods = [c.method for c in server.calls()]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert methods[-1] == "getUpdates"  # the shutdown call that confirms the last offset
    assert server.pending_updates == 0


async def test_inline_answer_validation(server: FakeBotAPI, bot: Bot) -> None:
    def article(result_id: str, text: str = "x") -> InlineQueryResultArticle:
        return InlineQueryResultArticle(result_id, "title", InputTextMessageContent(text, "HTML"))

    query_id = server.inline_query(USER, "q")
    with pytest.raises(BadRequest, match="Result_id_duplicate"):
        await bot.answer_inline_query(query_id, [article("a"), article("a")])
    with pytest.raises(BadRequest, match="Results_too_much"):
        await bot.answer_inline_query(query_id, [article(str(n)) for n in range(51)])
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.answer_inline_query(query_id, [article("a", "<b>broken")])
    with pytest.raises(BadRequest, match="Result_id_invalid"):
        await bot.answer_inline_query(query_id, [article("i" * 65)])
    with pytest.raises(BadRequest, match="Start_param_invalid"):
        bad_start = InlineQueryResultsButton("t", start_parameter="no spaces")
        await bot.answer_inline_query(query_id, [], button=bad_start)
    with pytest.raises(BadRequest, match="Button_text_invalid"):
        await bot.answer_inline_query(
            query_id, [], button=InlineQueryResultsButton(" ", start_parameter="help")
        )
    assert await bot.answer_inline_query(query_id, [article("i" * 64)], next_offset="o" * 64)
    assert server.inline_answers[query_id].next_offset == "o" * 64
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query_id, [])

    message = await bot.send_message(
        USER,
        "m",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="cb")]]),
    )
    callback_id = server.press_button(USER, USER, message.message_id, "cb")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(callback_id, "x" * 201)
    assert await bot.answer_callback_query(callback_id, "x" * 200)
    assert (await server.wait_for_answer(callback_id)).text == "x" * 200
    with pytest.raises(ValueError, match="no button"):
        server.press_button(USER, USER, message.message_id, "not-on-the-keyboard")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/?start=p-1",  # not Telegram
        "https://t.me/someone_else_bot?start=p-1",  # not this bot
        "https://t.me/digest_test_bot",  # no start payload
        "https://t.me/digest_test_bot?start=p.1",  # a dot is not a payload character
        "https://t.me/digest_test_bot?start=" + "a" * 65,
        "https://t.me/digest_test_bot?start=a&text=b",
    ],
)
async def test_a_callback_answer_opens_only_this_bots_start_links(
    server: FakeBotAPI, bot: Bot, url: str
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="cb")]])
    message = await bot.send_message(USER, "m", reply_markup=keyboard)
    callback_id = server.press_button(USER, USER, message.message_id, "cb")
    with pytest.raises(BadRequest, match="Url_invalid"):
        await bot.answer_callback_query(callback_id, url=url)
    link = f"https://t.me/{BOT_USERNAME}?start=p-2505_04921"
    assert await bot.answer_callback_query(callback_id, url=link)  # the query is still open
    assert (await server.wait_for_answer(callback_id)).url == link


async def test_webhook_delivery(server: FakeBotAPI) -> None:
    port = free_port()

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("pong via webhook", do_quote=False)

    app = server.application_builder().build()
    app.add_handler(CommandHandler("ping", ping))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        try:
            server.send_text(USER, USER, "/ping")
            sent = await server.wait_for_messages(USER, 1)
        finally:
            await app.updater.stop()
            await app.stop()
    assert sent[0].text == "pong via webhook"
    assert server.webhook_deliveries[0][1] == 200


# --------------------------------------------------------------------------- documents, markup


async def test_send_document_parses_the_multipart_upload(server: FakeBotAPI, bot: Bot) -> None:
    data = b"@misc{kim2025x,\n  title = {{Q\\&A}}\n}\n"
    sent = await bot.send_document(
        USER, document=data, filename="saved.bib", caption="<b>2</b> papers", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "saved.bib"
    assert sent.document.file_size == len(data)
    assert sent.caption == "2 papers"
    [record] = server.sent_to(USER, "sendDocument")
    assert record.document is not None
    assert (record.document.file_name, record.document.data) == ("saved.bib", data)
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(USER, document=b"x", filename="a.bib", caption="x" * 1025)
    with pytest.raises(BadRequest, match="not supported by the test server"):
        await bot.send_document(USER, document="some-file-id")


async def test_edit_message_reply_markup_changes_only_the_keyboard(
    server: FakeBotAPI, bot: Bot
) -> None:
    before = InlineKeyboardMarkup([[InlineKeyboardButton("🔖", callback_data="b:1")]])
    after = InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="b:1")]])
    message = await bot.send_message(USER, "card", reply_markup=before)
    await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=after)
    current = server.get_message(USER, message.message_id)
    assert current is not None and current["text"] == "card"
    assert current["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=after)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        bad = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
        await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=bad)
    await bot.edit_message_reply_markup(USER, message.message_id)
    current = server.get_message(USER, message.message_id)
    assert current is not None and "reply_markup" not in current
