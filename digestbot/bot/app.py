"""The one factory that builds the bot, and the loop that runs it.

``build_application(settings)`` wires everything: the token and the Bot API URL from
settings, the typed ``BotData``, every handler and the error handler, and the resources
(database, HTTP client) opened in ``post_init`` and closed in ``post_shutdown``.
``running(app)`` starts and stops it (tests use it too); ``run_bot(settings)`` is what
``digestbot run`` calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from digestbot.bot import (
    admin,
    callbacks,
    commands,
    follows,
    inline,
    runtime,
    settings_menu,
    throttle,
)
from digestbot.bot.context import CONTEXT_TYPES, BotApp
from digestbot.bot.error_handler import on_error
from digestbot.bot.health import process_state
from digestbot.config import LANGUAGES, Language, Settings
from digestbot.delivery.client import engine_request
from digestbot.delivery.telegram_errors import initialize_safely
from digestbot.errors import ConfigError
from digestbot.logs import hide_token
from digestbot.present.callbacks import NOOP_PATTERN, PATTERNS, Prefix
from digestbot.present.i18n import COMMANDS, t
from digestbot.services.monitor import Monitor
from digestbot.services.resources import open_resources
from digestbot.services.throttle import UserThrottle

log = logging.getLogger(__name__)

__all__ = ["BotApp", "build_application", "run_bot", "running"]

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
        .request(engine_request(settings))  # the delivery engine sends with this bot too
        .context_types(CONTEXT_TYPES)
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
    app.bot_data.settings_ = settings
    app.bot_data.throttle = UserThrottle(
        settings.throttle_burst,
        settings.throttle_refill_seconds,
        max_users=settings.throttle_max_users,
        clock=time.monotonic,
    )
    _register(app)
    return app


# the groups that see every update before the handlers (group 0): the first notes its
# arrival, the second stops a flooding user's update there
NOTE_GROUP, THROTTLE_GROUP = -20, -10


def _register(app: BotApp) -> None:
    app.add_handler(TypeHandler(Update, throttle.note_update), group=NOTE_GROUP)
    app.add_handler(TypeHandler(Update, throttle.throttle_update), group=THROTTLE_GROUP)
    only_messages = filters.UpdateType.MESSAGE
    # a channel subscribes too: its commands arrive as channel posts, written by the
    # channel itself (only its administrators can post). Admin commands need a user.
    messages_and_posts = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    everyday = {
        "start": commands.start_command,
        "help": commands.help_command,
        "today": commands.today_command,
        "top": commands.top_command,
        "search": commands.search_command,
        "paper": commands.paper_command,
        "similar": commands.similar_command,
        "saved": commands.saved_command,
        "subscribe": commands.subscribe_command,
        "unsubscribe": commands.unsubscribe_command,
        "settings": settings_menu.settings_command,
        "follow": follows.follow_command,
        "following": follows.following_command,
        "unfollow": follows.unfollow_command,
    }
    for name, callback in everyday.items():
        app.add_handler(CommandHandler(name, callback, filters=messages_and_posts))
    for name, callback in admin.COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=only_messages))
    app.add_handler(MessageHandler(filters.COMMAND & only_messages, commands.unknown_command))
    buttons = {
        Prefix.PAPER: callbacks.on_paper_button,
        Prefix.TOP: callbacks.on_top_button,
        Prefix.SEARCH: callbacks.on_search_button,
        Prefix.SETTINGS: settings_menu.on_settings_button,
        Prefix.BOOKMARK: callbacks.on_bookmark_button,
        Prefix.SIMILAR: callbacks.on_similar_button,
        Prefix.SAVED: callbacks.on_saved_button,
        Prefix.UNSAVE: callbacks.on_saved_button,
        Prefix.FOLLOW: follows.on_unfollow_button,
    }
    for prefix, callback in buttons.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=PATTERNS[prefix]))
    app.add_handler(CallbackQueryHandler(admin.on_confirm, pattern=admin.CONFIRM_PATTERN))
    app.add_handler(CallbackQueryHandler(callbacks.on_noop, pattern=NOOP_PATTERN))
    app.add_handler(CallbackQueryHandler(callbacks.on_unknown_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_error_handler(on_error)


async def _post_init(app: BotApp) -> None:
    data = app.bot_data
    stack = AsyncExitStack()
    data.exit_stack = stack
    res = await stack.enter_async_context(open_resources(data.settings))
    data.resources_ = res
    await set_commands(app)
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    data.runtime = await runtime.start_runtime(app.bot, app.job_queue, res)
    if data.settings.metrics_port:
        # stopped in post_shutdown, before the resources it reads are closed
        data.monitor = Monitor(data.settings, res.sessions, lambda: process_state(app))
        await data.monitor.start()
        stack.push_async_callback(data.monitor.stop)
    log.info("bot @%s ready", app.bot.username)


async def _post_stop(app: BotApp) -> None:
    # before shutdown: the engine still needs the bot's HTTP client to finish its sends
    found, app.bot_data.runtime = app.bot_data.runtime, None
    if found is not None:
        await runtime.stop_runtime(found)


async def _post_shutdown(app: BotApp) -> None:
    data = app.bot_data
    stack, data.exit_stack = data.exit_stack, None
    data.resources_ = None
    if stack is not None:
        await stack.aclose()


async def set_commands(app: BotApp) -> None:
    """The command menu: Korean by default, English for users whose app is in English."""
    names = ["start", *(name for name, _ in COMMANDS)]
    for code in LANGUAGES:
        menu = [BotCommand(name, t(code, f"cmd.{name}")) for name in names]
        language = None if code is Language.KO else code.value
        await app.bot.set_my_commands(menu, language_code=language)


@asynccontextmanager
async def running(
    app: BotApp, *, poll_interval: float = 0.0, poll_timeout: int = 10
) -> AsyncIterator[BotApp]:
    """Initialize, run the lifecycle hooks, receive updates; stop it all on exit.

    A token the server rejects becomes a ``ConfigError`` naming DIGESTBOT_TOKEN: the
    library's own error would print the token."""
    settings = app.bot_data.settings
    # the HTTP clients were opened before getMe failed: close them
    await initialize_safely(
        app.initialize, app.bot.token, settings.api_url, on_failure=app.bot.shutdown
    )
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await _start_updates(app, poll_interval=poll_interval, poll_timeout=poll_timeout)
        await app.start()
        yield app
    finally:
        if app.bot_data.runtime is not None:
            # a leadership round from now on must not start the polling again
            app.bot_data.runtime.on_lead = None
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
    """The webhook server on every instance (a load balancer may spread Telegram's
    requests over them); long polling on the leading instance only, since Telegram hands
    updates to one poller and answers a second with 409 Conflict: the leadership job
    (``runtime.leadership_tick``) starts the polling on the instance that takes the lead
    and stops it on one that loses it."""
    settings = app.bot_data.settings
    updater = app.updater
    assert updater is not None
    if settings.webhook_url:
        # Telegram POSTs to webhook_url; we listen on webhook_listen:webhook_port under the
        # URL's path (a reverse proxy may sit between), and PTB answers 403 to a request
        # without the right X-Telegram-Bot-Api-Secret-Token.
        await updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            drop_pending_updates=False,
        )
        return

    async def start_polling() -> None:
        if not updater.running:
            await updater.start_polling(
                poll_interval=poll_interval, timeout=poll_timeout, drop_pending_updates=False
            )
            log.info("polling for updates (this instance leads)")

    async def stop_polling() -> None:
        if updater.running:
            # the updater confirms the updates it handled with a last getUpdates, so the
            # next leader starts after them
            await updater.stop()
            log.warning("stopped polling: another instance leads and polls now")

    runtime = app.bot_data.runtime
    if runtime is None:
        await start_polling()
        return
    runtime.on_lead, runtime.on_stand_down = start_polling, stop_polling
    if runtime.jobs_installed:
        await start_polling()
    else:
        log.info("another instance leads and polls for updates; standing by")


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
        settings = app.bot_data.settings
        if settings.webhook_url:
            log.info("serving the webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        log.info("running; press Ctrl+C to stop")
        await stop.wait()


def run_bot(settings: Settings) -> None:
    asyncio.run(serve(build_application(settings)))
