"""``digestbot run`` without a token, and ``today|top|search|paper``: plain text in the
terminal, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from digestbot.cli.app import app
from tests.conftest import DIGESTS

runner = CliRunner()


@pytest.fixture
def archive_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DIGESTBOT_DATABASE_URL", db_url)
    monkeypatch.delenv("DIGESTBOT_TOKEN", raising=False)
    monkeypatch.setenv("DIGESTBOT_LANGUAGE", "ko")
    return db_url


def _no_html(text: str) -> None:
    assert not re.search(r"</?(b|i|a|code)\b", text), text[:300]
    assert "&lt;" not in text and "&amp;" not in text


def test_run_without_token_explains_and_shows_the_newest_digest(archive_env: str) -> None:
    first = runner.invoke(app, ["run"])
    assert first.exit_code == 0, first.output
    assert "@BotFather" in first.output and "DIGESTBOT_TOKEN" in first.output
    assert "stored 9 bundled sample digests" in first.output
    assert "Daily Papers 2025-05-09 · 상위 5/20편" in first.output
    assert (
        "1. Perception, Reason, Think, and Plan: A Survey on Large Multimodal Reasoning Models "
        "(https://arxiv.org/abs/2505.04921)"
    ) in first.output
    _no_html(first.output)
    again = runner.invoke(app, ["run"])
    assert again.exit_code == 0
    assert "bundled sample" not in again.output
    assert "Daily Papers 2025-05-09" in again.output


@pytest.fixture
def loaded(archive_env: str) -> str:
    result = runner.invoke(app, ["ingest", "--dir", str(DIGESTS), "-q"])
    assert result.exit_code == 0, result.output
    return archive_env


def test_today_in_english(loaded: str) -> None:
    result = runner.invoke(app, ["today", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("📰 Daily Papers 2025-05-09 · top 5 of 20")
    # the compact push, as plain text: numbered titles, votes, shortened sections
    assert "1. Perception, Reason, Think, and Plan" in result.output
    assert "· 👍 75\n" in result.output
    assert "\nWhat's New 이 논문은" in result.output
    assert "Tap a number" not in result.output  # no buttons in a terminal
    _no_html(result.output)


def test_top_of_a_day(loaded: str) -> None:
    result = runner.invoke(app, ["top", "3", "2025-02-19"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if re.match(r"\d+\. ", line)]
    assert lines == [
        "1. Native Sparse Attention: Hardware-Aligned and Natively Trainable Sparse Attention",
        "2. Soundwave: Less is More for Speech-Text Alignment in LLMs",
        "3. Cramming 1568 Tokens into a Single Vector and Back Again: Exploring the Limits of "
        "Embedding Space Capacity",
    ]
    assert "👍 71 · 2025-02-19 · 2502.11089" in result.output
    second = runner.invoke(app, ["top", "3", "2025-02-19", "--page", "2", "--lang", "en"])
    assert "4–6 of" in second.output
    assert "4. Continuous Diffusion Model for Language Modeling\n" in second.output
    assert "5. Phantom: Subject-consistent video generation" in second.output


@pytest.mark.parametrize(
    ("args", "example"),
    [
        (["top", "0"], "/top 10 week"),
        (["top", "2025-02-30"], "/top 2025-05-09"),
        (["paper", "nonsense"], "/paper 2502.11089"),
    ],
)
def test_bad_arguments_are_one_line_with_an_example(
    loaded: str, args: list[str], example: str
) -> None:
    result = runner.invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].endswith(f"Example: {example}")


def test_paper_by_id_and_by_rank(loaded: str) -> None:
    by_id = runner.invoke(app, ["paper", "2502.11089"])
    assert by_id.exit_code == 0, by_id.output
    assert by_id.output.startswith(
        "Native Sparse Attention: Hardware-Aligned and Natively Trainable Sparse Attention "
        "(https://arxiv.org/abs/2502.11089)"
    )
    assert "(https://huggingface.co/papers/2502.11089)" in by_id.output
    for heading in ("What's New", "Technical Details", "Performance Highlights"):
        assert f"\n{heading}\n" in by_id.output
    assert "Zhenda Xie" in by_id.output and "Huazuo Gao" in by_id.output
    _no_html(by_id.output)
    by_rank = runner.invoke(app, ["paper", "2"])
    assert by_rank.output.startswith(
        "On Path to Multimodal Generalist: General-Level and General-Bench"
    )
    missing = runner.invoke(app, ["paper", "9999.99999", "--lang", "en"])
    assert missing.exit_code == 0
    assert "No paper 9999.99999 in the archive" in missing.output


def test_search(loaded: str) -> None:
    result = runner.invoke(app, ["search", "native", "sparse", "attention", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "🔎 Search “native sparse attention”" in result.output
    assert "1. Native Sparse Attention: Hardware-Aligned" in result.output
    nothing = runner.invoke(app, ["search", "qwxzzyv", "--lang", "en"])
    assert "Nothing found for “qwxzzyv”" in nothing.output
