"""The project's own exception tree.

DigestbotError
 ├── ConfigError            a setting is missing or malformed (names the setting)
 ├── DigestFormatError      a file is not a digest (names the file and line)
 ├── SourceError
 │    └── SourceUnavailable a digest source kept failing (timeouts, 5xx, I/O)
 └── BadArgument            a user's command argument cannot be understood

Telegram's own errors are mapped to delivery actions in one place,
``digestbot.delivery.telegram_errors``; they are not part of this tree.
"""

from __future__ import annotations


class DigestbotError(Exception):
    """Base class of every error digestbot raises on purpose."""


class ConfigError(DigestbotError):
    """A setting is missing or malformed; the message names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


class DigestFormatError(DigestbotError):
    """A text is not a digest in any known format."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        self.source = source
        self.line = line
        self.problem = problem
        super().__init__(f"{source}:{line}: {problem}")


class SourceError(DigestbotError):
    """Reading a digest from its source failed."""


class SourceUnavailable(SourceError):
    """The source kept failing (timeouts, server errors, I/O errors) after retries."""


class BadArgument(DigestbotError):
    """A command argument cannot be understood; ``example`` shows a correct use."""

    def __init__(self, message: str, example: str = "") -> None:
        self.message = message
        self.example = example
        super().__init__(message)
