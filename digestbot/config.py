"""Settings: ``digestbot/data/digestbot.toml`` (shipped in the package) holds the
documented defaults, ``DIGESTBOT_*`` environment variables override them. Nothing is
read at import time: call ``load_settings()`` (or ``get_settings()`` for the cached copy)."""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from digestbot.clock import parse_hhmm
from digestbot.errors import ConfigError
from digestbot.packaged import default_config_file


class LogFormat(StrEnum):
    """How log lines look: plain text, or one JSON object a line."""

    TEXT = "text"
    JSON = "json"


class Language(StrEnum):
    """The UI languages: Korean (the default) and English."""

    KO = "ko"
    EN = "en"


LANGUAGES: tuple[Language, ...] = tuple(Language)

CONFIG_FILE_ENV = "DIGESTBOT_CONFIG"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGESTBOT_", extra="ignore")

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///data/digestbot.db"
    source: str = (
        "https://raw.githubusercontent.com/l-yohai/daily_papers_ko/main/"
        "paper_logs/{YYYY}/{MM}/{DD}.md"
    )
    source_timeout: float = Field(15.0, gt=0)
    source_retries: int = Field(3, ge=0, le=10)
    # Hugging Face's Daily Papers API (the day's list, fresh votes); "" = not used
    hf_api_url: str = "https://huggingface.co"
    # an OpenAI-compatible chat-completions endpoint for the Korean summaries; "" = none
    llm_base_url: str = ""
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_concurrency: int = Field(4, ge=1, le=64)
    llm_max_papers_per_day: int = Field(60, ge=0, le=1000)
    llm_timeout: float = Field(60.0, gt=0)
    # the push re-reads the day's votes from Hugging Face when they are older than this
    votes_max_age_minutes: float = Field(10.0, ge=0)
    admins: Annotated[list[int], NoDecode] = Field(default_factory=list)
    language: Language = Language.KO
    timezone: str = "Asia/Seoul"
    push_time: str = "08:00"
    top_n: int = Field(5, ge=1, le=50)
    ingest_time: str = "07:30"
    ingest_retry_minutes: int = Field(10, ge=1)
    ingest_cutoff: str = "23:00"
    catchup_hours: float = Field(12, ge=0)
    rate_global_per_second: float = Field(30.0, gt=0)
    rate_private_per_second: float = Field(1.0, gt=0)
    rate_group_per_minute: float = Field(20.0, gt=0)
    # false: no pacing at all (only against a Bot API server without limits: benchmarks)
    rate_limits_enabled: bool = True
    delivery_concurrency: int = Field(32, ge=1, le=1000)
    delivery_max_attempts: int = Field(5, ge=1)
    delivery_max_sleep: float = Field(30.0, ge=0)
    # a claim an instance stops renewing (it died) is free again after this many seconds
    delivery_lease_seconds: float = Field(60.0, ge=1)
    # finished deliveries (and renders nobody uses) are deleted after this many days; 0 =
    # kept for ever
    delivery_retention_days: int = Field(30, ge=0)
    # pushes with allow_paid_broadcast (0.1 Stars a message) up to this many a UTC day
    paid_broadcast: bool = False
    paid_broadcast_daily_cap: int = Field(0, ge=0)
    rate_paid_per_second: float = Field(1000.0, gt=0)
    channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - the webhook must be reachable
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT
    # per-user flood control: a burst of throttle_burst commands, inline queries or button
    # presses, then one more every throttle_refill_seconds; 0 = off. Admins are exempt.
    throttle_burst: int = Field(8, ge=0, le=1000)
    throttle_refill_seconds: float = Field(2.0, gt=0, le=3600)
    throttle_max_users: int = Field(10_000, ge=1)
    # /healthz and /metrics: off unless a port is set (None or 0 = off)
    metrics_port: int | None = Field(None, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"
    # readiness in webhook mode: no update for this long = not ready (0 = not checked:
    # a quiet bot receives nothing)
    health_webhook_silence_minutes: float = Field(0, ge=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get(CONFIG_FILE_ENV) or default_config_file())
        if CONFIG_FILE_ENV in os.environ and not path.is_file():
            raise ConfigError(CONFIG_FILE_ENV, f"no such file: {path}")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("admins", "channels", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _metrics_port(cls, value: Any) -> Any:
        return None if value in ("", "0", 0) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() in tuple(LogFormat):
            return value.lower()
        raise ValueError('expected "text" or "json"')

    @field_validator("push_time", "ingest_time", "ingest_cutoff")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        try:
            return f"{parse_hhmm(value):%H:%M}"
        except ValueError:
            raise ValueError("expected a time as HH:MM, e.g. 08:00") from None

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        if value not in LANGUAGES:
            raise ValueError('expected "ko" or "en"')
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone, e.g. Asia/Seoul") from exc
        return value

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not _TOKEN.match(value.get_secret_value()):
            # never echo the value: it is a secret even when malformed
            raise ValueError("not a bot token (expected 123456:ABC..., from @BotFather)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("api_url", "webhook_url", "hf_api_url", "llm_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    def secrets(self) -> list[str]:
        """The values that must never reach a log line or an error: the bot token and
        the model's API key."""
        found = [self.token, self.llm_api_key]
        return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]

    def require_token(self) -> str:
        if self.token is None:
            raise ConfigError("DIGESTBOT_TOKEN", "not set; get a token from @BotFather")
        return self.token.get_secret_value()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins


def load_settings(**overrides: Any) -> Settings:
    """Read settings now; a bad value becomes one ConfigError naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"DIGESTBOT_{field.upper()}", message) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
