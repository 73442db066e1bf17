"""From an HTTP request to an answer: the URL names the token and the method, the body
the parameters; injected faults and delays apply; every call is recorded.

``/bot<token>/<method>``: a wrong token is 401, a method the server does not model is 404
"Not Found: method not found" (as on Telegram for unknown methods), a parameter it does not
model is 400 "... is not supported by the test server".
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Coroutine, Mapping
from typing import Any

from tests.support.botapi.errors import CLIENT_CLOSED, ApiError, bad, not_modelled
from tests.support.botapi.methods import METHODS, Method
from tests.support.botapi.params import decode_params
from tests.support.botapi.polling import get_updates
from tests.support.botapi.records import Call
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict, Reply, error_body, ok_body

Answer = Reply | Coroutine[Any, Any, Reply]


def handle_request(state: State, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
    received = time.monotonic()
    url = urllib.parse.urlsplit(target)
    segments = url.path.split("/")
    if len(segments) != 3 or not segments[1].startswith("bot") or not segments[2]:
        return Reply(404, error_body(404, "Not Found"))
    token = urllib.parse.unquote(segments[1][3:])
    requested = urllib.parse.unquote(segments[2])
    if token != state.token:
        return _refuse(state, requested, {}, received, ApiError(401, "Unauthorized"))
    method = METHODS.get(requested.lower())
    if method is None:
        return _refuse(state, requested, {}, received, ApiError(404, "Not Found: method not found"))
    try:
        params = _params(method, url.query, headers.get("content-type", ""), body)
    except ApiError as exc:
        return _refuse(state, method.name, {}, received, exc)
    if method.handler is None:
        return get_updates(state, params, received)
    with state.lock:
        delay = state.faults.delay
        barrier = state.faults.barriers.get(method.name.lower())
    if barrier is not None:
        return barrier.wait(_execute(state, method, params, received))
    if delay is None or not delay.applies(method.name):
        return _execute(state, method, params, received)
    if delay.process_first:
        return _answer_later(_execute(state, method, params, received), delay.seconds)
    return _execute_later(state, method, params, received, delay.seconds)


def _params(method: Method, query: str, content_type: str, body: bytes) -> JSONDict:
    if query:
        raise not_modelled("parameters in the URL query")
    try:
        params = decode_params(content_type, body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad(f"can't parse request body: {exc}") from None
    unknown = sorted(set(params) - method.params)
    if unknown:
        raise not_modelled(f"{method.name} with {', '.join(unknown)}")
    return params


def _refuse(state: State, method: str, params: JSONDict, received: float, error: ApiError) -> Reply:
    state.records.add_call(Call(method, params, received, error.status, error.description))
    return error.reply()


def _execute(state: State, method: Method, params: JSONDict, received: float) -> Reply:
    assert method.handler is not None
    with state.lock:
        try:
            state.faults.raise_injected(method.name)
            result = method.handler(state, params)
        except ApiError as exc:
            return _refuse(state, method.name, params, received, exc)
        except Exception as exc:  # a bug in the test server: answer 500 and remember it
            description = f"Internal Server Error: {type(exc).__name__}: {exc}"
            state.records.add_error(f"{method.name}: {description}")
            return _refuse(state, method.name, params, received, ApiError(500, description))
        state.records.add_call(Call(method.name, params, received, 200))
        return Reply(200, ok_body(result))


async def _answer_later(reply: Reply, seconds: float) -> Reply:
    await asyncio.sleep(seconds)
    return reply


async def _execute_later(
    state: State, method: Method, params: JSONDict, received: float, seconds: float
) -> Reply:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        gone = "client went away before the answer"
        state.records.add_call(Call(method.name, params, received, CLIENT_CLOSED, gone))
        raise
    return _execute(state, method, params, received)
