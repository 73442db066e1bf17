"""`/search` on both backends: what each query class finds, hostile input, agreement
with the brute-force reference, the index kept in step with ingest, pagination."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.model import Digest, Paper, Section
from digestbot.search.engine import search_papers
from digestbot.search.query import normalise, parse_query, runs
from digestbot.search.reference import analyse, matches
from digestbot.services.ingest import store_parsed, store_text, write_day
from digestbot.store import models as m
from digestbot.store.archive import PaperView, export_papers
from tests.support.mutations import sample_texts

Sessions = async_sessionmaker[AsyncSession]


async def ingest_samples(sessions: Sessions) -> None:
    for name, content in sample_texts().items():
        result = await store_text(sessions, content.encode(), name)
        assert result.status == "stored", result


async def ids(sessions: Sessions, query: str, limit: int = 500) -> set[str]:
    async with sessions() as session:
        result = await search_papers(session, query, limit=limit)
    assert result.total == len(result.papers)
    return {p.arxiv_id for p in result.papers}


def fields(p: PaperView) -> list[str]:
    return [p.title, *p.authors, *(s.text for s in p.sections)]


@pytest.fixture
async def samples(sessions: Sessions) -> Sessions:
    await ingest_samples(sessions)
    return sessions


async def test_each_query_class_finds_what_it_should(samples: Sessions) -> None:
    # DiT: in 2406.06525 ("DiT와"), 2408.12590 ("DiT 모델은"), 2408.12588 ("DiT(Diffusion"),
    # 2502.09509 ("DiT-XL/2"); never "Editing" (2403.09334, 2406.07547, 2502.11177)
    assert await ids(samples, "DiT") == {"2406.06525", "2408.12590", "2408.12588", "2502.09509"}
    # one Hangul syllable, only in "떨어짐을" of 2502.11177
    assert await ids(samples, "짐") == {"2502.11177"}
    assert await ids(samples, "어짐") == {"2502.11177"}
    assert await ids(samples, "떨어짐을") == {"2502.11177"}
    # an author name (2408.12599's second author), any case, words in any order
    assert await ids(samples, "Shunyu Yao") == {"2408.12599"}
    assert await ids(samples, "yao SHUNYU") == {"2408.12599"}
    # a title word and a Korean word from the same paper, ANDed
    assert "2408.12569" in await ids(samples, "Sapiens 사람")
    assert await ids(samples, "Sapiens 떨어짐") == set()
    # a word from a title
    found = await ids(samples, "Editing")
    assert {"2403.09334", "2406.07547", "2502.11177"} <= found
    assert "2406.06525" not in found


async def test_hostile_input_never_raises(samples: Sessions) -> None:
    hostile = [
        '" * NEAR ( ) OR AND -- ; DROP TABLE papers;',
        '"',
        "*",
        "NEAR(a b, 3)",
        "(((",
        "' OR 1=1 --",
        "모델 AND NOT OR",
        "x" * 10_000,
        "모델 " * 2_000,
        "🤖🔥 😀",
        "\x00\x01 \u200b",
        "{head} : 모델",
        "^a:* & !b <-> c",
        "",
        "   ",
    ]
    async with samples() as session:
        for q in hostile:
            result = await search_papers(session, q, limit=5)
            assert result.total >= len(result.papers)
    async with samples() as session:
        assert (await search_papers(session, "🤖🔥 😀")).terms == ()
        assert (await search_papers(session, "🤖🔥 😀")).total == 0
        assert await session.scalar(select(m.Paper.id).limit(1)) is not None  # still there


def generated_queries(papers: list[PaperView], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    queries = []
    for _ in range(n):
        p = rng.choice(papers)
        pool = [r for f in fields(p) for _, r in runs(normalise(f))]
        word = rng.choice(pool)
        kind = rng.randrange(5)
        if kind == 0:  # a Hangul or Latin piece: a substring / prefix
            start = rng.randrange(len(word))
            queries.append(word[start : start + rng.randint(1, 4)])
        elif kind == 1:
            queries.append(" ".join(rng.sample(pool, min(len(pool), 2))))
        elif kind == 2 and p.authors:
            queries.append(rng.choice(p.authors))
        elif kind == 3:  # from another paper: often nothing
            other = rng.choice(papers)
            queries.append(f"{word} {rng.choice(other.title.split())}")
        else:
            queries.append(rng.choice(p.title.split()) + rng.choice(["", "-4o", "s", "*", ")"]))
    return queries


async def test_agrees_with_the_brute_force_reference(samples: Sessions) -> None:
    async with samples() as session:
        stored = await export_papers(session)
        latest = {p.arxiv_id: p for p in stored}  # by day: the last one is the latest
        papers = list(latest.values())
        pid = {
            a: i for a, i in (await session.execute(select(m.Paper.arxiv_id, m.Paper.id))).tuples()
        }
        rng = random.Random(5)
        analysed = {p.arxiv_id: analyse(fields(p)) for p in papers}
        heads = {p.arxiv_id: analyse([p.title, *p.authors]) for p in papers}
        for q in generated_queries(papers, 300, seed=11):
            parsed = parse_query(q)
            expected = [p for p in papers if matches(parsed, analysed[p.arxiv_id])]
            expected.sort(
                key=lambda p: (
                    not matches(parsed, heads[p.arxiv_id]),
                    -(p.votes if p.votes is not None else -1),
                    -(p.day or dt.date.min).toordinal(),
                    pid[p.arxiv_id],
                )
            )
            offset = rng.randrange(max(len(expected) - 5, 1))  # a page somewhere in it
            result = await search_papers(session, q, limit=10, offset=offset)
            assert result.total == len(expected), q
            want = [p.arxiv_id for p in expected[offset : offset + 10]]
            assert [p.arxiv_id for p in result.papers] == want, q


async def test_pagination_is_exact(samples: Sessions) -> None:
    async with samples() as session:
        everything = await search_papers(session, "모델", limit=1000)
        assert everything.total > 100
        pages: list[str] = []
        for offset in range(0, everything.total + 7, 7):
            page = await search_papers(session, "모델", limit=7, offset=offset)
            assert page.total == everything.total
            assert page.offset == offset
            pages.extend(p.arxiv_id for p in page.papers)
        assert pages == [p.arxiv_id for p in everything.papers]
        # head matches first: "diffusion" in a title outranks it in a summary only
        result = await search_papers(session, "diffusion", limit=100)
        in_title = ["diffusion" in p.title.lower() for p in result.papers]
        assert in_title == sorted(in_title, reverse=True)
        assert any(in_title) and not all(in_title)


def synthetic(day: dt.date, title: str, section: str, votes: int = 5) -> Digest:
    paper = Paper(
        arxiv_id="2501.00001",
        title=title,
        url="https://arxiv.org/abs/2501.00001",
        votes=votes,
        authors=("Ada Lovelace",),
        sections=(Section("What's New", section),),
        position=1,
        rank=1,
    )
    return Digest(date=day, papers=(paper,), source="test")


async def test_reingest_keeps_the_index_in_step(sessions: Sessions) -> None:
    day = dt.date(2025, 1, 2)
    await store_parsed(sessions, synthetic(day, "Quokka Transformers", "양자화 실험"), "a" * 64)
    assert await ids(sessions, "quokka") == {"2501.00001"}
    assert await ids(sessions, "양자") == {"2501.00001"}
    await store_parsed(sessions, synthetic(day, "Wombat Transformers", "증류 실험"), "b" * 64)
    assert await ids(sessions, "quokka") == set()
    assert await ids(sessions, "양자") == set()
    assert await ids(sessions, "wombat 증류") == {"2501.00001"}
    assert await ids(sessions, "Lovelace") == {"2501.00001"}


async def test_votes_rank_and_follow_reingest(sessions: Sessions) -> None:
    day = dt.date(2025, 1, 3)
    papers = tuple(
        Paper(
            arxiv_id=f"2501.0000{i}",
            title=f"Capybara {i}",
            url=f"https://arxiv.org/abs/2501.0000{i}",
            votes=votes,
            position=i,
            rank=i,
        )
        for i, votes in ((1, 30), (2, 20), (3, None))
    )
    await store_parsed(sessions, Digest(day, papers, "t"), "c" * 64)
    async with sessions() as session:
        result = await search_papers(session, "capybara")
    assert [p.arxiv_id for p in result.papers] == ["2501.00001", "2501.00002", "2501.00003"]
    # the same day again, votes reversed, the third paper dropped from the day
    again = (
        dataclasses.replace(papers[0], votes=1, rank=2),
        dataclasses.replace(papers[1], votes=50, rank=1),
    )
    await store_parsed(sessions, Digest(day, again, "t"), "d" * 64)
    async with sessions() as session:
        result = await search_papers(session, "capybara")
    assert [p.arxiv_id for p in result.papers] == ["2501.00002", "2501.00001", "2501.00003"]
    assert [p.votes for p in result.papers] == [50, 1, None]


async def test_failed_ingest_leaves_no_index_rows(sessions: Sessions) -> None:
    digest = synthetic(dt.date(2025, 1, 4), "Narwhal Networks", "고래 실험")
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await write_day(session, digest, "e" * 64)
            assert (await search_papers(session, "narwhal")).total == 1  # indexed, then...
            raise RuntimeError("the rest of the day's ingest failed")
    assert await ids(sessions, "narwhal") == set()
    assert await ids(sessions, "고래") == set()
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM search_docs")) == 0
        if session.bind.dialect.name == "sqlite":
            assert await session.scalar(text("SELECT count(*) FROM search_fts")) == 0


async def test_a_result_list_can_leave_the_sections_out(samples: Sessions) -> None:
    async with samples() as session:
        full = await search_papers(session, "모델", limit=5)
        titles = await search_papers(session, "모델", limit=5, with_sections=False)
    assert full.total == titles.total > 5
    assert [p.arxiv_id for p in titles.papers] == [p.arxiv_id for p in full.papers]
    assert all(p.sections for p in full.papers)
    assert not any(p.sections for p in titles.papers)
    assert [p.votes for p in titles.papers] == [p.votes for p in full.papers]
