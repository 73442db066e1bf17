"""The long-lived resources every entry point needs: settings, database, HTTP, source.

Opened by the CLI for one command, or by the bot's ``post_init`` hook for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot import __version__
from digestbot.config import Settings
from digestbot.digest.sources import DigestSource, make_source
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    source: DigestSource


@asynccontextmanager
async def open_resources(
    settings: Settings, *, migrate: bool = True, source_backoff: float = 1.0
) -> AsyncIterator[Resources]:
    engine = create_engine(settings.database_url)
    http = httpx.AsyncClient(
        timeout=settings.source_timeout,
        headers={"User-Agent": f"digestbot/{__version__}"},
    )
    try:
        source = make_source(
            settings.source, http, retries=settings.source_retries, backoff=source_backoff
        )
        if migrate:
            await upgrade(engine)
        yield Resources(settings, engine, session_factory(engine), http, source)
    finally:
        await http.aclose()
        await engine.dispose()
