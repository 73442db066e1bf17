"""The Korean summary contract (pure) and the Summarizer against a real local
OpenAI-compatible server, through the real ``openai`` client."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator, Mapping

import pytest

from digestbot.digest.parser import parse_digest
from digestbot.digest.sources.summarizer import QUIET_LOGGERS, Summarizer
from digestbot.digest.summaries import (
    MAX_SECTION_CHARS,
    MIN_HANGUL_SYLLABLES,
    SECTION_NAMES,
    InvalidSummary,
    Summarized,
    SummaryFailed,
    ValidSummary,
    build_messages,
    validate_answer,
)
from digestbot.packaged import sample_digests
from tests.support.llm_server import Fault, LLMServer, english_summary_for, summary_for

KEY = "sk-test-0123456789abcdefSECRET"
TITLE = "Flow-GRPO: Training Flow Matching Models via Online RL"
ABSTRACT = "We propose Flow-GRPO, the first method integrating online RL into flow matching."


def answer(sections: Mapping[str, object]) -> str:
    return json.dumps(sections, ensure_ascii=False)


def reason_of(text: str) -> str:
    verdict = validate_answer(text)
    assert isinstance(verdict, InvalidSummary), verdict
    assert "\n" not in verdict.reason and len(verdict.reason) < 120
    return verdict.reason


# --- validate_answer ------------------------------------------------------------------------


def test_a_valid_answer_gives_the_sections_in_order() -> None:
    sections = summary_for(TITLE)
    shuffled = {name: f"  {sections[name]}\n" for name in reversed(SECTION_NAMES)}
    verdict = validate_answer(answer(shuffled))
    assert isinstance(verdict, ValidSummary)
    assert verdict.sections == tuple((name, sections[name]) for name in SECTION_NAMES)


@pytest.mark.parametrize(
    "fence", ["```json\n{}\n```", "```\n{}\n```", "```JSON\n{}```", "```json {}```"]
)
def test_a_fenced_block_around_the_object_is_tolerated(fence: str) -> None:
    text = "\n" + fence.replace("{}", answer(summary_for(TITLE))) + "\n"
    assert isinstance(validate_answer(text), ValidSummary)


@pytest.mark.parametrize(
    "text",
    [
        "Here is the summary:\n```json\n{}\n```",
        "```json\n{}\n```\nI hope this helps.",
        "```json\n{}",
        "```python\n{}\n```",
        "요약입니다: {}",
    ],
)
def test_nothing_else_around_the_object_is_tolerated(text: str) -> None:
    verdict = validate_answer(text.replace("{}", answer(summary_for(TITLE))))
    assert isinstance(verdict, InvalidSummary)


def test_an_extra_key_is_invalid() -> None:
    sections: dict[str, object] = {**summary_for(TITLE), "Limitations": "한계는 없습니다." * 5}
    assert reason_of(answer(sections)) == "unexpected key 'Limitations'"


@pytest.mark.parametrize("missing", SECTION_NAMES)
def test_a_missing_key_is_invalid(missing: str) -> None:
    sections: dict[str, object] = dict(summary_for(TITLE))
    del sections[missing]
    assert reason_of(answer(sections)) == f"missing key {missing!r}"


def test_a_near_miss_key_is_invalid() -> None:
    sections: dict[str, object] = dict(summary_for(TITLE))
    sections["What's new"] = sections.pop("What's New")
    assert reason_of(answer(sections)) == 'missing key "What\'s New"'


def test_an_english_only_answer_is_invalid() -> None:
    reason = reason_of(answer(dict(english_summary_for(TITLE))))
    assert reason.startswith("What's New: not Korean (0 <")


def test_a_few_korean_words_in_english_text_are_not_enough() -> None:
    english = "The method improves accuracy on many benchmarks by a wide margin. " * 3
    korean = "이 방법은 여러 벤치마크에서 정확도를 크게 향상시킵니다"  # enough syllables, too few
    sections: dict[str, object] = {**summary_for(TITLE), "Technical Details": english + korean}
    assert reason_of(answer(sections)).startswith("Technical Details: not mostly Korean (")


def test_too_few_hangul_syllables_are_invalid() -> None:
    text = "GRPO와 SDE를 쓴다. " + "ODE-to-SDE, GenEval 63% → 95%, OCR 59% → 92%."
    sections: dict[str, object] = {**summary_for(TITLE), "Performance Highlights": text}
    reason = reason_of(answer(sections))
    assert reason.startswith("Performance Highlights: not Korean (")
    assert f"< {MIN_HANGUL_SYLLABLES} Hangul" in reason


def test_a_too_short_section_is_invalid() -> None:
    sections: dict[str, object] = {**summary_for(TITLE), "What's New": "새로운 방법을 제안합니다."}
    assert reason_of(answer(sections)).startswith("What's New: too short (")


def test_a_too_long_section_is_invalid() -> None:
    long = "이 논문은 새로운 방법을 제안합니다. " * 200
    assert len(long) > MAX_SECTION_CHARS
    sections: dict[str, object] = {**summary_for(TITLE), "Technical Details": long}
    assert reason_of(answer(sections)).startswith("Technical Details: too long (")


@pytest.mark.parametrize(
    "text", ["", "   ", "죄송합니다, 요약할 수 없습니다.", "{'What's New': 1}", "{"]
)
def test_text_that_is_not_json_is_invalid(text: str) -> None:
    assert reason_of(text) in ("not JSON", "empty answer")


def test_a_json_array_is_invalid() -> None:
    items = [{name: text} for name, text in summary_for(TITLE).items()]
    assert reason_of(json.dumps(items, ensure_ascii=False)) == "not a JSON object (a JSON array)"
    assert reason_of('"문자열"') == "not a JSON object (a JSON string)"


@pytest.mark.parametrize(
    "markup",
    ["<b>강조</b>", "<script>alert(1)</script>", '<a href="https://x.y">링크</a>', "<!-- 주석 -->"],
)
def test_html_is_invalid(markup: str) -> None:
    new = summary_for(TITLE)["What's New"]
    sections: dict[str, object] = {**summary_for(TITLE), "What's New": f"{new} {markup}"}
    assert reason_of(answer(sections)) == "What's New: HTML markup"


def test_a_papers_own_angle_bracket_tokens_are_text() -> None:
    # the archive's real text (2025-05-09): "<think>와 <solution> 구간을 나누어"
    details = summary_for(TITLE)["Technical Details"] + " <think>와 <solution> 구간."
    sections: dict[str, object] = {**summary_for(TITLE), "Technical Details": details}
    assert isinstance(validate_answer(answer(sections)), ValidSummary)


def test_a_markdown_heading_is_invalid() -> None:
    new = "## 요약\n" + summary_for(TITLE)["What's New"]
    sections: dict[str, object] = {**summary_for(TITLE), "What's New": new}
    assert reason_of(answer(sections)) == "What's New: a markdown heading"


def test_a_value_that_is_not_a_string_is_invalid() -> None:
    sections: dict[str, object] = {**summary_for(TITLE), "What's New": ["새로운", "방법"]}
    assert reason_of(answer(sections)) == "What's New: not a string (a JSON array)"


def test_a_duplicate_key_is_invalid() -> None:
    text = answer(summary_for(TITLE))
    duplicated = text[:-1] + ', "What\'s New": "중복된 값입니다."}'
    assert reason_of(duplicated) == 'duplicate key "What\'s New"'


def test_a_hostile_key_is_shown_short_and_on_one_line() -> None:
    sections: dict[str, object] = {**summary_for(TITLE), "x\n" * 100: "y"}
    reason = reason_of(answer(sections))
    assert reason.startswith("unexpected key 'x\\nx") and reason.endswith("…'")


def test_every_section_of_the_archive_samples_keeps_the_contract() -> None:
    checked = 0
    for path in sorted(sample_digests().glob("*/*/*.md")):
        for paper in parse_digest(path.read_bytes(), str(path)).papers:
            sections = {s.name: s.text for s in paper.sections}
            if set(SECTION_NAMES) <= sections.keys():
                verdict = validate_answer(answer({n: sections[n] for n in SECTION_NAMES}))
                assert isinstance(verdict, ValidSummary), (path, paper.title, verdict)
                checked += 1
    assert checked >= 50


# --- build_messages -------------------------------------------------------------------------


def test_the_messages_ask_for_the_json_object_and_hold_the_paper() -> None:
    messages = build_messages(f"  {TITLE}\n", ABSTRACT)
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "JSON" in system and "Korean" in system
    assert all(f'"{name}"' in system for name in SECTION_NAMES)
    assert "(Reinforcement Learning)" in system  # terms in English, in parentheses
    assert user.startswith(f"Title: {TITLE}\n") and ABSTRACT in user


def test_the_messages_cut_a_huge_abstract_and_name_a_missing_one() -> None:
    huge = build_messages(TITLE, "x" * 100_000)[1]["content"]
    assert len(huge) < 10_000
    assert "(no abstract)" in build_messages(TITLE, " ")[1]["content"]


# --- Summarizer against the local server ----------------------------------------------------


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer(retry_after="1", slow_seconds=1.0) as running:
        yield running


@pytest.fixture
async def summarizer(server: LLMServer) -> AsyncIterator[Summarizer]:
    async with Summarizer(server.base_url, KEY, "test-model", timeout=5.0, max_retries=2) as s:
        yield s


async def test_a_summary_with_its_usage_and_model(
    server: LLMServer, summarizer: Summarizer
) -> None:
    outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, Summarized)
    assert outcome.sections == tuple(summary_for(TITLE).items())
    assert outcome.model == "test-model" and outcome.requests == 1
    [request] = server.requests
    assert request.usage == (outcome.prompt_tokens, outcome.completion_tokens)
    assert outcome.prompt_tokens > 0 and outcome.completion_tokens > 0
    assert request.path == "/v1/chat/completions"
    assert request.authorization == f"Bearer {KEY}"
    assert request.body["model"] == "test-model"
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.body["messages"] == build_messages(TITLE, ABSTRACT)
    assert server.requests_for(TITLE) == 1


async def test_without_a_key_the_client_sends_a_placeholder(server: LLMServer) -> None:
    async with Summarizer(server.base_url, None, "m", json_mode=False) as summarizer:
        assert isinstance(await summarizer.summarize(TITLE, ABSTRACT), Summarized)
    [request] = server.requests
    assert request.authorization == "Bearer none"
    assert "response_format" not in request.body


async def test_429_is_retried_by_the_client_after_retry_after(
    server: LLMServer, summarizer: Summarizer
) -> None:
    server.fail(Fault.RATE_LIMIT)
    outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, Summarized) and outcome.requests == 1  # one logical summary
    limited, answered = server.requests
    assert limited.fault is Fault.RATE_LIMIT and answered.fault is None
    # Retry-After: 1 was honoured (the client's own backoff is at most 0.5 s at first)
    assert answered.at - limited.at >= 0.9


async def test_500_is_retried_by_the_client(server: LLMServer, summarizer: Summarizer) -> None:
    server.fail(Fault.SERVER_ERROR)
    outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, Summarized) and outcome.requests == 1
    assert [r.fault for r in server.requests] == [Fault.SERVER_ERROR, None]


async def test_500_after_every_retry_is_a_failure(server: LLMServer) -> None:
    server.fail(Fault.SERVER_ERROR, times=2)
    async with Summarizer(server.base_url, KEY, "m", max_retries=1) as summarizer:
        outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, SummaryFailed)
    assert outcome.reason == "server error: HTTP 500 (server_error) after 1 retry"
    assert outcome.prompt_tokens == outcome.completion_tokens == 0
    assert len(server.requests) == 2


async def test_a_timeout_after_the_retries_is_a_failure(server: LLMServer) -> None:
    server.fail(Fault.SLOW, times=2)
    async with Summarizer(server.base_url, KEY, "m", timeout=0.2, max_retries=1) as summarizer:
        outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, SummaryFailed)
    assert outcome.reason == "timed out after 1 retry"
    assert len(server.requests) == 2  # the first try and the client's one retry, no more


async def test_a_server_that_is_gone_is_a_failure() -> None:
    with LLMServer() as gone:
        url = gone.base_url
    async with Summarizer(url, KEY, "m", timeout=1.0, max_retries=0) as summarizer:
        outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, SummaryFailed) and outcome.reason == "connection failed"


@pytest.mark.parametrize("fault", [Fault.NOT_JSON, Fault.ENGLISH, Fault.MISSING_KEY])
async def test_an_invalid_answer_is_asked_for_once_more(
    server: LLMServer, summarizer: Summarizer, fault: Fault
) -> None:
    server.fail(fault)
    outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, Summarized), outcome
    assert outcome.sections == tuple(summary_for(TITLE).items())
    assert outcome.requests == 2 and server.requests_for(TITLE) == 2
    first, second = server.requests
    # both answers' tokens count
    assert first.usage is not None and second.usage is not None
    assert outcome.prompt_tokens == first.usage[0] + second.usage[0]
    assert outcome.completion_tokens == first.usage[1] + second.usage[1]
    # the second request tells the model why the first answer was refused
    assert second.body["messages"][:2] == first.body["messages"]
    assert second.body["messages"][-1]["role"] == "user"
    assert "refused" in second.body["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (Fault.NOT_JSON, "not JSON"),
        (Fault.ENGLISH, "What's New: not Korean"),
        (Fault.MISSING_KEY, "missing key 'Performance Highlights'"),
    ],
)
async def test_two_invalid_answers_are_a_failure(
    server: LLMServer, summarizer: Summarizer, fault: Fault, why: str
) -> None:
    server.fail(fault, times=3)
    outcome = await summarizer.summarize(TITLE, ABSTRACT)
    assert isinstance(outcome, SummaryFailed)
    assert outcome.reason.startswith(f"summary pending: invalid answer 2 times ({why}")
    assert outcome.requests == 2 and len(server.requests) == 2  # exactly two, not three
    assert outcome.prompt_tokens > 0 and outcome.completion_tokens > 0  # tokens were spent
    assert outcome.model == "test-model"


async def test_concurrency_is_bounded(server: LLMServer) -> None:
    server.latency = (0.1, 0.1)
    titles = [f"Paper {i}: 확산 모델(Diffusion Model) 연구" for i in range(6)]
    async with Summarizer(server.base_url, KEY, "m", concurrency=2) as summarizer:
        outcomes = await asyncio.gather(*(summarizer.summarize(t, ABSTRACT) for t in titles))
    for title, outcome in zip(titles, outcomes, strict=True):
        assert isinstance(outcome, Summarized) and title in outcome.sections[0][1]
    starts = sorted(r.at for r in server.requests)
    # at most two requests in flight: the 3rd starts only after the 1st has answered
    assert all(later - earlier >= 0.09 for earlier, later in zip(starts, starts[2:], strict=False))
    assert {server.requests_for(t) for t in titles} == {1}


async def test_the_key_never_reaches_a_log_line_or_a_reason(
    server: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.retry_after = "0.1"
    server.fail(Fault.RATE_LIMIT)
    server.fail(Fault.SERVER_ERROR)
    server.fail(Fault.NOT_JSON)
    server.fail(Fault.UNAUTHORIZED)  # its message echoes "Bearer <key>"
    async with Summarizer(server.base_url, KEY, "m", max_retries=2) as summarizer:
        first = await summarizer.summarize(TITLE, ABSTRACT)
        second = await summarizer.summarize("Second paper", ABSTRACT)
        assert KEY not in repr(summarizer)
    assert isinstance(first, SummaryFailed)  # 429, 500 retried; NOT_JSON; then the 401
    assert first.reason == "refused: HTTP 401 (invalid_api_key)"
    assert isinstance(second, Summarized)
    assert server.requests[-1].authorization == f"Bearer {KEY}"
    assert caplog.records, "the summarizer logs its invalid answers and failures"
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert not record.name.startswith(QUIET_LOGGERS) or record.levelno >= logging.WARNING
    assert KEY not in caplog.text
    assert KEY not in first.reason and KEY not in repr(first)


async def test_the_key_stays_out_of_the_client_libraries_debug_logs(
    server: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    # even when an operator turns the openai / httpx2 loggers up to DEBUG on purpose
    async with Summarizer(server.base_url, KEY, "m") as summarizer:
        for name in QUIET_LOGGERS:
            caplog.set_level(logging.DEBUG, logger=name)
        server.fail(Fault.SERVER_ERROR)
        assert isinstance(await summarizer.summarize(TITLE, ABSTRACT), Summarized)
    assert any(r.name.startswith("openai") for r in caplog.records)
    assert KEY not in caplog.text
