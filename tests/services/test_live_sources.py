"""A digest every day: Hugging Face's list, the archive and the model's Korean summaries
merged into one stored day, through the real clients (httpx, openai) against local
servers speaking the real protocols, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.config import load_settings
from digestbot.digest.parser import parse_digest
from digestbot.digest.sources import FolderSource, HttpSource
from digestbot.digest.sources.huggingface import HuggingFaceSource
from digestbot.digest.sources.summarizer import Summarizer
from digestbot.digest.summaries import SECTION_NAMES
from digestbot.present.export import format_jsonl
from digestbot.present.plain import html_to_text
from digestbot.present.stats import render_stats
from digestbot.services import admin
from digestbot.services.ingest import Sources, ingest_day, refresh_votes
from digestbot.store import models as m
from digestbot.store.archive import PaperView, export_papers
from tests.conftest import DIGESTS
from tests.support.digest_server import DigestServer
from tests.support.hf_server import HFServer, hf_item
from tests.support.llm_server import Fault, LLMServer, summary_for

Sessions = async_sessionmaker[AsyncSession]
DAY = dt.date(2025, 6, 2)  # after the archive's last day: Hugging Face only
ARCHIVE_DAY = dt.date(2025, 5, 9)
KEY = "sk-test-do-not-log-0123456789"


@pytest.fixture
def hf() -> Iterator[HFServer]:
    with HFServer() as server:
        yield server


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer(model="test-model", slow_seconds=1.0) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
async def summarizer(llm: LLMServer) -> AsyncIterator[Summarizer]:
    async with Summarizer(
        llm.base_url, KEY, "test-model", timeout=0.5, max_retries=2, concurrency=3
    ) as client:
        yield client


def hf_source(hf: HFServer, http: httpx.AsyncClient) -> HuggingFaceSource:
    return HuggingFaceSource(hf.url, http, retries=1, backoff=0.01)


def papers_of(n: int, *, votes: list[int] | None = None) -> list[dict[str, object]]:
    votes = votes or [10 * i for i in range(1, n + 1)]
    return [
        hf_item(
            f"2506.{i:05d}",
            f"Paper {i}",
            votes[i - 1],
            summary=f"We study problem {i} with method {i}.",
            ai_summary=f"Paper {i} in one English sentence.",
            github_repo=f"https://github.com/lab/p{i}",
            github_stars=100 * i,
        )
        for i in range(1, n + 1)
    ]


async def day_of(sessions: Sessions, day: dt.date) -> list[PaperView]:
    async with sessions() as s:
        return list(await export_papers(s, day, day))


async def test_a_day_only_on_hugging_face_gets_korean_sections_once_through_faults(
    sessions: Sessions,
    hf: HFServer,
    llm: LLMServer,
    http: httpx.AsyncClient,
    summarizer: Summarizer,
) -> None:
    hf.set_day(DAY, papers_of(6))
    for i, fault in enumerate(
        [
            Fault.RATE_LIMIT,  # 429 with Retry-After: the client waits and retries
            Fault.SERVER_ERROR,  # 500: retried
            Fault.SLOW,  # longer than the client's timeout: retried
            Fault.NOT_JSON,  # invalid answers: asked once more
            Fault.ENGLISH,
            Fault.MISSING_KEY,
        ],
        start=1,
    ):
        llm.fail_for(f"Paper {i}", fault)
    sources = Sources(None, hf_source(hf, http), summarizer, max_summaries=60)
    result = await ingest_day(sessions, sources, DAY)
    assert result.status == "stored" and result.papers == 6
    assert result.sources == ("huggingface",)
    assert result.summaries is not None
    assert (result.summaries.written, result.summaries.failed) == (6, 0)
    assert result.summaries.pending == 0
    assert result.summaries.prompt_tokens > 0 and result.summaries.completion_tokens > 0
    stored = await day_of(sessions, DAY)
    # ranks follow Hugging Face's votes: Paper 6 has the most
    assert [p.title for p in stored] == [f"Paper {i}" for i in range(6, 0, -1)]
    for paper in stored:
        expected = summary_for(paper.title)
        assert [s.name for s in paper.sections] == list(SECTION_NAMES)
        assert [s.text for s in paper.sections] == [expected[name] for name in SECTION_NAMES]
        assert paper.summary_origin == "model:test-model"
        assert paper.abstract is not None and paper.github_stars is not None
        # one request spoiled by its fault, one that gave the summary
        assert llm.requests_for(paper.title) == 2, paper.title
    assert all(r.authorization == f"Bearer {KEY}" for r in llm.requests)
    async with sessions() as s:
        usage = (await s.scalars(select(m.LlmUsage))).all()
    assert len(usage) == 6 and all(u.ok for u in usage)
    settings = load_settings(
        database_url="sqlite+aiosqlite:///unused.db", llm_base_url=llm.base_url, language="en"
    )
    async with sessions() as s:
        stats = await admin.collect_stats(s, settings, dt.datetime.now(dt.UTC))
    prompt = sum(u.prompt_tokens for u in usage)
    completion = sum(u.completion_tokens for u in usage)
    assert stats.llm == (6, 6, prompt, completion) and stats.summaries_pending == 0
    line = html_to_text(render_stats(stats, "en", ZoneInfo("Asia/Seoul"))).split("\n")[-1]
    assert line == (
        f"🤖 Summaries today: 6 requests (6 written), {prompt + completion:,} tokens; "
        "0 papers of the newest digest still pending"
    )

    # the export shows the fresh votes and every section, whichever its origin
    [record] = [json.loads(line) for line in format_jsonl(stored[:1])]
    assert (record["arxiv_id"], record["votes"], record["rank"]) == ("2506.00006", 60, 1)
    assert record["summary_origin"] == "model:test-model"
    assert [x["name"] for x in record["sections"]] == list(SECTION_NAMES)
    assert record["github_repo"] == "https://github.com/lab/p6" and record["github_stars"] == 600

    # a second ingest asks the model nothing and re-ranks by the new votes
    asked = len(llm.requests)
    hf.set_day(DAY, papers_of(6, votes=[60, 50, 40, 30, 20, 10]))
    again = await ingest_day(sessions, sources, DAY)
    assert again.status == "stored" and again.summaries is not None
    assert again.summaries.written == 0 and len(llm.requests) == asked
    reranked = await day_of(sessions, DAY)
    assert [p.title for p in reranked] == [f"Paper {i}" for i in range(1, 7)]
    assert [p.votes for p in reranked] == [60, 50, 40, 30, 20, 10]
    assert all(p.summary_origin == "model:test-model" for p in reranked)


async def test_an_archive_day_keeps_its_text_takes_fresh_votes_and_fills_only_the_gaps(
    sessions: Sessions,
    hf: HFServer,
    llm: LLMServer,
    http: httpx.AsyncClient,
    summarizer: Summarizer,
) -> None:
    archive = parse_digest((DIGESTS / "2025/05/09.md").read_bytes())
    listed = archive.papers[:3]
    hf.set_day(
        ARCHIVE_DAY,
        [hf_item(p.arxiv_id, p.title, 500 - i) for i, p in enumerate(listed)]
        + [hf_item("2505.99991", "A paper the archive missed", 7, summary="Abstract one.")]
        + [hf_item("2505.99992", "Another one it missed", 3, summary="Abstract two.")],
    )
    sources = Sources(FolderSource(DIGESTS), hf_source(hf, http), summarizer, 60)
    result = await ingest_day(sessions, sources, ARCHIVE_DAY)
    assert result.status == "stored" and result.papers == 22
    assert result.sources == ("archive", "huggingface")
    stored = {p.arxiv_id: p for p in await day_of(sessions, ARCHIVE_DAY)}
    for original in archive.papers:
        paper = stored[original.arxiv_id]
        # the archive's sections, word for word
        assert paper.sections == original.sections
        assert paper.summary_origin == "archive"
    # the papers Hugging Face lists take its votes; the others keep the archive's
    assert [stored[p.arxiv_id].votes for p in listed] == [500, 499, 498]
    assert [stored[p.arxiv_id].rank for p in listed] == [1, 2, 3]
    assert stored[archive.papers[5].arxiv_id].votes == archive.papers[5].votes
    # only the two papers the archive lacks were summarised
    assert [r.title for r in llm.requests] == ["A paper the archive missed"] or sorted(
        r.title or "" for r in llm.requests
    ) == ["A paper the archive missed", "Another one it missed"]
    assert len(llm.requests) == 2
    assert stored["2505.99991"].summary_origin == "model:test-model"
    assert stored["2505.99992"].summary_origin == "model:test-model"


async def test_a_summary_given_up_stays_pending_and_a_later_ingest_tries_again(
    sessions: Sessions,
    hf: HFServer,
    llm: LLMServer,
    http: httpx.AsyncClient,
    summarizer: Summarizer,
) -> None:
    hf.set_day(DAY, papers_of(2))
    llm.fail_for("Paper 1", Fault.ENGLISH, times=2)  # invalid twice: given up for now
    sources = Sources(None, hf_source(hf, http), summarizer, 60)
    first = await ingest_day(sessions, sources, DAY)
    assert first.summaries is not None
    assert (first.summaries.written, first.summaries.failed, first.summaries.pending) == (1, 1, 1)
    pending = {p.title: p for p in await day_of(sessions, DAY)}["Paper 1"]
    assert pending.sections == () and pending.summary_origin is None
    assert pending.abstract == "We study problem 1 with method 1."
    async with sessions() as s:
        row = await s.scalar(select(m.Paper).where(m.Paper.arxiv_id == "2506.00001"))
    assert row is not None and row.summary_attempts == 1
    assert "invalid answer 2 times" in row.summary_error and KEY not in row.summary_error
    second = await ingest_day(sessions, sources, DAY)
    assert second.summaries is not None and second.summaries.written == 1
    assert llm.requests_for("Paper 1") == 3 and llm.requests_for("Paper 2") == 1


async def test_the_daily_cap_and_two_instances_never_ask_twice(
    sessions: Sessions, hf: HFServer, llm: LLMServer, http: httpx.AsyncClient
) -> None:
    hf.set_day(DAY, papers_of(6))
    llm.latency = (0.05, 0.1)
    async with (
        Summarizer(llm.base_url, KEY, "test-model", timeout=2.0, concurrency=3) as one,
        Summarizer(llm.base_url, KEY, "test-model", timeout=2.0, concurrency=3) as two,
    ):
        capped = Sources(None, hf_source(hf, http), one, max_summaries=2)
        first = await ingest_day(sessions, capped, DAY)
        assert first.summaries is not None
        assert (first.summaries.written, first.summaries.over_cap) == (2, 4)
        assert len(llm.requests) == 2
        # two instances summarise the same day at once: each paper is asked for once
        await asyncio.gather(
            ingest_day(sessions, Sources(None, hf_source(hf, http), one, 60), DAY),
            ingest_day(sessions, Sources(None, hf_source(hf, http), two, 60), DAY),
        )
    assert sorted(r.title or "" for r in llm.requests) == sorted(f"Paper {i}" for i in range(1, 7))
    async with sessions() as s:
        sections = await s.scalar(select(func.count()).select_from(m.Section))
    assert sections == 6 * len(SECTION_NAMES)


async def test_votes_are_refreshed_when_old_and_left_when_fresh(
    sessions: Sessions, hf: HFServer, http: httpx.AsyncClient
) -> None:
    hf.set_day(DAY, papers_of(3))
    source = hf_source(hf, http)
    await ingest_day(sessions, Sources(None, source), DAY)
    asked = hf.count()
    recent = dt.datetime.now(dt.UTC)
    fresh = await refresh_votes(sessions, source, DAY, max_age=dt.timedelta(minutes=10), now=recent)
    assert fresh is False and hf.count() == asked
    hf.set_day(DAY, papers_of(3, votes=[90, 5, 1]))
    later = recent + dt.timedelta(minutes=11)
    assert await refresh_votes(sessions, source, DAY, max_age=dt.timedelta(minutes=10), now=later)
    stored = await day_of(sessions, DAY)
    assert [(p.title, p.votes, p.rank) for p in stored] == [
        ("Paper 1", 90, 1),
        ("Paper 2", 5, 2),
        ("Paper 3", 1, 3),
    ]
    # the positions (the list's order) and the search ranking key follow
    assert [p.position for p in stored] == [1, 2, 3]


async def test_a_failing_source_does_not_lose_the_day_and_health_is_kept(
    sessions: Sessions, hf: HFServer, http: httpx.AsyncClient
) -> None:
    dead = HuggingFaceSource("http://127.0.0.1:9", http, retries=0, backoff=0.01)
    with DigestServer(DIGESTS) as server:  # the archive over HTTP, as in production
        archive = HttpSource(server.url + "/{YYYY}/{MM}/{DD}.md", http, retries=0)
        stored = await ingest_day(sessions, Sources(archive, dead), ARCHIVE_DAY)
        assert stored.status == "stored" and stored.papers == 20
        assert len(stored.problems) == 1 and "127.0.0.1:9" in stored.problems[0]
        hf.set_day(DAY, papers_of(2))
        only_hf = await ingest_day(sessions, Sources(archive, hf_source(hf, http)), DAY)
    assert only_hf.status == "stored" and only_hf.sources == ("huggingface",)
    settings = load_settings(
        database_url="sqlite+aiosqlite:///unused.db", hf_api_url=hf.url, language="en"
    )
    async with sessions.begin() as s:
        stats = await admin.collect_stats(s, settings, dt.datetime.now(dt.UTC))
        # the archive published nothing after 2025-05-09 while Hugging Face had June 2
        assert await admin.archive_silence(s) == ARCHIVE_DAY
        assert await admin.archive_silence(s) is None  # once, not every day
    text = html_to_text(render_stats(stats, "en", ZoneInfo("Asia/Seoul")))
    lines = text.split("\n")
    archive_line = next(line for line in lines if line.startswith("Source archive:"))
    assert archive_line.endswith("newest day 2025-05-09")
    hf_line = next(line for line in lines if line.startswith("Source Hugging Face:"))
    assert hf_line.endswith("newest day 2025-06-02")


def test_weekday_rule_of_the_silence_alert() -> None:
    friday, monday, tuesday = dt.date(2025, 5, 9), dt.date(2025, 5, 12), dt.date(2025, 5, 13)
    assert admin.weekdays_between(friday, monday) == 1  # the weekend does not count
    assert not admin.archive_silent(friday, monday)
    assert admin.archive_silent(friday, tuesday)
    assert not admin.archive_silent(None, tuesday) and not admin.archive_silent(friday, None)
