"""Damaged digests. A mutation of a real sample that still has its date header and a paper
with an arXiv heading always parses (with warnings), and what the parser returns is all in
the input; anything else parses the same way or raises DigestFormatError cleanly."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestbot.digest.model import SUMMARY_SECTION, Digest
from digestbot.digest.parser import parse_digest
from digestbot.errors import DigestFormatError
from tests.support.mutations import (
    REPAIRABLE,
    comparable,
    keeps_a_digest,
    mutate,
    sample_texts,
)

ROUNDS = 1500
HTML_PAGE = re.compile(r"\s*<(?:!doctype|html)\b", re.IGNORECASE)  # refused, header or not


def check_invariants(digest: Digest, lines: int | None = None) -> None:
    n = len(digest.papers)
    assert n >= 1
    assert [p.position for p in digest.papers] == list(range(1, n + 1))
    assert sorted(p.rank for p in digest.papers) == list(range(1, n + 1))
    assert len({p.arxiv_id for p in digest.papers}) == n
    for p in digest.papers:
        assert p.title.strip() and p.url and p.arxiv_id
        assert p.votes is None or p.votes >= 0
        assert p.media_kind in (None, "image", "video")
        assert (p.media_kind is None) == (p.media_url is None)
        assert all(name.strip() for name in p.authors)
        assert "+" not in p.authors
        assert all(s.name for s in p.sections)
    by_rank = sorted(digest.papers, key=lambda p: p.rank)
    keys = [(p.votes is None, -(p.votes or 0), p.position) for p in by_rank]
    assert keys == sorted(keys)
    assert [w.line for w in digest.warnings] == sorted(w.line for w in digest.warnings)
    for warning in digest.warnings:
        assert warning.line >= 1 and warning.message
        assert lines is None or warning.line <= lines
        assert warning.format("f.md") == f"f.md:{warning.line}: {warning.message}"


def check_nothing_invented(digest: Digest, given: str | bytes) -> None:
    """Every paper and every piece of text the parser returned is in its input (once the
    documented control-character repairs are undone on both sides)."""
    source = comparable(given)

    def found(piece: str) -> bool:
        return comparable(piece) in source

    assert found(f"## Daily Papers ({digest.date.isoformat()})")
    for p in digest.papers:
        assert found(p.arxiv_id) and found(p.url) and found(p.title), p.arxiv_id
        assert p.media_url is None or found(p.media_url), p.arxiv_id
        assert all(found(name) for name in p.authors), p.arxiv_id
        for section in p.sections:
            # the unlabelled summary's name is the parser's own
            assert section.name == SUMMARY_SECTION or found(section.name), p.arxiv_id
            for line in section.text.split("\n"):
                assert found(line), (p.arxiv_id, section.name, line)


def line_count(data: str | bytes) -> int:
    return (data.count(b"\n") if isinstance(data, bytes) else data.count("\n")) + 1


def outcome(data: str | bytes) -> str:
    try:
        digest = parse_digest(data, source="fuzz")
    except DigestFormatError as exc:
        assert exc.source == "fuzz"
        assert exc.line >= 1
        assert exc.problem
        return "refused"
    check_invariants(digest, line_count(data))
    check_nothing_invented(digest, data)
    return "warned" if digest.warnings else "clean"


def test_mutated_samples_that_keep_a_digest_always_parse() -> None:
    rng = random.Random(20240612)
    samples = list(sample_texts().values())
    counts: Counter[str] = Counter()
    for i in range(ROUNDS):
        damaged = mutate(rng.choice(samples), rng)
        result = outcome(damaged)
        must_parse = keeps_a_digest(damaged)
        if must_parse:
            assert result != "refused", (i, parse_error(damaged))
        counts[f"{'digest' if must_parse else 'not a digest'}: {result}"] += 1
    # Every path is common, so the test exercises them all.
    assert counts["digest: warned"] > ROUNDS // 2, counts
    assert counts["digest: clean"] > ROUNDS // 50, counts
    assert counts["not a digest: refused"] > ROUNDS // 20, counts


def parse_error(data: str | bytes) -> str:
    try:
        parse_digest(data, source="fuzz")
    except DigestFormatError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize("name", sorted(REPAIRABLE))
def test_each_repairable_mutation_parses_every_sample(name: str) -> None:
    mutation = REPAIRABLE[name]
    warned = 0
    for path, text in sample_texts().items():
        for seed in range(15):
            damaged = mutation(text, random.Random(seed))
            assert keeps_a_digest(damaged), (path, seed)
            digest = parse_digest(damaged, source=path)
            check_invariants(digest, line_count(damaged))
            check_nothing_invented(digest, damaged)
            warned += damaged != text and bool(digest.warnings)
            if name == "bare_video":  # the earliest era's own form: a video, no warning
                assert "<video src='" in damaged
                assert any(p.media_kind == "video" for p in digest.papers)
    if name == "bare_video":
        assert warned == 0
    else:  # a mutation that found nothing to damage warns of nothing; most of them did
        assert warned > 9 * 15 // 2, warned


def test_mutate_is_deterministic() -> None:
    text = sample_texts()["2024/10/18.md"]
    first = [mutate(text, random.Random(seed)) for seed in range(50)]
    again = [mutate(text, random.Random(seed)) for seed in range(50)]
    assert first == again


def test_unmutated_samples_parse_without_warnings() -> None:
    for text in sample_texts().values():
        digest = parse_digest(text)
        check_invariants(digest)
        check_nothing_invented(digest, text)
        assert digest.warnings == ()


DIGEST_LINES = st.sampled_from(
    [
        "",
        "## Daily Papers (2024-06-12)",
        "## Daily Papers (2024-06-13)",
        "## Daily Papers (2024-13-45)",
        "### [Title](https://arxiv.org/abs/2406.00001)",
        "### [Other [x] (y)](https://arxiv.org/abs/2406.00002v2)",
        "### [](https://arxiv.org/abs/2406.00003)",
        "  ### [Indented](https://arxiv.org/abs/2406.00004) trailing",
        "### [T](https://example.org)",
        "![](https://example.org/t.png)",
        "  ![](https://example.org/t.png)",
        "[Watch Video](https://example.org/v.mp4)",
        "[Watch Video]https://example.org/v.mp4",
        '<div><video controls src="https://example.org/v.mp4"></video></div>',
        "<video src='https://example.org/w.mp4'></video>",
        "Vote: 3",
        "Vote: -",
        "Vote: seven",
        "Authors: A, B",
        "Authors: A, +, B",
        "Authors: ['A', 'B']",
        "- **What's New**: x",
        "- ***Technical Details*: y",
        "- \x08ench \x0cramework $\x09heta$ \rho",
        "- plain",
        "  - nested",
        "prose",
        "<html>",
        "<!DOCTYPE html>",
    ]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(DIGEST_LINES, st.text(max_size=40)), max_size=30))
def test_line_soup(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = outcome(text)
    if keeps_a_digest(text) and not HTML_PAGE.match(comparable(text)):
        assert result != "refused", parse_error(text)


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_input(data: str | bytes) -> None:
    outcome(data)
