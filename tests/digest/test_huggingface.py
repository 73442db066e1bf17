"""Hugging Face's Daily Papers: the pure parser, and the source against a real local server
through real httpx."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestbot.digest.listing import (
    ListedPaper,
    normalize_arxiv_id,
    parse_daily_papers,
    parse_paper,
    rank_papers,
)
from digestbot.digest.sources.huggingface import HuggingFaceSource, parse_retry_after
from digestbot.errors import SourceError, SourceUnavailable
from tests.support.hf_server import HFServer, hf_item

DAY = dt.date(2025, 5, 8)
SRC = "https://hf.test/api/daily_papers?date=2025-05-08"
UTC = dt.UTC

# A real item as the API answers it (2025-05-08), trimmed to one author's worth of noise.
REAL_ITEM: dict[str, Any] = {
    "paper": {
        "id": "2505.04921",
        "authors": [
            {"_id": "681c1a7f", "name": "Yunxin Li", "hidden": False},
            {"_id": "681c1a80", "name": "Zhenyu Liu", "hidden": False, "user": {"user": "x"}},
        ],
        "publishedAt": "2025-05-08T03:35:23.000Z",
        "submittedOnDailyAt": "2025-05-09T00:21:10.155Z",
        "title": "Perception, Reason, Think, and Plan:\n  A Survey on Large Multimodal Reasoning",
        "submittedOnDailyBy": {"_id": "6420", "user": "YunxinLi", "fullname": "Yunxin Li"},
        "summary": "Reasoning lies at the heart of intelligence.\nWe survey it.\n",
        "upvotes": 75,
        "discussionId": "681c1a81",
        "githubRepo": "https://github.com/HITsz-TMG/Awesome-Large-Multimodal-Reasoning-Models",
        "githubStars": 120,
        "projectPage": "https://example.org/lmrm",
        "ai_summary": "A survey of large multimodal reasoning models.",
        "ai_keywords": ["multimodal reasoning", "chain-of-thought", "multimodal reasoning"],
    },
    "publishedAt": "2025-05-08T03:35:23.000Z",
    "title": "Perception, Reason, Think, and Plan: A Survey on Large Multimodal Reasoning",
    "summary": "Reasoning lies at the heart of intelligence.",
    "thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2505.04921.png",
    "numComments": 3,
    "submittedBy": {"_id": "6420", "user": "YunxinLi"},
    "isAuthorParticipating": True,
}


def item(arxiv_id: object, title: object = "A title", **paper: object) -> dict[str, Any]:
    return {"paper": {"id": arxiv_id, "title": title, **paper}}


# -- the parser ------------------------------------------------------------------------


def test_a_real_item_is_read_field_by_field() -> None:
    papers, warnings = parse_daily_papers([REAL_ITEM], SRC)
    assert warnings == []
    assert papers == [
        ListedPaper(
            arxiv_id="2505.04921",
            title="Perception, Reason, Think, and Plan: A Survey on Large Multimodal Reasoning",
            abstract="Reasoning lies at the heart of intelligence.\nWe survey it.",
            authors=("Yunxin Li", "Zhenyu Liu"),
            upvotes=75,
            ai_summary="A survey of large multimodal reasoning models.",
            ai_keywords=("multimodal reasoning", "chain-of-thought"),
            github_repo="https://github.com/HITsz-TMG/Awesome-Large-Multimodal-Reasoning-Models",
            github_stars=120,
            project_page="https://example.org/lmrm",
            thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2505.04921.png",
            num_comments=3,
            published_at=dt.datetime(2025, 5, 8, 3, 35, 23, tzinfo=UTC),
            submitted_at=dt.datetime(2025, 5, 9, 0, 21, 10, 155000, tzinfo=UTC),
            position=1,
            rank=1,
        )
    ]
    assert papers[0].url == "https://arxiv.org/abs/2505.04921"
    assert papers[0].hf_url == "https://huggingface.co/papers/2505.04921"


def test_a_sparse_item_gives_nones_not_errors() -> None:
    papers, warnings = parse_daily_papers([item("2401.00001", "Bare")], SRC)
    assert warnings == []
    assert papers == [ListedPaper("2401.00001", "Bare", position=1, rank=1)]


def test_an_empty_day_is_an_empty_list() -> None:
    assert parse_daily_papers([], SRC) == ([], [])


def test_rank_is_votes_descending_then_position_unknown_votes_last() -> None:
    payload = [
        item("2505.00001", upvotes=5),
        item("2505.00002"),  # no votes
        item("2505.00003", upvotes=10),
        item("2505.00004", upvotes=5),
        item("2505.00005", upvotes=0),
    ]
    papers, _ = parse_daily_papers(payload, SRC)
    assert [(p.arxiv_id[-1], p.position, p.rank) for p in papers] == [
        ("1", 1, 2),
        ("2", 2, 5),
        ("3", 3, 1),
        ("4", 4, 3),
        ("5", 5, 4),
    ]


def test_arxiv_ids_new_style_old_style_and_versions() -> None:
    assert normalize_arxiv_id("2505.04921") == "2505.04921"
    assert normalize_arxiv_id("2505.04921v3") == "2505.04921"
    assert normalize_arxiv_id("0704.0001") == "0704.0001"
    assert normalize_arxiv_id("hep-th/9901001v2") == "hep-th/9901001"
    assert normalize_arxiv_id("math.AG/0101001") == "math.AG/0101001"
    for bad in ("", "2505.049", "2505.049211", "../../etc/passwd", "2505.04921?x=1", "HEP/1"):
        assert normalize_arxiv_id(bad) is None, bad


def test_hostile_items_are_skipped_with_a_warning_each() -> None:
    payload: list[object] = [
        "2505.04921",  # not an object
        None,
        {"title": "no paper object"},
        {"paper": ["not", "an", "object"]},
        item(None),
        item(2505.04921),  # a number, not a string
        item("../../admin"),
        item("2505.1"),
        item("2505.00001", title=None),
        item("2505.00002", title="   \n\t "),
        item("2505.00003", title=["a list"]),
        item("2505.00004", "The one good paper"),
    ]
    papers, warnings = parse_daily_papers(payload, SRC)
    assert [p.arxiv_id for p in papers] == ["2505.00004"]
    assert papers[0].position == 1  # positions count kept papers only
    assert len(warnings) == 12  # 11 skipped items, plus the dropped list title
    assert warnings[0] == f"{SRC}: item 1: skipped, a string instead of an object"
    assert warnings[1] == f"{SRC}: item 2: skipped, null instead of an object"
    assert warnings[2] == f"{SRC}: item 3: skipped, no 'paper' object"
    assert warnings[6] == f"{SRC}: item 7: skipped, no valid arXiv id ('../../admin')"
    assert warnings[8] == f"{SRC}: item 9 (2505.00001): skipped, no title"
    assert "item 11 (2505.00003): dropped title ['a list']: not a string" in warnings[10]


def test_a_title_only_at_the_top_level_is_used() -> None:
    payload = [{"paper": {"id": "2505.00001"}, "title": "Top-level title", "summary": "Abs."}]
    papers, warnings = parse_daily_papers(payload, SRC)
    assert warnings == []
    assert (papers[0].title, papers[0].abstract) == ("Top-level title", "Abs.")


def test_wrong_types_are_dropped_with_warnings_never_raised() -> None:
    hostile = {
        "paper": {
            "id": "2505.04921",
            "title": "Fine\x00 title\x1b[31m",
            "summary": 42,
            "authors": [{"name": "Ada"}, {"name": 7}, "Plain String", {"nom": "x"}, ["y"], "  "],
            "upvotes": "75",
            "githubStars": 1.5,
            "ai_summary": {"en": "x"},
            "ai_keywords": "rl, agents",
            "githubRepo": "javascript:alert(1)",
            "projectPage": "https://[broken/",
            "publishedAt": "yesterday",
            "submittedOnDailyAt": 20250508,
        },
        "thumbnail": "//cdn.example/thumb.png",
        "numComments": -3,
    }
    papers, warnings = parse_daily_papers([hostile], SRC)
    assert papers == [
        ListedPaper(
            "2505.04921", "Fine title[31m", authors=("Ada", "Plain String"), position=1, rank=1
        )
    ]
    where = f"{SRC}: item 1 (2505.04921)"
    assert warnings == [
        f"{where}: removed control characters from title",
        f"{where}: dropped summary 42: not a string",
        f"{where}: dropped an entry of authors 7: not a non-blank string",
        f"{where}: dropped an entry of authors None: not a non-blank string",
        f"{where}: dropped an entry of authors ['y']: not a non-blank string",
        f"{where}: dropped an entry of authors '  ': not a non-blank string",
        f"{where}: dropped upvotes '75': not an integer",
        f"{where}: dropped ai_summary {{'en': 'x'}}: not a string",
        f"{where}: dropped ai_keywords 'rl, agents': not a list",
        f"{where}: dropped githubRepo 'javascript:alert(1)': not an http(s) URL",
        f"{where}: dropped githubStars 1.5: not an integer",
        f"{where}: dropped projectPage 'https://[broken/': not an http(s) URL",
        f"{where}: dropped thumbnail '//cdn.example/thumb.png': not an http(s) URL",
        f"{where}: dropped numComments -3: out of range",
        f"{where}: dropped publishedAt 'yesterday': not an ISO 8601 date",
        f"{where}: dropped submittedOnDailyAt 20250508: not a string",
    ]


def test_booleans_are_not_counts_and_naive_dates_are_utc() -> None:
    payload = [item("2505.00001", upvotes=True, publishedAt="2025-05-08T09:00:00+09:00")]
    papers, warnings = parse_daily_papers(payload, SRC)
    assert papers[0].upvotes is None
    assert papers[0].published_at == dt.datetime(2025, 5, 8, 0, 0, tzinfo=UTC)
    assert warnings == [f"{SRC}: item 1 (2505.00001): dropped upvotes True: not an integer"]
    naive, _ = parse_daily_papers([item("2505.00001", publishedAt="2025-05-08T12:00")], SRC)
    assert naive[0].published_at == dt.datetime(2025, 5, 8, 12, 0, tzinfo=UTC)


def test_a_paper_listed_twice_is_one_paper_with_the_larger_votes() -> None:
    payload = [
        item("2505.00001", "First", upvotes=3),
        item("2505.00002", "Other", upvotes=4),
        item("2505.00001v2", "Again", upvotes=9),
    ]
    papers, warnings = parse_daily_papers(payload, SRC)
    assert [(p.arxiv_id, p.title, p.upvotes, p.rank) for p in papers] == [
        ("2505.00001", "First", 9, 1),
        ("2505.00002", "Other", 4, 2),
    ]
    assert warnings == [f"{SRC}: 2505.00001 listed more than once; kept the first"]


def test_a_payload_that_is_not_a_list_is_a_source_error() -> None:
    for payload in ({"error": "Invalid date"}, "[]", None, 3):
        with pytest.raises(SourceError, match=r"hf\.test.*expected a JSON list"):
            parse_daily_papers(payload, SRC)


def test_parse_paper_reads_the_single_paper_endpoint() -> None:
    paper, warnings = parse_paper(REAL_ITEM["paper"], "https://hf.test/api/papers/2505.04921")
    assert warnings == []
    assert paper is not None
    assert (paper.arxiv_id, paper.upvotes, paper.github_stars) == ("2505.04921", 75, 120)
    assert (paper.thumbnail, paper.num_comments, paper.position, paper.rank) == (None, None, 0, 0)
    assert parse_paper({"id": "nope", "title": "T"}, "u") == (
        None,
        ["u: skipped, no valid arXiv id ('nope')"],
    )
    with pytest.raises(SourceError, match="expected a JSON object"):
        parse_paper([REAL_ITEM["paper"]], "u")


def test_rank_papers_merges_pages() -> None:
    a, b, c = (ListedPaper(f"2505.0000{n}", "T", upvotes=n) for n in (1, 2, 3))
    assert [(p.arxiv_id[-1], p.position, p.rank) for p in rank_papers([a, b, a, c])] == [
        ("1", 1, 3),
        ("2", 2, 2),
        ("3", 3, 1),
    ]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_FIELD = st.sampled_from(
    ["id", "title", "summary", "authors", "upvotes", "ai_summary", "ai_keywords",
     "githubRepo", "githubStars", "projectPage", "publishedAt", "submittedOnDailyAt"]
)  # fmt: skip
_ITEM = st.fixed_dictionaries(
    {"paper": st.dictionaries(_FIELD, _JSON | st.just("2505.04921"))},
    optional={"thumbnail": _JSON, "numComments": _JSON, "title": _JSON, "publishedAt": _JSON},
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(_ITEM | _JSON, max_size=6))
def test_no_json_list_makes_the_parser_raise(payload: list[object]) -> None:
    papers, warnings = parse_daily_papers(payload, SRC)
    assert all(isinstance(w, str) for w in warnings)
    assert sorted(p.rank for p in papers) == [p.position for p in papers]
    for paper in papers:
        assert paper.title and normalize_arxiv_id(paper.arxiv_id) == paper.arxiv_id
        assert paper.upvotes is None or (type(paper.upvotes) is int and paper.upvotes >= 0)
        for link in (paper.github_repo, paper.project_page, paper.thumbnail):
            assert link is None or link.startswith(("http://", "https://"))


def test_retry_after_seconds_and_http_dates() -> None:
    now = dt.datetime(2025, 5, 8, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 0.5 ", now) == 0.5
    assert parse_retry_after("Thu, 08 May 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 08 May 2025 11:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("-5", now) == 0.0
    for junk in (None, "", "soon", "nan"):
        assert parse_retry_after(junk, now) is None


# -- the source against a real server --------------------------------------------------


@pytest.fixture
def server() -> Iterator[HFServer]:
    with HFServer() as srv:
        yield srv


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=0.5) as c:
        yield c


def source(
    server: HFServer, client: httpx.AsyncClient, retries: int = 2, **kwargs: Any
) -> HuggingFaceSource:
    kwargs.setdefault("backoff", 0.01)
    return HuggingFaceSource(server.url + "/", client, retries=retries, **kwargs)


DAILY = "/api/daily_papers"


async def test_fetch_day_reads_and_ranks_the_list(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.set_day(
        DAY,
        [
            hf_item("2505.04921", "Survey", 75, github_repo="https://github.com/a/b"),
            hf_item("2505.04700", "Agents", 120, ai_summary="Agents act.", ai_keywords=["rl"]),
            hf_item("2505.04588", "Video", 12, github_stars=7),
        ],
    )
    src = source(server, client)
    before = dt.datetime.now(UTC)
    listing = await src.fetch_day(DAY)
    assert listing.day == DAY
    assert listing.warnings == ()
    assert before <= listing.fetched_at <= dt.datetime.now(UTC)
    assert listing.location == f"{server.url}/api/daily_papers?date=2025-05-08&limit=100"
    assert listing.location == src.location(DAY)
    assert [(p.arxiv_id, p.position, p.rank, p.upvotes) for p in listing.papers] == [
        ("2505.04921", 1, 2, 75),
        ("2505.04700", 2, 1, 120),
        ("2505.04588", 3, 3, 12),
    ]
    survey, agents, video = listing.papers
    assert survey.github_repo == "https://github.com/a/b"
    assert survey.authors == ("Ada Lovelace", "Alan Turing")
    assert survey.abstract == "We study survey."
    assert survey.thumbnail == (
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2505.04921.png"
    )
    assert survey.published_at == dt.datetime(2025, 5, 7, tzinfo=UTC)
    assert (agents.ai_summary, agents.ai_keywords) == ("Agents act.", ("rl",))
    assert (video.github_stars, video.github_repo, video.num_comments) == (7, None, 0)
    assert [(r.path, r.query) for r in server.requests] == [
        (DAILY, {"date": "2025-05-08", "limit": "100"})
    ]


async def test_a_day_without_papers_is_an_empty_listing(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    listing = await source(server, client).fetch_day(dt.date(2025, 5, 10))  # a Saturday
    assert (listing.papers, listing.warnings) == ((), ())
    assert server.count(DAILY) == 1


async def test_a_long_day_is_read_page_by_page(server: HFServer, client: httpx.AsyncClient) -> None:
    server.set_day(DAY, [hf_item(f"2505.0000{n}", f"P{n}", n) for n in range(5)])
    listing = await source(server, client, page_size=2).fetch_day(DAY)
    assert [p.arxiv_id[-1] for p in listing.papers] == ["0", "1", "2", "3", "4"]
    assert [p.rank for p in listing.papers] == [5, 4, 3, 2, 1]
    assert [r.query.get("p") for r in server.requests] == [None, "1", "2"]


async def test_a_server_that_ignores_pages_does_not_loop(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    # page 1 answers page 0 again, as an API that ignored ``p`` would
    server.set_day(DAY, [hf_item("2505.00001", "A", 1), hf_item("2505.00002", "B", 2)] * 2)
    listing = await source(server, client, page_size=2, max_pages=5).fetch_day(DAY)
    assert [p.arxiv_id for p in listing.papers] == ["2505.00001", "2505.00002"]
    assert listing.warnings == ()
    assert server.count(DAILY) == 2  # stopped at the page that brought nothing new


async def test_hostile_items_reach_the_listing_as_warnings(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.set_day(DAY, [hf_item("2505.04921", "Good", 3), {"paper": {"id": "evil/../x"}}])
    listing = await source(server, client).fetch_day(DAY)
    assert [p.arxiv_id for p in listing.papers] == ["2505.04921"]
    assert len(listing.warnings) == 1
    assert "item 2: skipped, no valid arXiv id" in listing.warnings[0]


async def test_fetch_paper_found_and_missing(server: HFServer, client: httpx.AsyncClient) -> None:
    server.set_day(DAY, [hf_item("2505.04921", "Survey", 75, github_stars=9)])
    src = source(server, client)
    paper = await src.fetch_paper("2505.04921v2")
    assert paper is not None
    assert (paper.arxiv_id, paper.title, paper.upvotes, paper.github_stars) == (
        "2505.04921",
        "Survey",
        75,
        9,
    )
    assert await src.fetch_paper("2505.99999") is None
    assert server.count("/api/papers/2505.99999") == 1  # a 404 is an answer, not retried


async def test_fetch_paper_refuses_what_is_not_an_arxiv_id(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        await source(server, client).fetch_paper("../../api/whoami")
    assert server.requests == []


async def test_429_with_retry_after_is_honoured_instead_of_the_backoff(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.set_day(DAY, [hf_item("2505.04921", "Survey", 75)])
    server.fail(429, times=2, retry_after="0")
    src = source(server, client, backoff=30.0)  # the backoff alone would take a minute
    started = time.monotonic()
    listing = await src.fetch_day(DAY)
    assert time.monotonic() - started < 5
    assert len(listing.papers) == 1
    assert server.count(DAILY) == 3


async def test_a_long_retry_after_is_capped(server: HFServer, client: httpx.AsyncClient) -> None:
    server.fail(429, retry_after="3600")
    src = source(server, client, retries=1, backoff=30.0, retry_after_cap=0.01)
    started = time.monotonic()
    assert await src.fetch_paper("2505.04921") is None
    assert time.monotonic() - started < 5
    assert server.count() == 2


async def test_5xx_is_retried_then_succeeds(server: HFServer, client: httpx.AsyncClient) -> None:
    server.set_day(DAY, [hf_item("2505.04921", "Survey", 75)])
    server.fail(503, times=2)
    listing = await source(server, client, retries=2).fetch_day(DAY)
    assert len(listing.papers) == 1
    assert server.count(DAILY) == 3


async def test_5xx_forever_is_unavailable_naming_the_url(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.fail(500, times=10)
    src = source(server, client, retries=2)
    with pytest.raises(SourceUnavailable) as caught:
        await src.fetch_day(DAY)
    assert str(caught.value) == f"{src.location(DAY)}: HTTP 500 after 3 attempts"
    assert server.count(DAILY) == 3


async def test_a_timeout_is_retried_then_unavailable(server: HFServer) -> None:
    server.slow(0.6, times=2)
    async with httpx.AsyncClient(timeout=0.15) as impatient:
        with pytest.raises(SourceUnavailable, match="timed out after 2 attempts"):
            await source(server, impatient, retries=1).fetch_day(DAY)
    assert server.count(DAILY) == 2


async def test_a_slow_answer_within_the_timeout_is_fine(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.set_day(DAY, [hf_item("2505.04921", "Survey", 75)])
    server.slow(0.1)
    listing = await source(server, client, retries=0).fetch_day(DAY)
    assert len(listing.papers) == 1


async def test_a_body_that_is_not_json_is_an_error_not_retried(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.garble()
    with pytest.raises(SourceError, match=r"not JSON \(text/html") as caught:
        await source(server, client).fetch_day(DAY)
    assert not isinstance(caught.value, SourceUnavailable)
    assert server.count(DAILY) == 1


async def test_json_that_is_not_a_list_is_an_error(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.fail(200, path=DAILY)  # answers {"error": ...}: JSON, but no list
    with pytest.raises(SourceError, match="expected a JSON list of papers, got an object"):
        await source(server, client).fetch_day(DAY)
    assert server.count(DAILY) == 1


async def test_a_paper_answer_without_a_usable_paper_is_an_error(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.set_paper({"id": "2505.00001"})  # no title
    with pytest.raises(SourceError, match="no usable paper"):
        await source(server, client).fetch_paper("2505.00001")


async def test_other_4xx_is_an_error_not_retried(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.fail(403, path=DAILY)
    with pytest.raises(SourceError, match="HTTP 403") as caught:
        await source(server, client).fetch_day(DAY)
    assert not isinstance(caught.value, SourceUnavailable)
    assert server.count() == 1


async def test_a_404_for_the_list_is_an_error_not_an_empty_day(
    server: HFServer, client: httpx.AsyncClient
) -> None:
    server.fail(404)  # a wrong DIGESTBOT_HF_API_URL, say
    with pytest.raises(SourceError, match="HTTP 404"):
        await source(server, client).fetch_day(DAY)


async def test_connection_refused_is_unavailable(client: httpx.AsyncClient) -> None:
    src = HuggingFaceSource("http://127.0.0.1:9", client, retries=1, backoff=0.01)
    with pytest.raises(SourceUnavailable, match="connection failed"):
        await src.fetch_day(DAY)
