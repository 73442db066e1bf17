"""Shared fixtures. Storage tests take ``db_url`` / ``engine`` / ``sessions`` and run on
SQLite always and on PostgreSQL when DIGESTBOT_TEST_POSTGRES_URL is set (CI sets it)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

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


async def _as_admin(sql: str) -> None:
    """One statement on the PostgreSQL test database itself (making or dropping a
    schema)."""
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def _new_schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def _postgres_schema_url() -> Iterator[str]:
    import asyncio

    schema = _new_schema()
    asyncio.run(_as_admin(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        # commits need not wait for the disk in tests (a crash of the test server loses
        # nothing a test needs)
        yield f"{POSTGRES_URL}{sep}search_path={schema}&synchronous_commit=off"
    finally:
        asyncio.run(_as_admin(f"DROP SCHEMA {schema} CASCADE"))


class MigratedSchema:
    """The schema the migrations make, made for real once per test process and then
    reproduced for each test's database (running the eight migrations cost 0.3–0.5 s a
    test): SQLite by copying the migrated file, PostgreSQL by replaying, in a fresh
    schema, the statements the real migration sent, in order, with their parameters.
    ``tests/store/test_migrations.py`` runs the migrations themselves."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._sqlite: Path | None = None
        self._postgres: list[tuple[str, Any, bool]] | None = None

    async def make(self, db_url: str) -> AsyncEngine:
        url = make_url(db_url)
        if url.get_backend_name() == "sqlite":
            target = Path(url.database or "")
            if not target.exists():  # noqa: ASYNC240 (a test fixture; a local file)
                shutil.copyfile(await self._sqlite_template(), target)
            return create_engine(db_url)
        engine = create_engine(db_url)
        if self._postgres is None:
            self._postgres = await _recorded_upgrade(db_url)
        async with engine.begin() as conn:
            script: list[str] = []  # statements without parameters go in one round trip
            for statement, params, many in self._postgres:
                if statement.lstrip().upper().startswith("SELECT"):
                    continue  # alembic reading its version, the migration lock: no effect
                if not params and not many:
                    script.append(statement)
                    continue
                await _run_script(conn, script)
                await conn.exec_driver_sql(statement, list(params) if many else params)
            await _run_script(conn, script)
        return engine

    async def _sqlite_template(self) -> Path:
        if self._sqlite is None:
            path = self._root / "migrated.db"
            engine = create_engine(f"sqlite+aiosqlite:///{path}")
            await upgrade(engine)
            await engine.dispose()  # the last connection closes: the WAL is folded in
            self._sqlite = path
        return self._sqlite


async def _run_script(conn: AsyncConnection, script: list[str]) -> None:
    if script:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute(";\n".join(script))
        script.clear()


async def _recorded_upgrade(db_url: str) -> list[tuple[str, Any, bool]]:
    """The statements a real migration sends, in a schema of its own (dropped after), so
    that every test database, the first included, is made the same way."""
    schema = _new_schema()
    await _as_admin(f"CREATE SCHEMA {schema}")
    url = make_url(db_url).update_query_dict({"search_path": schema})
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        return await _record(engine)
    finally:
        await engine.dispose()
        await _as_admin(f"DROP SCHEMA {schema} CASCADE")


async def _record(engine: AsyncEngine) -> list[tuple[str, Any, bool]]:
    sent: list[tuple[str, Any, bool]] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        sent.append((statement, params, many))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await upgrade(engine)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return sent


@pytest.fixture(scope="session")
def migrated_schema(tmp_path_factory: pytest.TempPathFactory) -> MigratedSchema:
    return MigratedSchema(tmp_path_factory.mktemp("schema"))


@pytest.fixture
async def engine(db_url: str, migrated_schema: MigratedSchema) -> AsyncIterator[AsyncEngine]:
    engine = await migrated_schema.make(db_url)
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
