"""Shared fixtures. Storage tests take ``db_url`` / ``engine`` / ``sessions`` and run on
SQLite always and on PostgreSQL when DIGESTBOT_TEST_POSTGRES_URL is set (CI sets it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot.packaged import sample_digests
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade
from tests.support.botapi import FakeBotAPI

POSTGRES_URL = os.environ.get("DIGESTBOT_TEST_POSTGRES_URL", "")
# python-telegram-bot warns (an error under pytest) on int retry_after unless opted in
os.environ.setdefault("PTB_TIMEDELTA", "true")
# nothing in the tests reaches the internet: Hugging Face is a local server where a test
# wants it (tests/support/hf_server.py), off everywhere else, subprocesses included
os.environ["DIGESTBOT_HF_API_URL"] = ""
os.environ.pop("DIGESTBOT_LLM_BASE_URL", None)
DIGESTS = sample_digests()

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL,
            reason="PostgreSQL tests need DIGESTBOT_TEST_POSTGRES_URL "
            "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test); .ci/run sets it",
        ),
    ),
]

# For a test about several processes sharing one database: PostgreSQL only.
# Use as @POSTGRES_ONLY on a test that takes ``db_url`` (or ``engine`` / ``sessions``).
POSTGRES_ONLY = pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of its own: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    yield from _postgres_schema_url()


def _postgres_schema_url() -> Iterator[str]:
    import asyncio

    schema = f"t_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        engine = create_engine(POSTGRES_URL)
        async with engine.begin() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(run(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        # commits need not wait for the disk in tests (a crash of the test server loses
        # nothing a test needs)
        yield f"{POSTGRES_URL}{sep}search_path={schema}&synchronous_commit=off"
    finally:
        asyncio.run(run(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


# Delivery limits high enough that a test is never waiting on them (tests of the limits
# themselves set their own).
FAST_LIMITS = {
    "rate_global_per_second": 2000.0,
    "rate_private_per_second": 200.0,
    "rate_group_per_minute": 12000.0,
}


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    """A local Bot API server; a test may register chats and users on it. It fails the
    test if the server itself hit an internal error."""
    with FakeBotAPI() as server:
        yield server
        assert server.errors == []
