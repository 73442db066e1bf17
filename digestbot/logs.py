"""Logging: one line per event on stderr (plain text, or one JSON object a line when
``DIGESTBOT_LOG_FORMAT=json``), and never the bot token nor the model's key.

``configure_logging(settings)`` is called once by every entry point; when a token is
configured it is redacted from every record that reaches a handler. ``redact`` is the
one function that takes a token out of a text (log records, errors, stored reasons)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from digestbot.config import LogFormat, Settings


def redact(text: str, token: str | None) -> str:
    """``text`` without ``token`` (nor its secret half, after the colon)."""
    if not token:
        return text
    text = text.replace(token, "<token>")
    _, _, secret = token.partition(":")
    if len(secret) >= 8:
        text = text.replace(secret, "<token>")
    return text


class RedactSecret(logging.Filter):
    """Replaces a secret in a log record's message and traceback (python-telegram-bot logs
    its API URLs, which hold the token, at DEBUG)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secret)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text, self.secret)
        return True


def hide_token(token: str) -> None:
    """Keep ``token`` out of every log line: a filter on each handler of the root logger
    (a logger's own filters do not see records propagated from its children) and on the
    loggers of the libraries that see the token, for handlers of their own."""
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    names = [
        n
        for n in logging.root.manager.loggerDict
        if n.startswith(("telegram", "digestbot", "aiohttp"))
    ]
    targets: list[logging.Filterer] = [*logging.root.handlers]
    targets += [
        logging.getLogger(n)
        for n in {"telegram", "digestbot", "httpx", "httpcore", "aiohttp", *names}
    ]
    for target in targets:
        if not any(isinstance(f, RedactSecret) and f.secret == token for f in target.filters):
            target.addFilter(RedactSecret(token))


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(JsonFormatter):
    """One JSON object a line: ``time`` (ISO 8601, UTC), ``level``, ``logger``,
    ``message``, and ``exc_info`` for a traceback (plus any ``extra`` fields). The
    library formats tracebacks itself, past ``RedactSecret``'s cleaned copy, so every
    secret is taken out of the finished line too."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self.secrets:
            line = redact(line, secret)
        return line


def log_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """The handler every entry point logs through (stderr by default): plain lines, or
    JSON lines when ``log_format`` is "json"; the secrets redacted either way."""
    handler = logging.StreamHandler(stream or sys.stderr)
    secrets = settings.secrets()
    if settings.log_format is LogFormat.JSON:
        handler.setFormatter(JsonLines(secrets))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    for secret in secrets:
        handler.addFilter(RedactSecret(secret))
    return handler


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), handlers=[log_handler(settings)])
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for secret in settings.secrets():
        hide_token(secret)
