"""The token never reaches a log line, whichever logger writes it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from digestbot.logs import hide_token

SECRET = "987654:ZYXwvuTSRqpoNMLkjiHGFedcba-0123456789"


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logging.root.addHandler(handler)
    old_level = logging.root.level
    logging.root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logging.root.removeHandler(handler)
        logging.root.setLevel(old_level)


def test_records_of_loggers_created_later_are_redacted(root_stream: io.StringIO) -> None:
    hide_token(SECRET)
    late = logging.getLogger("telegram.ext.SomethingNew")  # created after hide_token
    late.debug("POST https://api.telegram.org/bot%s/getMe", SECRET)
    other = logging.getLogger("some.other.library")
    other.info("url=https://api.telegram.org/bot" + SECRET + "/sendMessage")
    try:
        raise RuntimeError(f"connect failed for /bot{SECRET}/getUpdates")
    except RuntimeError:
        other.exception("request failed")
    output = root_stream.getvalue()
    assert SECRET not in output
    assert output.count("<token>") == 3
    assert "getMe" in output and "sendMessage" in output and "getUpdates" in output
