"""The errors a method answers with, in Telegram's wording."""

from __future__ import annotations

import http

from tests.support.botapi.wire import JSONDict, Reply, error_body

CLIENT_CLOSED = 499  # recorded status of a request whose client went away unanswered
DROPPED = 0  # recorded status of a request answered by closing the connection

PHRASES = {status.value: status.phrase for status in http.HTTPStatus}
PHRASES[CLIENT_CLOSED] = "Client Closed Request"

_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """Raised inside method handlers; becomes a ``{"ok": false, ...}`` answer."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def reply(self) -> Reply:
        if self.status == DROPPED:
            return Reply(DROPPED, b"", drop=True)
        return Reply(self.status, error_body(self.status, self.description, self.parameters))


def bad(description: str, parameters: JSONDict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {description}", parameters)


def too_many(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def not_modelled(what: str) -> ApiError:
    """Telegram would accept this, but the test server does not model it (the bot does not
    use it): fail loudly rather than pretend."""
    return bad(f"{what} is not supported by the test server (tests/support/botapi)")


def default_description(status: int, retry_after: int | None = None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    return _DESCRIPTIONS.get(status, PHRASES.get(status, "Error"))
