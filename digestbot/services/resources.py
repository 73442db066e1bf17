"""The long-lived resources every entry point needs: settings, database, HTTP, sources.

Opened by the CLI for one command, or by the bot's ``post_init`` hook for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digestbot import __version__
from digestbot.config import Settings
from digestbot.digest.sources import DigestSource, make_source
from digestbot.digest.sources.huggingface import HuggingFaceSource
from digestbot.services.ingest import Sources
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade

if TYPE_CHECKING:
    from digestbot.digest.sources.summarizer import Summarizer


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    source: DigestSource  # the archive
    sources: Sources  # every configured source: what ingest_day reads


@asynccontextmanager
async def open_resources(
    settings: Settings, *, migrate: bool = True, source_backoff: float = 1.0
) -> AsyncIterator[Resources]:
    engine = create_engine(settings.database_url)
    http = httpx.AsyncClient(
        timeout=settings.source_timeout,
        headers={"User-Agent": f"digestbot/{__version__}"},
    )
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        stack.push_async_callback(http.aclose)
        source = make_source(
            settings.source, http, retries=settings.source_retries, backoff=source_backoff
        )
        hf = (
            HuggingFaceSource(
                settings.hf_api_url, http, retries=settings.source_retries, backoff=source_backoff
            )
            if settings.hf_api_url
            else None
        )
        summarizer: Summarizer | None = None
        if settings.llm_base_url:
            # the openai client takes a third of a second to import: only when used
            from digestbot.digest.sources.summarizer import Summarizer

            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            summarizer = Summarizer(
                settings.llm_base_url,
                key,
                settings.llm_model,
                timeout=settings.llm_timeout,
                concurrency=settings.llm_concurrency,
            )
            stack.push_async_callback(summarizer.aclose)
        if migrate:
            await upgrade(engine)
        sources = Sources(source, hf, summarizer, settings.llm_max_papers_per_day)
        yield Resources(settings, engine, session_factory(engine), http, source, sources)
