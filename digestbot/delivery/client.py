"""The Bot the delivery engine sends with: the configured Bot API server, a connection
pool as large as the sends in flight, and a start-up that never shows the token."""

from __future__ import annotations

import httpx
from telegram import Bot
from telegram.request import HTTPXRequest

from digestbot.config import Settings
from digestbot.delivery.telegram_errors import initialize_safely

__all__ = ["EngineBot", "engine_request", "make_bot"]


class EngineBot(Bot):
    """A Bot whose start-up never shows the token: ``initialize`` (getMe, run by
    ``async with bot``) raises ``ConfigError`` naming DIGESTBOT_TOKEN when the server
    rejects the token, and DIGESTBOT_API_URL on another Telegram error, instead of
    python-telegram-bot's exception, whose message holds the token."""

    __slots__ = ("_api_url",)

    def __init__(self, token: str, api_url: str, request: HTTPXRequest) -> None:
        super().__init__(token, base_url=f"{api_url}/bot", request=request)
        self._api_url = api_url

    async def initialize(self) -> None:
        await initialize_safely(super().initialize, self.token, self._api_url)


def engine_request(settings: Settings, *, timeout: float = 10.0) -> HTTPXRequest:
    """One HTTP connection pool for the engine's sends: as many connections as sends in
    flight, all of them kept alive (httpx keeps only 20 idle connections by default, so
    at a higher concurrency every answer would close one and the next send would open a
    new TCP connection)."""
    size = settings.delivery_concurrency + 4
    return HTTPXRequest(
        connection_pool_size=size,
        read_timeout=timeout,
        write_timeout=timeout,
        connect_timeout=timeout,
        pool_timeout=timeout,
        httpx_kwargs={"limits": httpx.Limits(max_connections=size, max_keepalive_connections=size)},
    )


def make_bot(settings: Settings, *, timeout: float = 10.0) -> Bot:
    """A Bot for the engine: the configured API server, and a connection pool as large
    as the number of sends in flight (``engine_request``; PTB's default pool of one
    would time out). Starting it (``async with``) raises ``ConfigError`` for a rejected
    token."""
    return EngineBot(
        settings.require_token(), settings.api_url, engine_request(settings, timeout=timeout)
    )
