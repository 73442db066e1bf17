"""Engine and sessions. SQLite gets WAL, foreign keys and a busy timeout on every
connection; PostgreSQL gets custom plans (the trigram/tsvector indexes stay in use)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _json(value: Any) -> str:
    # UTF-8 as it is: Korean text escaped as \uXXXX would double the bytes of every
    # stored message (the outbox keeps each delivery's rendered HTML)
    return json.dumps(value, ensure_ascii=False)


# PostgreSQL settings a database URL may carry as query parameters (each connection's)
_URL_SETTINGS = ("search_path", "synchronous_commit")


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    url = make_url(database_url)
    kwargs.setdefault("json_serializer", _json)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    connect_args = kwargs.pop("connect_args", {})
    server_settings = connect_args.setdefault("server_settings", {})
    # ?search_path=schema keeps digestbot in a schema of its own (tests use one per test);
    # ?synchronous_commit=off lets commits skip waiting for the disk (the test suite: a
    # crash may lose the last commits, so never for data that matters)
    for setting in _URL_SETTINGS:
        if setting in url.query:
            server_settings[setting] = str(url.query[setting])
            url = url.difference_update_query([setting])
    server_settings.setdefault("plan_cache_mode", "force_custom_plan")
    server_settings.setdefault("application_name", f"digestbot-{os.getpid()}")
    return create_async_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def upsert_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_*``) for the session's database."""
    dialect = session.bind.dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
