"""How the delivery engine talks to the Bot API: the Bot it sends with (the configured
server, a connection pool as large as the sends in flight, a start-up that never shows
the token), and ``MessageSender``, its one request.

``MessageSender`` posts ``sendMessage`` as one JSON body through the bot's own
``AiohttpRequest`` (the same connection pool) and turns Telegram's refusals into the
exceptions python-telegram-bot raises (``telegram_errors.answer_error``), so the engine's
``classify`` is unchanged. It skips what ``Bot.send_message`` adds on top, which the
engine has no use for: building PTB's request parameters, inserting ``Defaults`` (the
engine names every parameter it means) and parsing the answer into a ``Message``;
together about 40 % of the engine's CPU per message at 1,000 messages/s. The bot has no
rate limiter or callback-data cache that this would bypass.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode

from digestbot.config import Settings
from digestbot.delivery.aiohttp_request import AiohttpRequest
from digestbot.delivery.telegram_errors import answer_error, initialize_safely
from digestbot.present.push import PushMessage

__all__ = ["EngineBot", "MessageSender", "engine_request", "make_bot", "message_params"]


class EngineBot(Bot):
    """A Bot whose start-up never shows the token: ``initialize`` (getMe, run by
    ``async with bot``) raises ``ConfigError`` naming DIGESTBOT_TOKEN when the server
    rejects the token, and DIGESTBOT_API_URL on another Telegram error, instead of
    python-telegram-bot's exception, whose message holds the token."""

    __slots__ = ("_api_url",)

    def __init__(self, token: str, api_url: str, request: AiohttpRequest) -> None:
        super().__init__(token, base_url=f"{api_url}/bot", request=request)
        self._api_url = api_url

    async def initialize(self) -> None:
        await initialize_safely(super().initialize, self.token, self._api_url)


def engine_request(settings: Settings, *, timeout: float = 10.0) -> AiohttpRequest:
    """One HTTP connection pool for the engine's sends (aiohttp: see
    ``delivery.aiohttp_request`` for why not httpx): as many connections as sends in
    flight, plus a few for the bot's own calls, all of them kept alive."""
    return AiohttpRequest(
        pool_size=settings.delivery_concurrency + 4,
        read_timeout=timeout,
        connect_timeout=timeout,
        pool_timeout=timeout,
    )


def make_bot(settings: Settings, *, timeout: float = 10.0) -> Bot:
    """A Bot for the engine: the configured API server, and a connection pool as large
    as the number of sends in flight (``engine_request``; PTB's default pool of one
    would time out). Starting it (``async with``) raises ``ConfigError`` for a rejected
    token."""
    return EngineBot(
        settings.require_token(), settings.api_url, engine_request(settings, timeout=timeout)
    )


def message_params(
    chat_id: int, part: PushMessage, *, thread_id: int | None = None, paid: bool = False
) -> dict[str, Any]:
    """The ``sendMessage`` parameters for one part: Telegram HTML, the part's buttons as
    an inline keyboard, previews off unless the part names the page (then small, below),
    the topic, and ``allow_paid_broadcast`` for a paid send."""
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": part.text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": (
            {"is_disabled": True}
            if part.preview_url is None
            else {"url": part.preview_url, "prefer_small_media": True}
        ),
    }
    if thread_id:
        params["message_thread_id"] = thread_id
    if part.buttons:
        params["reply_markup"] = {
            "inline_keyboard": [
                [{"text": b.label, "callback_data": b.data} for b in row] for row in part.buttons
            ]
        }
    if paid:
        params["allow_paid_broadcast"] = True
    return params


class MessageSender:
    """``sendMessage`` for the delivery engine, over ``bot``'s ``AiohttpRequest`` (a bot
    from ``make_bot``, or the application's, built with ``engine_request``)."""

    __slots__ = ("_request", "_url")

    def __init__(self, bot: Bot) -> None:
        request = bot.request
        if not isinstance(request, AiohttpRequest):
            raise TypeError(
                "the delivery engine sends through an AiohttpRequest "
                "(delivery.client.make_bot or engine_request)"
            )
        self._request = request
        self._url = f"{bot.base_url}/sendMessage"

    async def send(self, params: dict[str, Any]) -> None:
        """Send one message (``message_params``); raises PTB's ``TelegramError``
        subclasses for Telegram's refusals and for network failures."""
        body = json.dumps(params, ensure_ascii=False).encode()
        status, payload = await self._request.post_json(self._url, body)
        error = answer_error(status, payload)
        if error is not None:
            raise error
