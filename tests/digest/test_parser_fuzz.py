"""Damaged digests: parse_digest returns a consistent Digest or raises DigestFormatError."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestbot.digest.model import Digest
from digestbot.digest.parser import parse_digest
from digestbot.errors import DigestFormatError
from tests.support.mutations import mutate, sample_texts

ROUNDS = 3000


def check_invariants(digest: Digest) -> None:
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
        assert all(s.name for s in p.sections)
    by_rank = sorted(digest.papers, key=lambda p: p.rank)
    keys = [(p.votes is None, -(p.votes or 0), p.position) for p in by_rank]
    assert keys == sorted(keys)


def outcome(text: str | bytes) -> str:
    try:
        digest = parse_digest(text, source="fuzz")
    except DigestFormatError as exc:
        assert exc.source == "fuzz"
        assert exc.line >= 1
        assert exc.problem
        return "error"
    check_invariants(digest)
    return "digest"


def test_mutated_samples_parse_or_fail_cleanly() -> None:
    rng = random.Random(20240612)
    samples = list(sample_texts().values())
    counts: Counter[str] = Counter()
    for _ in range(ROUNDS):
        counts[outcome(mutate(rng.choice(samples), rng))] += 1
    # Both outcomes are common, so the test exercises both paths.
    assert counts["digest"] > ROUNDS // 10
    assert counts["error"] > ROUNDS // 10


def test_mutate_is_deterministic() -> None:
    text = sample_texts()["2024/10/18.md"]
    first = [mutate(text, random.Random(seed)) for seed in range(50)]
    again = [mutate(text, random.Random(seed)) for seed in range(50)]
    assert first == again


def test_unmutated_samples_parse() -> None:
    for text in sample_texts().values():
        check_invariants(parse_digest(text))


DIGEST_LINES = st.sampled_from(
    [
        "",
        "## Daily Papers (2024-06-12)",
        "## Daily Papers (2024-06-13)",
        "### [Title](https://arxiv.org/abs/2406.00001)",
        "### [Other [x] (y)](https://arxiv.org/abs/2406.00002v2)",
        "### [](https://arxiv.org/abs/2406.00003)",
        "### [T](https://example.org)",
        "![](https://example.org/t.png)",
        "[Watch Video](https://example.org/v.mp4)",
        '<div><video controls src="https://example.org/v.mp4"></video></div>',
        "Vote: 3",
        "Vote: -",
        "Authors: A, B",
        "Authors: ['A', 'B']",
        "- **What's New**: x",
        "- ***Technical Details*: y",
        "- plain",
        "  - nested",
        "prose",
        "<html>",
    ]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(DIGEST_LINES, st.text(max_size=40)), max_size=30))
def test_line_soup(lines: list[str]) -> None:
    outcome("\n".join(lines))


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_input(data: str | bytes) -> None:
    outcome(data)
