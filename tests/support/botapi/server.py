"""``FakeBotAPI``: the server's thread and event loop, and everything a test calls on it."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from tests.support.botapi import users
from tests.support.botapi.connection import HttpConnection
from tests.support.botapi.dispatch import Answer, handle_request
from tests.support.botapi.errors import default_description
from tests.support.botapi.faults import Barrier, Delay, Fault, Flood, forbidden_description
from tests.support.botapi.identity import TOKEN
from tests.support.botapi.limits import FloodLimits
from tests.support.botapi.records import Call, CallbackAnswer, InlineAnswer, SentMessage, Violation
from tests.support.botapi.registry import User
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict

if TYPE_CHECKING:
    import telegram
    from telegram.ext._applicationbuilder import InitApplicationBuilder

T = TypeVar("T")


class FakeBotAPI:
    """A Telegram Bot API server for tests; see the package docstring."""

    def __init__(
        self, token: str = TOKEN, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0
    ) -> None:
        self.token = token
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._state = State(token, seed)  # seed: the random floods of set_flood()
        self._lock = self._state.lock
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[HttpConnection] = set()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeBotAPI:
        """Start serving in a background thread; returns self once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("FakeBotAPI already started")
        self._state.stopping = False
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="FakeBotAPI", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError(f"FakeBotAPI failed to start: {failure!r}")
        return self

    def stop(self) -> None:
        """Release waiting long polls, close every connection and stop the thread."""
        thread, loop = self._thread, self._state.loop
        if thread is None or loop is None:
            return
        try:
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the bot's ``api_url`` (only valid once started)."""
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def bot(self) -> telegram.Bot:
        """A real ``telegram.Bot`` pointed at this server (use ``async with``)."""
        from telegram import Bot

        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    def application_builder(self) -> InitApplicationBuilder:
        """``Application.builder()`` with token, base_url and base_file_url set."""
        from telegram.ext import Application

        return (
            Application.builder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._state.loop = loop
        try:
            server = loop.run_until_complete(
                loop.create_server(
                    self._new_connection, self.host, self._requested_port, backlog=1024
                )
            )
            self._server = server
            self._port = server.sockets[0].getsockname()[1]
            self._state.webhook_wake = asyncio.Event()
            ready.set()
            loop.run_forever()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _new_connection(self) -> HttpConnection:
        return HttpConnection(self._handle, self._connections, self._state.records.add_error)

    def _handle(self, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        return handle_request(self._state, target, headers, body)

    async def _shutdown(self) -> None:
        state = self._state
        with self._lock:
            state.stopping = True
            state.polls.release("stop")
        if state.polls.tasks:  # let released long polls write their (empty) answers
            await asyncio.wait(list(state.polls.tasks), timeout=1)
        if self._server is not None:
            self._server.close()
        if state.webhook_task is not None:
            state.webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await state.webhook_task
            state.webhook_task = None
        for conn in list(self._connections):
            conn.close()
        for _ in range(200):
            if not self._connections:
                break
            await asyncio.sleep(0.005)
        for conn in list(self._connections):
            conn.abort()
        await asyncio.sleep(0)
        if self._server is not None:
            await self._server.wait_closed()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ chats and users

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        *,
        username: str | None = None,
        is_forum: bool = False,
    ) -> None:
        """Register a chat the bot can talk to."""
        with self._lock:
            self._state.registry.add_chat(chat_id, type, title, username, is_forum)

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        *,
        language_code: str | None = None,
    ) -> None:
        """Register a user; also registers their private chat with the bot."""
        with self._lock:
            self._state.registry.add_user(User(user_id, first_name, username, language_code))

    def set_admins(
        self, chat_id: int, user_ids: Iterable[int], *, creator: int | None = None
    ) -> None:
        """Set a group's administrators (and optionally its creator)."""
        with self._lock:
            self._state.registry.set_admins(chat_id, user_ids, creator)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Status getChatMember reports for a non-admin: "member", "left" or "kicked"."""
        with self._lock:
            self._state.registry.set_member_status(chat_id, user_id, status)

    # ------------------------------------------------------------------ user actions

    def send_update(self, update: Mapping[str, Any]) -> int:
        """Queue a raw update (without ``update_id``); returns its update_id."""
        return self._state.queue_update(update)

    def send_text(
        self, chat_id: int, user_id: int, text: str, message_thread_id: int | None = None
    ) -> int:
        """A user sends a text message; returns the new message's message_id.

        A leading ``/command`` (also ``/command@botname``) gets a bot_command entity.
        The user's private chat is registered on the fly; other chats need add_chat().
        """
        return users.send_text(self._state, chat_id, user_id, text, message_thread_id)

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, data: str, *, strict: bool = True
    ) -> str:
        """A user presses the inline button with callback ``data`` of a message the bot sent;
        returns the query id.  With ``strict`` (default) the button must be on the
        message's current keyboard."""
        return users.press_button(self._state, chat_id, user_id, message_id, data, strict=strict)

    def inline_query(self, user_id: int, query: str, offset: str = "") -> str:
        """A user types ``@botname query``; returns the inline query id."""
        return users.inline_query(self._state, user_id, query, offset)

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by an offset (or webhook delivery)."""
        with self._lock:
            return len(self._state.updates)

    @property
    def waiting_polls(self) -> int:
        """getUpdates requests currently held open (long polling)."""
        with self._lock:
            return self._state.polls.waiting

    # ------------------------------------------------------------------ records

    @property
    def messages(self) -> list[SentMessage]:
        """Every accepted outgoing message (sends and edits), oldest first."""
        return self._state.records.sent()

    def sent_to(self, chat_id: int, method: str | None = None) -> list[SentMessage]:
        """Accepted outgoing messages to one chat (optionally of one method)."""
        return self._state.records.sent_to(chat_id, method)

    def calls(self, method: str | None = None) -> list[Call]:
        """Raw calls (any outcome), optionally of one method (case-insensitive)."""
        return self._state.records.calls(method)

    def get_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current Message JSON of a message (after edits), None if unknown."""
        with self._lock:
            stored = self._state.messages.get(chat_id, message_id)
            return copy.deepcopy(stored.data) if stored else None

    @property
    def inline_answers(self) -> dict[str, InlineAnswer]:
        return self._state.records.inline_answers()

    @property
    def paid_messages(self) -> int:
        """Accepted sends that were paid broadcasts (``allow_paid_broadcast``)."""
        return self._state.records.paid()

    @property
    def limit_violations(self) -> int:
        """How many sends enforce_limits() answered with 429."""
        return len(self._state.records.violations())

    @property
    def limit_violation_log(self) -> list[Violation]:
        """(limit: "global"/"private"/"group", chat_id, monotonic time) per violation."""
        return self._state.records.violations()

    @property
    def webhook_deliveries(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status) for every webhook delivery attempt."""
        return self._state.records.webhook_deliveries()

    @property
    def errors(self) -> list[str]:
        """Internal errors of the test server itself (should stay empty)."""
        return self._state.records.errors()

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - a poll deadline, not an I/O timeout
        *,
        interval: float = 0.005,
    ) -> T:
        """Poll ``predicate`` from the caller's event loop until it returns a truthy value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"condition not met within {timeout}s; "
                    f"last calls: {self._state.records.summary()}"
                )
            await asyncio.sleep(interval)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        method: str | None = None,
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted for the chat; returns them."""

        def ready() -> list[SentMessage]:
            sent = self.sent_to(chat_id, method)
            return sent if len(sent) >= count else []

        return await self.wait_for(ready, timeout)

    async def wait_for_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Wait for the bot's answerCallbackQuery for this query."""
        records = self._state.records
        return await self.wait_for(lambda: records.callback_answer(callback_query_id), timeout)

    async def wait_for_inline_answer(
        self,
        inline_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InlineAnswer:
        """Wait for the bot's answerInlineQuery for this query."""
        return await self.wait_for(lambda: self.inline_answers.get(inline_query_id), timeout)

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; returns those calls."""

        def ready() -> list[Call]:
            calls = self.calls(method)
            return calls if len(calls) >= count else []

        return await self.wait_for(ready, timeout)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error.

        ``method`` is case-insensitive; ``"*"`` means any method except getUpdates.
        ``status=0`` drops the connection without an answer (client sees a network error).
        A 429 without ``retry_after`` says retry after 1 second.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        parameters: JSONDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        fault = Fault(
            status, description or default_description(status, retry_after), parameters or None
        )
        with self._lock:
            self._state.faults.fail_next(method, count, fault)

    def set_flood(
        self, probability: float, retry_after: int = 1, methods: Iterable[str] = ("sendMessage",)
    ) -> None:
        """Answer each call of ``methods`` with 429 with this probability (0 turns it off)."""
        wanted = frozenset(m.lower() for m in methods)
        with self._lock:
            self._state.faults.flood = (
                Flood(probability, retry_after, wanted) if probability > 0 else None
            )

    def block_chat(self, chat_id: int, reason: str = "blocked") -> None:
        """Posting to the chat answers 403: reason "blocked", "kicked" or "deactivated"."""
        with self._lock:
            chat = self._state.registry.chats.get(chat_id)
            description = forbidden_description(reason, chat.type if chat else "private")
            self._state.faults.blocked[chat_id] = description

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._state.faults.blocked.pop(chat_id, None)

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """The group ``old_id`` became supergroup ``new_id`` (registered automatically)."""
        with self._lock:
            self._state.faults.migrated[old_id] = new_id
            self._state.registry.migrate(old_id, new_id)

    def fail_chat(self, chat_id: int, status: int = 500, description: str | None = None) -> None:
        """Every call that targets this chat answers ``status`` until heal_chat()."""
        with self._lock:
            fault = Fault(status, description or default_description(status))
            self._state.faults.failing_chats[chat_id] = fault

    def heal_chat(self, chat_id: int) -> None:
        with self._lock:
            self._state.faults.failing_chats.pop(chat_id, None)

    def set_delay(
        self,
        seconds: float,
        *,
        methods: Iterable[str] | None = None,
        process_first: bool = False,
    ) -> None:
        """Answer slowly (0 turns it off).  ``methods=None`` means every method except
        getUpdates.

        By default the server waits first and only then processes the request, and drops it
        if the client gave up meanwhile (a lost request: nothing delivered).  With
        ``process_first=True`` it processes at once and delays only the answer (a lost
        answer: the message *is* delivered although the client times out).
        """
        wanted = frozenset(m.lower() for m in methods) if methods is not None else None
        with self._lock:
            self._state.faults.delay = (
                Delay(seconds, wanted, process_first) if seconds > 0 else None
            )

    def start_together(self, parties: int, method: str = "getMe") -> None:
        """Hold the answers to ``method`` until ``parties`` calls of it have arrived, so
        that as many clients (processes starting at their own pace) begin at once."""
        with self._lock:
            self._state.faults.barriers[method.lower()] = Barrier(parties)

    def enforce_limits(
        self,
        global_per_s: int = 30,
        per_private_chat_per_s: int = 1,
        per_group_per_min: int = 20,
        *,
        paid_per_s: int = 1000,
        enabled: bool = True,
    ) -> None:
        """Enforce Telegram's flood limits on sendMessage (sliding windows); a send over a
        limit gets 429 with retry_after and is logged in limit_violation_log. Paid
        broadcasts (``allow_paid_broadcast``) are held to ``paid_per_s`` instead."""
        limits = FloodLimits(global_per_s, per_private_chat_per_s, per_group_per_min, paid_per_s)
        with self._lock:
            self._state.limits = limits if enabled else None
