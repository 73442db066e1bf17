"""Switching between long polling and a webhook: setWebhook and deleteWebhook."""

from __future__ import annotations

import re
import urllib.parse

from tests.support.botapi.errors import bad
from tests.support.botapi.methods.method import Method
from tests.support.botapi.params import opt_bool, opt_str
from tests.support.botapi.state import State
from tests.support.botapi.webhook import Webhook, restart_pump
from tests.support.botapi.wire import JSONDict

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def set_webhook(state: State, params: JSONDict) -> bool:
    """Deviation: a plain-HTTP URL on a loopback host is accepted too (Telegram wants
    HTTPS), so that webhook mode can be tested end to end."""
    url = opt_str(params, "url") or ""
    if not url:
        return delete_webhook(state, params)
    split = urllib.parse.urlsplit(url)
    if split.scheme != "https" and not (split.scheme == "http" and split.hostname in _LOOPBACK):
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    secret = opt_str(params, "secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad("bad webhook: secret token contains unallowed characters")
    if opt_bool(params, "drop_pending_updates"):
        state.updates.clear()
    state.webhook = Webhook(url, secret)
    state.polls.release("conflict_webhook")
    restart_pump(state)
    return True


def delete_webhook(state: State, params: JSONDict) -> bool:
    if opt_bool(params, "drop_pending_updates"):
        state.updates.clear()
    if state.webhook is not None:
        state.webhook = None
        restart_pump(state)
    return True


METHODS = (
    Method(
        "setWebhook",
        frozenset({"url", "secret_token", "max_connections", "drop_pending_updates"}),
        set_webhook,
    ),
    Method("deleteWebhook", frozenset({"drop_pending_updates"}), delete_webhook),
)
