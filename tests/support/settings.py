"""The one settings builder of the test suite: real ``load_settings`` (so every value is
validated as in production), pointed at a local Bot API server and a test database."""

from __future__ import annotations

from typing import Any

from digestbot.config import Settings, load_settings
from digestbot.packaged import sample_digests
from tests.support.botapi import TOKEN, FakeBotAPI


def settings_for(server: FakeBotAPI, db_url: str, **overrides: Any) -> Settings:
    """Settings for a bot talking to ``server`` and storing in ``db_url``; the bundled
    samples as the digest source, no Hugging Face, no model; Korean, Asia/Seoul,
    08:00, no webhook, no flood control."""
    values: dict[str, Any] = {
        "token": TOKEN,
        "api_url": server.url,
        "database_url": db_url,
        "source": str(sample_digests()),
        "language": "ko",
        "timezone": "Asia/Seoul",
        "push_time": "08:00",
        "webhook_url": "",
        "hf_api_url": "",
        "llm_base_url": "",
        # flood control off: tests send faster than people (tests/bot/test_throttle.py
        # turns it on)
        "throttle_burst": 0,
    }
    values.update(overrides)
    return load_settings(**values)
