"""Follows: what a follow means (pure), its normalised key, and the day's matches
computed once per distinct follow — which must find exactly what /search finds (both
backends; /search itself agrees with the brute-force reference: test_engine) and, for
``author:``, what the brute-force meaning finds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.search.engine import search_papers
from digestbot.search.follow import (
    PaperText,
    day_matches,
    follow_key,
    follow_matches_paper,
    parse_follow,
)
from digestbot.store.archive import PaperView, day_papers, stored_days
from tests.search.test_engine import generated_queries, ingest_samples

Sessions = async_sessionmaker[AsyncSession]


def key(text: str) -> str:
    return follow_key(parse_follow(text))


def test_the_same_follow_written_twice_has_one_key() -> None:
    assert key("Diffusion  GPT-4o") == key("gpt-4O diffusion") == "diffusion gpt-4o"
    assert key("확산 모델") == key("모델 확산") == key("모델   확산 모델")
    assert key("gpt 4o") != key("gpt-4o")  # two terms, not one phrase
    assert key("LeCun author:Yann") == "lecun author:yann"
    assert key("author:Yann LeCun") == key("AUTHOR:lecun yann") == "author:lecun yann"
    # a key parses back to itself
    for text in ("Diffusion GPT-4o", "확산 author:Kim Min-jun", "author:sui"):
        assert key(key(text)) == key(text)
    # nothing to search for: an empty follow
    for text in ("", "!!! ???", "author:", "🤖 ***"):
        assert not parse_follow(text) and key(text) == ""
    # "author:" only starts a chunk: "coauthor:x" is plain words
    assert key("coauthor:x") == "coauthor-x"


def _paper(title: str, authors: list[str], sections: list[str]) -> PaperText:
    return PaperText(title, authors, sections)


def test_author_part_matches_inside_one_author_name() -> None:
    papers = [
        _paper("Diffusion for robots", ["Yann LeCun", "Min Kim"], ["확산 모델을 씁니다"]),
        _paper("Diffusion again", ["Yann Dauphin", "Kim LeCun"], []),
        _paper("Other", ["Yann LeCun"], []),
    ]
    found = day_matches(
        papers,
        [key("diffusion author:Yann LeCun"), key("author:yann"), key("확산"), key("zebra")],
    )
    assert found == {
        "diffusion author:lecun yann": frozenset({0}),  # paper 1 has yann and lecun apart
        "author:yann": frozenset({0, 1, 2}),
        "확산": frozenset({0}),
    }


def texts(papers: list[PaperView] | tuple[PaperView, ...]) -> list[PaperText]:
    return [PaperText(p.title, p.authors, [s.text for s in p.sections]) for p in papers]


async def test_day_matches_agree_with_search_and_the_reference(sessions: Sessions) -> None:
    await ingest_samples(sessions)
    async with sessions() as session:
        days = await stored_days(session, start=dt.date(2000, 1, 1))
        pages = {day: (await day_papers(session, day)).papers for day in days}
        everything = [p for papers in pages.values() for p in papers]
        queries = generated_queries(everything, 120, seed=11)
        queries += ["DiT", "짐", "Sapiens 사람", "Editing", "GPT-4o", "모델", "Shunyu Yao"]
        # /search once per query, over the whole archive
        searched = {
            q: {p.arxiv_id for p in (await search_papers(session, q, limit=1000)).papers}
            for q in queries
        }
    checked = 0
    for papers in pages.values():
        matched = day_matches(texts(papers), [key(q) for q in queries])
        ids = {p.arxiv_id for p in papers}
        for q in queries:
            mine = {papers[i].arxiv_id for i in matched.get(key(q), ())}
            assert mine == searched[q] & ids, q
            checked += bool(mine)
    assert checked > 100  # the queries do find papers


async def test_author_follows_agree_with_the_reference(sessions: Sessions) -> None:
    await ingest_samples(sessions)
    async with sessions() as session:
        day = max(await stored_days(session, start=dt.date(2000, 1, 1)))
        papers = texts((await day_papers(session, day)).papers)
    follows = ["author:Zhifang Sui", "reasoning author:Sui", "author:zhang", "author:Li Xiaolong"]
    follows += [f"author:{p.authors[0]}" for p in papers if p.authors]
    matched = day_matches(papers, [key(f) for f in follows])
    for f in follows:
        brute = {i for i, p in enumerate(papers) if follow_matches_paper(parse_follow(f), p)}
        assert matched.get(key(f), frozenset()) == brute, f
    assert matched[key("author:Zhifang Sui")] == {7, 19}
