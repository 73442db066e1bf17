"""How the engine talks to the Bot API: ``MessageSender`` (one JSON ``sendMessage``,
answers mapped as python-telegram-bot maps them) over ``AiohttpRequest`` (PTB's
networking on aiohttp), against the local Bot API server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from digestbot.delivery.aiohttp_request import AiohttpRequest
from digestbot.delivery.client import MessageSender, make_bot, message_params
from digestbot.delivery.telegram_errors import answer_error, outcome_unknown
from digestbot.present.push import Button, PushMessage
from tests.support.botapi import FakeBotAPI
from tests.support.ports import free_port
from tests.support.settings import settings_for

CHAT = 42


def settings(server: FakeBotAPI) -> Any:
    return settings_for(server, "sqlite+aiosqlite:///unused.db")


async def ptb_error(bot: Bot, text: str) -> TelegramError:
    with pytest.raises(TelegramError) as caught:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    return caught.value


async def sender_error(bot: Bot, text: str) -> TelegramError:
    with pytest.raises(TelegramError) as caught:
        await MessageSender(bot).send(message_params(CHAT, PushMessage(text)))
    return caught.value


# each: what the server is told to do, and the text sent
REFUSALS: dict[str, tuple[Callable[[FakeBotAPI], None], str]] = {
    "flood": (lambda s: s.fail_next("sendMessage", 2, status=429, retry_after=7), "hi"),
    "migrated": (
        lambda s: s.fail_next("sendMessage", 2, status=400, migrate_to_chat_id=-100123),
        "hi",
    ),
    "blocked": (lambda s: s.block_chat(CHAT), "hi"),
    "unknown chat": (lambda s: None, "hi"),  # CHAT is not registered
    "bad html": (lambda s: None, "<b>unclosed"),
    "server error": (lambda s: s.fail_next("sendMessage", 2, status=500), "hi"),
    "bad gateway": (lambda s: s.fail_next("sendMessage", 2, status=502), "hi"),
    "conflict": (
        lambda s: s.fail_next("sendMessage", 2, status=409, description="Conflict: x"),
        "hi",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_the_sender_raises_what_python_telegram_bot_raises(case: str) -> None:
    arrange, text = REFUSALS[case]
    with FakeBotAPI() as server:
        if case != "unknown chat":
            server.add_chat(CHAT)
        arrange(server)
        async with make_bot(settings(server)) as bot:
            theirs = await ptb_error(bot, text)
            ours = await sender_error(bot, text)
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)
    if isinstance(theirs, RetryAfter):
        assert isinstance(ours, RetryAfter)
        assert ours.retry_after == theirs.retry_after == dt.timedelta(seconds=7)
    if isinstance(theirs, ChatMigrated):
        assert isinstance(ours, ChatMigrated)
        assert ours.new_chat_id == theirs.new_chat_id == -100123


async def test_the_sender_posts_one_message_with_its_buttons_topic_and_paid_flag() -> None:
    part = PushMessage(
        "<b>오늘의 논문</b> &amp; more",
        ((Button("1", "p:1"), Button("2", "p:2")),),
        preview_url="https://arxiv.org/abs/2505.00001",
    )
    with FakeBotAPI() as server:
        server.add_chat(CHAT)
        async with make_bot(settings(server)) as bot:
            await MessageSender(bot).send(message_params(CHAT, part, paid=True))
        [call] = server.calls("sendMessage")
        [sent] = server.sent_to(CHAT)
    assert sent.plain_text == "오늘의 논문 & more"
    assert call.params["parse_mode"] == "HTML"
    assert call.params["allow_paid_broadcast"] is True
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "1", "callback_data": "p:1"}, {"text": "2", "callback_data": "p:2"}]
        ]
    }
    assert call.params["link_preview_options"] == {
        "url": "https://arxiv.org/abs/2505.00001",
        "prefer_small_media": True,
    }


def test_message_params_leave_out_what_a_part_does_not_have() -> None:
    params = message_params(7, PushMessage("plain"), thread_id=0)
    assert params == {
        "chat_id": 7,
        "text": "plain",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    assert message_params(7, PushMessage("t"), thread_id=12)["message_thread_id"] == 12


# --------------------------------------------------------------------------- answers


def test_answers_python_telegram_bot_cannot_parse() -> None:
    # PTB: a 2xx that is not a JSON answer is "Invalid server response"
    accepted = answer_error(200, b"<html>")
    assert type(accepted) is TelegramError and str(accepted) == "Invalid server response"
    assert answer_error(200, b'{"ok":true,"result":{"message_id":1}}') is None
    # an error that is not JSON: the HTTP phrase, and what could not be parsed
    gateway = answer_error(502, b"<html>bad gateway</html>")
    assert type(gateway) is NetworkError
    assert str(gateway).startswith("Bad Gateway (502). Parsing the server response")
    unknown = answer_error(599, b"{}")
    assert type(unknown) is NetworkError and str(unknown) == "Unknown HTTPError (599)"
    unauthorized = answer_error(401, b'{"ok":false,"description":"Unauthorized"}')
    assert type(unauthorized) is InvalidToken
    odd = answer_error(400, b'{"ok":false,"description":"Bad","parameters":{"x":1}}')
    assert type(odd) is BadRequest
    assert str(odd) == "Bad. The server response contained unknown parameters: {'x': 1}"


# --------------------------------------------------------------------------- the network


async def test_a_slow_answer_is_a_timeout_that_may_have_been_delivered() -> None:
    with FakeBotAPI() as server:
        server.add_chat(CHAT)
        async with make_bot(settings(server), timeout=0.3) as bot:
            server.set_delay(1.0, methods=["sendMessage"], process_first=True)
            with pytest.raises(TimedOut) as caught:
                await MessageSender(bot).send(message_params(CHAT, PushMessage("slow")))
    assert outcome_unknown(caught.value)


async def test_a_dropped_connection_may_have_been_delivered() -> None:
    with FakeBotAPI() as server:
        server.add_chat(CHAT)
        async with make_bot(settings(server)) as bot:
            server.fail_next("sendMessage", 1, status=0)
            with pytest.raises(NetworkError) as caught:
                await MessageSender(bot).send(message_params(CHAT, PushMessage("x")))
    assert not isinstance(caught.value, TimedOut)
    assert outcome_unknown(caught.value)


async def test_no_connection_means_nothing_was_sent() -> None:
    request = AiohttpRequest(pool_size=2, connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post_json(f"http://127.0.0.1:{free_port()}/botx/sendMessage", b"{}")
    finally:
        await request.shutdown()
    assert "aiohttp.ClientConnectorError" in str(caught.value)
    assert not outcome_unknown(caught.value)


async def test_the_request_must_be_initialized_and_can_be_again() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.post_json("http://127.0.0.1:1/", b"{}")
    with FakeBotAPI() as server:
        server.add_chat(CHAT)
        bot = make_bot(settings(server))
        for _ in range(2):  # started, stopped, started again
            async with bot:
                await MessageSender(bot).send(message_params(CHAT, PushMessage("again")))
        assert [m.text for m in server.sent_to(CHAT)] == ["again", "again"]


async def test_an_upload_goes_as_multipart() -> None:
    with FakeBotAPI() as server:
        server.add_chat(CHAT)
        async with make_bot(settings(server)) as bot:
            await bot.send_document(CHAT, b"@misc{x}", filename="saved.bib", caption="bib")
        [call] = server.calls("sendDocument")
    upload = call.params["document"]
    assert upload.file_name == "saved.bib" and upload.data == b"@misc{x}"
    assert call.params["caption"] == "bib"


def test_the_engine_needs_the_aiohttp_request() -> None:
    with pytest.raises(TypeError, match="AiohttpRequest"):
        MessageSender(Bot("1:x"))
