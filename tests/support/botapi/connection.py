"""A minimal HTTP/1.1 server connection on ``asyncio.Protocol``: keep-alive and
``Content-Length`` bodies, one request at a time (what httpx sends; chunked bodies are
refused with 501)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from tests.support.botapi.errors import PHRASES
from tests.support.botapi.wire import Reply, error_body

Handle = Callable[[str, Mapping[str, str], bytes], Reply | Coroutine[Any, Any, Reply]]

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024


class _HttpError(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class HttpConnection(asyncio.Protocol):
    """Parses requests, passes (target, headers, body) to ``handle`` and writes the reply;
    a coroutine reply is awaited in a task, cancelled if the client goes away."""

    def __init__(
        self, handle: Handle, connections: set[HttpConnection], on_error: Callable[[str], None]
    ) -> None:
        self._handle = handle
        self._connections = connections
        self._on_error = on_error
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._task: asyncio.Task[Reply] | None = None
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._connections.discard(self)
        if self._task is not None:
            self._task.cancel()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._task is None:
            self._process()

    def close(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _process(self) -> None:
        while self._task is None and not self._closed and self._buf:
            try:
                request = self._parse_one()
            except _HttpError as exc:
                self._write(exc.status, error_body(exc.status, PHRASES.get(exc.status, "")))
                self.close()
                return
            if request is None:
                return
            target, headers, body, keep_alive = request
            try:
                reply = self._handle(target, headers, body)
            except Exception as exc:  # a bug in the test server; keep the connection usable
                reply = self._internal_error(exc)
            if isinstance(reply, Reply):
                self._send(reply, keep_alive)
            else:
                self._task = asyncio.get_running_loop().create_task(reply)
                self._task.add_done_callback(functools.partial(self._done, keep_alive=keep_alive))

    def _done(self, task: asyncio.Task[Reply], *, keep_alive: bool) -> None:
        self._task = None
        if task.cancelled() or self._closed:
            return
        exc = task.exception()
        reply = self._internal_error(exc) if exc is not None else task.result()
        self._send(reply, keep_alive)
        if self._buf and not self._closed:
            self._process()

    def _internal_error(self, exc: BaseException) -> Reply:
        description = f"Internal Server Error: {type(exc).__name__}: {exc}"
        self._on_error(description)
        return Reply(500, error_body(500, description))

    def _send(self, reply: Reply, keep_alive: bool) -> None:
        if reply.drop:
            self._buf.clear()
            self.abort()
            return
        self._write(reply.status, reply.body, keep_alive=keep_alive)
        if not keep_alive:
            self.close()

    def _write(self, status: int, body: bytes, *, keep_alive: bool = False) -> None:
        transport = self._transport
        if transport is None or self._closed or transport.is_closing():
            return
        connection = "" if keep_alive else "Connection: close\r\n"
        head = (
            f"HTTP/1.1 {status} {PHRASES.get(status, 'Unknown')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{connection}\r\n"
        )
        transport.write(head.encode("latin-1") + body)

    def _parse_one(self) -> tuple[str, dict[str, str], bytes, bool] | None:
        """(target, headers, body, keep-alive) of the first complete request, or None."""
        buf = self._buf
        while buf[:2] == b"\r\n":
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEADER_BYTES:
                raise _HttpError(431)
            return None
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        request_line = lines[0].split(" ")
        if len(request_line) != 3 or not request_line[2].startswith("HTTP/1."):
            raise _HttpError(400)
        _method, target, version = request_line
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError(400)
            headers[name.strip().lower()] = value.strip()
        if "transfer-encoding" in headers:
            raise _HttpError(501)
        try:
            length = int(headers.get("content-length", "0") or "0")
        except ValueError:
            raise _HttpError(400) from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise _HttpError(413)
        start = end + 4
        if len(buf) < start + length:
            return None
        body = bytes(buf[start : start + length])
        del buf[: start + length]
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return target, headers, body, keep_alive
