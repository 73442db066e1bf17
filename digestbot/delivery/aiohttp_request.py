"""python-telegram-bot's networking on aiohttp: a ``BaseRequest`` (the library's
documented place for another HTTP backend) over one ``aiohttp.ClientSession``.

Why not PTB's default ``HTTPXRequest``: measured in this process against the local Bot
API server, one ``sendMessage`` through httpx costs about 3.5 ms of CPU (most of it
httpcore scanning every pooled connection for each request, and anyio), through aiohttp
about 0.45 ms, PTB's own work included. That is the difference between a sender that
tops out near 300 messages/s and one that keeps up with paid broadcasts (1,000/s).

Everything PTB does above ``do_request`` stays PTB's: building the parameters, turning
Telegram's answers into ``RetryAfter``, ``Forbidden``, ``BadRequest`` and friends, and
parsing the result. This class only moves bytes:

* the body is JSON (``application/json``, which the Bot API accepts for every method but
  uploads), or ``multipart/form-data`` when the request carries a file;
* PTB's timeouts map onto aiohttp's: ``connect`` (waiting for a pooled connection plus
  connecting) = pool + connect timeout, ``sock_connect`` = connect timeout,
  ``sock_read`` = read timeout; aiohttp has no write timeout;
* aiohttp's failures become PTB's ``TimedOut`` / ``NetworkError`` with the aiohttp
  exception as ``__cause__``, so ``telegram_errors.outcome_unknown`` can tell a request
  that never left (no connection) from one that may have reached Telegram.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

_JSON = {"Content-Type": "application/json"}


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout PTB passed, or ours when it passed its 'use the default' marker."""
    if isinstance(value, DefaultValue):
        return default
    return value


def _sum(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first + second


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp connection pool of ``pool_size`` kept-alive
    connections. Timeouts are in seconds (None: wait for ever)."""

    __slots__ = ("_connect", "_defaults", "_pool", "_pool_size", "_read", "_session")

    def __init__(
        self,
        *,
        pool_size: int = 1,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        default = BaseRequest.DEFAULT_NONE
        self._defaults = self._timeout(default, default, default)

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, limit_per_host=self._pool_size, keepalive_timeout=60.0
            )
            # no cookies: a bot has no use for them, and they cost a lookup a request
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``."""
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        body: bytes | aiohttp.FormData | None = None
        headers: dict[str, str] = {}
        if request_data is not None:
            if request_data.multipart_data:
                body = _form(request_data)
            else:
                body = request_data.json_payload
                headers["Content-Type"] = "application/json"
        return await self._send(method, url, body, headers, timeout)

    async def post_json(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST a JSON body (already encoded) with the default timeouts: the delivery
        engine's ``sendMessage`` (``delivery.client.MessageSender``), past PTB's
        parameter building. Raises ``TimedOut`` / ``NetworkError`` like ``do_request``."""
        return await self._send("POST", url, body, _JSON, self._defaults)

    def _timeout(
        self,
        read_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
    ) -> aiohttp.ClientTimeout:
        connect = _pick(connect_timeout, self._connect)
        return aiohttp.ClientTimeout(
            total=None,
            connect=_sum(_pick(pool_timeout, self._pool), connect),
            sock_connect=connect,
            sock_read=_pick(read_timeout, self._read),
        )

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | aiohttp.FormData | None,
        headers: dict[str, str],
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=limits
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise TimedOut(
                "Pool or connect timeout: the request was *not* sent to Telegram"
            ) from exc
        except TimeoutError as exc:  # the answer did not come in time
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _form(request_data: RequestData) -> aiohttp.FormData:
    """A multipart body: the parameters as text fields, then the files."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
