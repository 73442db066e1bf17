"""The one factory that builds the bot, and the loop that runs it.

``build_application(settings)`` wires everything: the token and the Bot API URL from
settings, every handler and the error handler, and the resources (database, HTTP client)
opened in ``post_init`` and closed in ``post_shutdown``. ``running(app)`` starts and stops
it (tests use it too); ``run_bot(settings)`` is what ``digestbot run`` calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    filters,
)

from digestbot import scheduler
from digestbot.bot import admin, handlers
from digestbot.bot.i18n import COMMANDS, t
from digestbot.config import Settings
from digestbot.delivery.errors import startup_error
from digestbot.errors import ConfigError
from digestbot.logs import hide_token
from digestbot.resources import open_resources

log = logging.getLogger(__name__)

BotApp = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

SETTINGS = "settings"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
EXIT_STACK = "exit_stack"


def build_application(settings: Settings) -> BotApp:
    """The bot, wired from ``settings`` (``ConfigError`` when the token is missing)."""
    token = settings.require_token()
    hide_token(token)
    if settings.webhook_url:
        webhook_secret(settings)  # a missing secret stops start-up before any request
    app: BotApp = (
        Application.builder()
        .token(token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data[SETTINGS] = settings
    _register(app)
    return app


def _register(app: BotApp) -> None:
    only_messages = filters.UpdateType.MESSAGE
    # a channel subscribes too: its commands arrive as channel posts, written by the
    # channel itself (only its administrators can post). Admin commands need a user.
    messages_and_posts = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    commands = {
        "start": handlers.help_command,
        "help": handlers.help_command,
        "today": handlers.today_command,
        "top": handlers.top_command,
        "search": handlers.search_command,
        "paper": handlers.paper_command,
        "subscribe": handlers.subscribe_command,
        "unsubscribe": handlers.unsubscribe_command,
        "settings": handlers.settings_command,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=messages_and_posts))
    admin.register(app)
    app.add_handler(MessageHandler(filters.COMMAND & only_messages, handlers.unknown_command))
    app.add_handler(CallbackQueryHandler(handlers.on_noop, pattern="^x$"))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(InlineQueryHandler(handlers.on_inline_query))
    app.add_error_handler(handlers.on_error)


async def _post_init(app: BotApp) -> None:
    settings: Settings = app.bot_data[SETTINGS]
    stack = AsyncExitStack()
    app.bot_data[EXIT_STACK] = stack
    res = await stack.enter_async_context(open_resources(settings))
    app.bot_data[handlers.RESOURCES] = res
    await set_commands(app)
    await scheduler.start_runtime(app, res)
    log.info("bot @%s ready", app.bot.username)


async def _post_stop(app: BotApp) -> None:
    # before shutdown: the engine still needs the bot's HTTP client to finish its sends
    await scheduler.stop_runtime(app)


async def _post_shutdown(app: BotApp) -> None:
    stack: AsyncExitStack | None = app.bot_data.pop(EXIT_STACK, None)
    app.bot_data.pop(handlers.RESOURCES, None)
    if stack is not None:
        await stack.aclose()


async def set_commands(app: BotApp) -> None:
    """The command menu: Korean by default, English for users whose app is in English."""
    names = ["start", *(name for name, _ in COMMANDS)]
    for code in ("ko", "en"):
        menu = [BotCommand(name, t(code, f"cmd.{name}")) for name in names]
        await app.bot.set_my_commands(menu, language_code=None if code == "ko" else code)


@asynccontextmanager
async def running(
    app: BotApp, *, poll_interval: float = 0.0, poll_timeout: int = 10
) -> AsyncIterator[BotApp]:
    """Initialize, run the lifecycle hooks, receive updates; stop it all on exit.

    A token the server rejects becomes a ``ConfigError`` naming DIGESTBOT_TOKEN: the
    library's own error would print the token."""
    error: ConfigError | None = None
    try:
        await app.initialize()
    except BaseException as exc:
        await app.bot.shutdown()  # the HTTP clients were opened before getMe failed
        settings: Settings = app.bot_data[SETTINGS]
        if isinstance(exc, Exception):
            error = startup_error(exc, app.bot.token, settings.api_url)
        if error is None:
            raise
    if error is not None:
        # raised outside the except block, so the library's error (it holds the token)
        # is not even this one's __context__
        raise error from None
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await _start_updates(app, poll_interval=poll_interval, poll_timeout=poll_timeout)
        await app.start()
        yield app
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _start_updates(app: BotApp, *, poll_interval: float, poll_timeout: int) -> None:
    settings: Settings = app.bot_data[SETTINGS]
    assert app.updater is not None
    if settings.webhook_url:
        # Telegram POSTs to webhook_url; we listen on webhook_listen:webhook_port under the
        # URL's path (a reverse proxy may sit between), and PTB answers 403 to a request
        # without the right X-Telegram-Bot-Api-Secret-Token.
        await app.updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            drop_pending_updates=False,
        )
        return
    await app.updater.start_polling(
        poll_interval=poll_interval, timeout=poll_timeout, drop_pending_updates=False
    )


def webhook_secret(settings: Settings) -> str:
    """The webhook's secret token: required in webhook mode, in Telegram's alphabet."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise ConfigError(
            "DIGESTBOT_WEBHOOK_SECRET",
            "required when DIGESTBOT_WEBHOOK_URL is set (1-256 of A-Z a-z 0-9 _ -)",
        )
    if not _SECRET.fullmatch(secret):
        raise ConfigError("DIGESTBOT_WEBHOOK_SECRET", "use 1-256 characters of A-Z a-z 0-9 _ -")
    return secret


async def serve(app: BotApp) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running(app):
        settings: Settings = app.bot_data[SETTINGS]
        if settings.webhook_url:
            log.info("serving the webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        else:
            log.info("polling for updates; press Ctrl+C to stop")
        await stop.wait()


def run_bot(settings: Settings) -> None:
    asyncio.run(serve(build_application(settings)))
