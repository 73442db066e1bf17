"""The operator's HTTP endpoints, on ``metrics_listen:metrics_port`` (off unless the port
is set), served by tornado (already installed for python-telegram-bot's webhooks) on the
process's own event loop:

* ``GET /healthz`` — readiness (``digestbot.services.health``): JSON, 200 or 503;
* ``GET /livez`` — liveness: 200 while the process serves HTTP at all;
* ``GET /metrics`` — Prometheus' text format (``digestbot.services.metrics``).

``digestbot run`` starts it in ``post_init`` and stops it in ``post_shutdown`` (with the
other resources); ``digestbot deliver`` around its engine."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tornado.httpserver import HTTPServer

from digestbot.config import Settings
from digestbot.errors import ConfigError
from digestbot.services.health import ProcessState, check_database, readiness
from digestbot.services.metrics import Metrics

log = logging.getLogger(__name__)


class Monitor:
    """``/healthz``, ``/livez`` and ``/metrics`` for one process. ``state`` is called at
    every request: what the process knows about itself right then."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        state: Callable[[], ProcessState],
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.state = state
        self.metrics = Metrics(sessions, state)
        self._server: HTTPServer | None = None
        self.port: int | None = None  # the bound port, once started

    async def health(self) -> tuple[int, dict[str, Any]]:
        database = await check_database(self.sessions)
        silence = self.settings.health_webhook_silence_minutes * 60
        return readiness(self.state(), database, webhook_silence=silence)

    async def start(self, port: int | None = None) -> int:
        """Listen on ``metrics_listen`` and ``port`` (default ``metrics_port``; 0: any
        free port); returns the bound port."""
        chosen = self.settings.metrics_port if port is None else port
        if chosen is None:
            raise ValueError("no metrics port configured")
        app = tornado.web.Application(
            [
                (r"/healthz", _Health, {"monitor": self}),
                (r"/livez", _Live),
                (r"/metrics", _Metrics, {"monitor": self}),
            ],
            log_function=_log_request,
        )
        listen = self.settings.metrics_listen
        try:
            sock = _bind(listen, chosen)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(
                "DIGESTBOT_METRICS_PORT", f"cannot listen on {listen}:{chosen} ({reason})"
            ) from None
        self._server = HTTPServer(app, xheaders=False)
        self._server.add_sockets([sock])
        self.port = int(sock.getsockname()[1])
        log.info(
            "serving /healthz and /metrics on http://%s:%s", self.settings.metrics_listen, self.port
        )
        return self.port

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            await server.close_all_connections()


def _bind(host: str, port: int) -> socket.socket:
    """A listening, non-blocking socket on ``host:port`` (the first address it resolves
    to); closed again when binding fails (tornado's ``bind_sockets`` leaks it then)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Scrapes and probes come every few seconds: only a failure is worth a line."""
    status = handler.get_status()
    level = logging.WARNING if status >= 500 and status != 503 else logging.DEBUG
    request = handler.request
    log.log(level, "%s %s %s", status, request.method, request.uri)


@asynccontextmanager
async def serving(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    state: Callable[[], ProcessState],
) -> AsyncIterator[Monitor | None]:
    """The endpoints for the duration of the block, when ``metrics_port`` is set."""
    if not settings.metrics_port:
        yield None
        return
    monitor = Monitor(settings, sessions, state)
    await monitor.start()
    try:
        yield monitor
    finally:
        await monitor.stop()


class _Health(tornado.web.RequestHandler):
    def initialize(self, monitor: Monitor) -> None:
        self.monitor = monitor

    async def get(self) -> None:
        code, body = await self.monitor.health()
        self.set_status(code)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, ensure_ascii=False))


class _Live(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish('{"status": "alive"}')


class _Metrics(tornado.web.RequestHandler):
    def initialize(self, monitor: Monitor) -> None:
        self.monitor = monitor

    async def get(self) -> None:
        payload = await self.monitor.metrics.render()
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(payload)
