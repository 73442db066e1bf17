"""The token never reaches a log line, whichever logger writes it."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator

import pytest

from digestbot.config import load_settings
from digestbot.errors import ConfigError
from digestbot.logs import hide_token, log_handler

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


LLM_KEY = "sk-test-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_log_lines_hide_the_token_and_the_model_key(log_format: str) -> None:
    settings = load_settings(token=SECRET, llm_api_key=LLM_KEY, log_format=log_format)
    stream = io.StringIO()
    logger = logging.getLogger("digestbot.tests.json_lines")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = log_handler(settings, stream)
    logger.addHandler(handler)
    try:
        logger.info("calling /bot%s/getMe with key %s", SECRET, LLM_KEY)
        logger.warning("plain line, 한국어 too")
        try:
            raise RuntimeError(f"connect failed for /bot{SECRET}/getUpdates key={LLM_KEY}")
        except RuntimeError:
            logger.exception("request failed")
        logger.info("with extra", extra={"url": f"https://api.telegram.org/bot{SECRET}/x"})
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert SECRET not in output and SECRET.partition(":")[2] not in output
    assert LLM_KEY not in output
    if log_format == "text":
        assert "calling /bot<token>/getMe with key <token>" in output
        return
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "WARNING", "ERROR", "INFO"]
    assert lines[0]["message"] == "calling /bot<token>/getMe with key <token>"
    assert lines[0]["logger"] == "digestbot.tests.json_lines"
    assert dt.datetime.fromisoformat(lines[0]["time"]).tzinfo is not None
    assert lines[1]["message"] == "plain line, 한국어 too"
    assert "Traceback" in lines[2]["exc_info"] and "/bot<token>/getUpdates" in lines[2]["exc_info"]
    assert lines[3]["url"] == "https://api.telegram.org/bot<token>/x"


def test_log_format_is_text_or_json() -> None:
    assert load_settings(log_format="JSON").log_format == "json"
    with pytest.raises(ConfigError, match="DIGESTBOT_LOG_FORMAT"):
        load_settings(log_format="xml")
