"""The Bot API methods the bot uses, by lower-case name (method names are case-insensitive)."""

from __future__ import annotations

from tests.support.botapi.methods import answers, chats, messages, profile, webhook
from tests.support.botapi.methods.method import Handler, Method

__all__ = ["METHODS", "Handler", "Method"]

GET_UPDATES = Method("getUpdates", frozenset({"offset", "limit", "timeout"}), None)

METHODS: dict[str, Method] = {
    method.name.lower(): method
    for method in (
        GET_UPDATES,
        *profile.METHODS,
        *webhook.METHODS,
        *messages.METHODS,
        *answers.METHODS,
        *chats.METHODS,
    )
}
