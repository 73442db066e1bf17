from __future__ import annotations

from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.store.migrate import current_revision, downgrade, upgrade
from digestbot.store.models import Base
from tests.conftest import POSTGRES_ONLY


async def test_migrations_create_every_model_table(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert await current_revision(engine) is not None


async def test_model_columns_match_the_migrated_schema(engine: AsyncEngine) -> None:
    def columns(conn: Connection) -> dict[str, set[str]]:
        insp = inspect(conn)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in Base.metadata.tables}

    async with engine.connect() as conn:
        migrated = await conn.run_sync(columns)
    for name, table in Base.metadata.tables.items():
        assert {c.name for c in table.columns} == migrated[name], name


async def test_downgrade_to_base_and_upgrade_again(engine: AsyncEngine) -> None:
    await downgrade(engine, "base")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not set(Base.metadata.tables) & tables
    await upgrade(engine)
    assert await current_revision(engine) is not None


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
