"""The migrations, run for real (other storage tests get a copy of their schema: see
``tests/conftest.py``, ``MigratedSchema``, and the last test here)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.store.db import create_engine
from digestbot.store.migrate import current_revision, downgrade, upgrade
from digestbot.store.models import Base
from tests.conftest import POSTGRES_ONLY, _postgres_schema_url


@pytest.fixture
async def migrated(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A database brought to the newest revision by the migrations themselves."""
    engine = create_engine(db_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


async def test_migrations_create_every_model_table(migrated: AsyncEngine) -> None:
    async with migrated.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert await current_revision(migrated) is not None


async def test_model_columns_match_the_migrated_schema(migrated: AsyncEngine) -> None:
    def columns(conn: Connection) -> dict[str, set[str]]:
        insp = inspect(conn)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in Base.metadata.tables}

    async with migrated.connect() as conn:
        found = await conn.run_sync(columns)
    for name, table in Base.metadata.tables.items():
        assert {c.name for c in table.columns} == found[name], name


async def test_downgrade_to_base_and_upgrade_again(migrated: AsyncEngine) -> None:
    await downgrade(migrated, "base")
    async with migrated.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not set(Base.metadata.tables) & tables
    await upgrade(migrated)
    assert await current_revision(migrated) is not None


@POSTGRES_ONLY  # several instances share a database only on PostgreSQL
async def test_instances_starting_together_migrate_one_after_the_other(db_url: str) -> None:
    import asyncio

    from digestbot.store.db import create_engine

    engines = [create_engine(db_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(e) for e in engines))
        revisions = {await current_revision(e) for e in engines}
    finally:
        for e in engines:
            await e.dispose()
    assert len(revisions) == 1 and None not in revisions


async def schema_of(engine: AsyncEngine) -> list[tuple[str, ...]]:
    """Everything the schema is made of, as the database itself describes it: tables,
    columns, indexes, constraints, triggers, and the Alembic revision."""
    if engine.dialect.name == "sqlite":
        queries = [
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ]
    else:
        queries = [
            "SELECT table_name, column_name, data_type, is_nullable, "
            "coalesce(column_default, '') FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY 1, 2",
            "SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') "
            "FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2",
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
            "ORDER BY 1, 2",
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2",
        ]
    queries.append("SELECT version_num FROM alembic_version")
    rows: list[tuple[str, ...]] = []
    async with engine.connect() as conn:
        for query in queries:
            rows += [tuple(str(v) for v in row) for row in await conn.execute(text(query))]
    return rows


@pytest.fixture
def second_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
    else:
        yield from _postgres_schema_url()


async def test_the_storage_tests_get_exactly_the_migrated_schema(
    engine: AsyncEngine, second_db_url: str
) -> None:
    # ``engine`` is the fixture's copy; the second database is migrated for real
    real = create_engine(second_db_url)
    try:
        await upgrade(real)
        expected = await schema_of(real)
    finally:
        await real.dispose()
    assert len(expected) > 20  # every table and index (SQLite: 34 rows)
    assert await schema_of(engine) == expected
