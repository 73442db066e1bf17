from __future__ import annotations

from pathlib import Path

import pytest

from digestbot.config import CONFIG_FILE_ENV, Settings, load_settings
from digestbot.errors import ConfigError
from digestbot.packaged import default_config_file

SECRET = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("DIGESTBOT_"):
            monkeypatch.delenv(key)


def test_documented_defaults_match_the_built_in_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert default_config_file().is_file()
    from_file = load_settings()
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing: the built-in defaults\n")
    monkeypatch.setenv(CONFIG_FILE_ENV, str(empty))
    built_in = load_settings()
    assert from_file.model_dump() == built_in.model_dump()
    assert from_file.database_url == "sqlite+aiosqlite:///data/digestbot.db"
    assert from_file.token is None


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGESTBOT_ADMINS", "11, 22")
    monkeypatch.setenv("DIGESTBOT_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("DIGESTBOT_TOKEN", SECRET)
    monkeypatch.setenv("DIGESTBOT_SOURCE", "/srv/paper_logs")
    settings = load_settings()
    assert settings.admins == [11, 22]
    assert settings.is_admin(22) and not settings.is_admin(33) and not settings.is_admin(None)
    assert settings.api_url == "http://127.0.0.1:8081"
    assert settings.require_token() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "phrase"),
    [
        ("DIGESTBOT_PUSH_TIME", "8am", "HH:MM"),
        ("DIGESTBOT_TIMEZONE", "Mars/Olympus", "time zone"),
        ("DIGESTBOT_DATABASE_URL", "mysql://x", "sqlite+aiosqlite"),
        ("DIGESTBOT_ADMINS", "alice", "integer"),
        ("DIGESTBOT_LANGUAGE", "fr", '"ko" or "en"'),
        ("DIGESTBOT_API_URL", "api.telegram.org", "http"),
        ("DIGESTBOT_TOP_N", "0", "greater than or equal to 1"),
        ("DIGESTBOT_LOG_LEVEL", "verbose", "DEBUG, INFO"),
        ("DIGESTBOT_CONFIG", "/nonexistent/digestbot.toml", "no such file"),
    ],
)
def test_a_bad_value_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, phrase: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.setting == variable
    assert phrase in str(caught.value)


def test_a_malformed_token_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGESTBOT_TOKEN", "not-a-token-secretvalue")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.setting == "DIGESTBOT_TOKEN"
    assert "secretvalue" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_missing_token_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="DIGESTBOT_TOKEN: not set"):
        Settings().require_token()


def test_metrics_port_is_off_unless_set_and_throttle_defaults() -> None:
    assert load_settings().metrics_port is None
    assert load_settings(metrics_port="").metrics_port is None
    assert load_settings(metrics_port="0").metrics_port is None
    assert load_settings(metrics_port="9100").metrics_port == 9100
    settings = load_settings()
    assert (settings.metrics_listen, settings.log_format) == ("127.0.0.1", "text")
    assert (settings.throttle_burst, settings.throttle_refill_seconds) == (8, 2.0)
    with pytest.raises(ConfigError, match="DIGESTBOT_METRICS_PORT"):
        load_settings(metrics_port="70000")
