"""`/similar` on both backends: papers sharing the paper's rarest terms, ranked by the
index's score (bm25 / ts_rank), never the paper itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.digest.model import Digest, Paper, Section
from digestbot.search.index import merge_pending_lists
from digestbot.search.similar import candidate_terms, similar_papers
from digestbot.services.ingest import write_day
from digestbot.store.archive import get_paper
from tests.conftest import POSTGRES_ONLY

Sessions = async_sessionmaker[AsyncSession]
DAY = dt.date(2025, 5, 9)
FILLER = "이 논문은 새로운 방법을 제안합니다. Transformer 기반 모델의 성능을 높였습니다."


def paper(i: int, title: str, text: str) -> Paper:
    arxiv_id = f"2505.{i:05d}"
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        votes=100 - i,
        authors=("Ada Kim",),
        sections=(Section("What's New", f"{text} {FILLER}"),),
        position=i,
        rank=i,
    )


PAPERS = [
    paper(1, "Flow-GRPO: Online RL for Flow Matching", "GRPO를 Flow Matching에 적용한 SDE 샘플링."),
    paper(2, "DanceGRPO: GRPO for Video Flow Matching", "GRPO와 Flow Matching으로 비디오 생성."),
    paper(3, "Reward Models for GRPO", "GRPO 보상 모델을 다룹니다."),
    paper(4, "Flow Matching Survey", "Flow Matching 방법들을 정리합니다."),
    *(paper(i, f"Unrelated Vision Benchmark {i}", "ImageNet 분류 실험.") for i in range(5, 25)),
]


async def store(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await write_day(session, Digest(DAY, tuple(PAPERS)), "0" * 64)


def test_candidate_terms_weigh_the_title_and_skip_common_words() -> None:
    terms = candidate_terms(
        "Flow-GRPO: Online RL for Flow Matching", ["GRPO와 SDE의 결합 the model"]
    )
    assert terms[:2] == ["flow", "grpo"]
    assert "for" not in terms and "the" not in terms and "model" not in terms
    assert "sde" in terms and "rl" not in terms  # two letters say too little


async def test_similar_papers_share_the_rarest_terms(sessions: Sessions) -> None:
    await store(sessions)
    async with sessions() as session:
        flow = await get_paper(session, "2505.00001")
        assert flow is not None
        found = await similar_papers(session, flow)
    ids = [p.arxiv_id for p in found.papers]
    assert "2505.00001" not in ids
    # DanceGRPO shares GRPO, flow and matching: first; the GRPO and the flow-matching
    # papers follow; the benchmarks share only common words and are not listed
    assert ids[0] == "2505.00002"
    assert set(ids) == {"2505.00002", "2505.00003", "2505.00004"}
    assert {"grpo", "flow", "matching"} <= set(found.terms)
    assert "transformer" not in found.terms  # in every paper: says nothing


async def test_a_paper_with_nothing_distinctive_has_no_similar_papers(sessions: Sessions) -> None:
    await store(sessions)
    async with sessions() as session:
        lone = await get_paper(session, "2505.00010")
        assert lone is not None
        found = await similar_papers(session, lone)
    # "unrelated", "vision", "benchmark" are in a fifth of the archive: too common here
    assert found.papers == ()


@POSTGRES_ONLY
async def test_an_ingest_leaves_no_pending_list_in_the_search_indexes(
    sessions: Sessions,
) -> None:
    # a GIN pending list is read in full by every search until merged; the ingest merges
    # it, so merging again finds nothing (a count of pages)
    await store(sessions)
    async with sessions.begin() as session:
        pending = await merge_pending_lists(await session.connection())
        indexed = await session.scalar(text("SELECT count(*) FROM search_docs"))
    assert pending == (0, 0)
    assert indexed == len(PAPERS)
