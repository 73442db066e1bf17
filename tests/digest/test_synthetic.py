"""The synthetic digests of benchmarks/synthetic.py parse like the real ones of their era."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from benchmarks.synthetic import era_of, synthetic_archive, synthetic_digest
from digestbot.digest.model import SUMMARY_SECTION
from digestbot.digest.parser import parse_digest

NAMED = {"What's New", "What’s New", "Technical Details", "Performance Highlights"}


@pytest.mark.parametrize(
    ("day", "era"),
    [
        (dt.date(2023, 11, 20), "bare"),
        (dt.date(2023, 11, 22), "bullets"),
        (dt.date(2024, 2, 29), "bullets"),
        (dt.date(2024, 3, 1), "bullets+votes"),
        (dt.date(2024, 6, 11), "bullets+votes"),
        (dt.date(2024, 6, 12), "two-star"),
        (dt.date(2024, 10, 1), "three-star"),
        (dt.date(2025, 5, 9), "three-star"),
    ],
)
def test_eras(day: dt.date, era: str) -> None:
    assert era_of(day) == era
    text = synthetic_digest(day, 25, random.Random(day.toordinal()), id_offset=100)
    digest = parse_digest(text)
    assert digest.date == day
    assert len(digest.papers) == 25
    assert {p.arxiv_id for p in digest.papers} == {f"{day:%y%m}.{100 + i:05d}" for i in range(25)}
    assert 900 < len(text.encode()) / 25 < 2500  # bytes per paper, like the real files
    for paper in digest.papers:
        names = [s.name for s in paper.sections]
        if era in ("bare", "bullets", "bullets+votes"):
            assert names == [SUMMARY_SECTION]
            assert 5 <= len(paper.sections[0].text.split("\n")) <= 8
        else:
            assert set(names[:3]) <= NAMED
            assert len(names) in (3, 4)
        if era == "bare":
            assert (paper.media_url, paper.authors, paper.votes) == (None, (), None)
            continue
        assert paper.media_kind in ("image", "video")
        assert paper.authors
        assert all("'" not in name[:1] and "[" not in name for name in paper.authors)
        if era == "bullets":
            assert paper.votes is None
    if era in ("bullets+votes", "two-star", "three-star"):
        assert sum(p.votes is not None for p in digest.papers) >= 20


def test_list_literal_authors_in_october_2024() -> None:
    text = synthetic_digest(dt.date(2024, 10, 18), 10, random.Random(3))
    assert "Authors: ['" in text or 'Authors: ["' in text
    digest = parse_digest(text)
    assert all(p.authors and not p.authors[0].startswith("[") for p in digest.papers)


def test_some_three_star_days_have_two_blocks_and_repeat_a_paper() -> None:
    rng = random.Random(7)
    two_blocks = repeated = 0
    for i in range(60):
        text = synthetic_digest(dt.date(2025, 1, 6), 12, rng, id_offset=i * 12)
        listed = text.count("\n### [") + text.startswith("### [")
        two_blocks += text.count("## Daily Papers (") == 2
        repeated += listed == 13
        assert len(parse_digest(text).papers) == 12
    assert two_blocks > 5
    assert repeated > 0


def test_same_seed_same_text() -> None:
    day = dt.date(2024, 8, 23)
    assert synthetic_digest(day, 5, random.Random(1)) == synthetic_digest(day, 5, random.Random(1))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        synthetic_digest(dt.date(2024, 8, 23), 0, random.Random(1))
    with pytest.raises(ValueError):
        synthetic_digest(dt.date(2024, 8, 23), 5, random.Random(1), id_offset=99_999)


def test_archive_layout_and_unique_ids(tmp_path: Path) -> None:
    paths = synthetic_archive(tmp_path, days=30, papers_per_day=4, seed=5)
    assert len(paths) == 30
    assert paths[0] == tmp_path / "2023" / "11" / "20.md"
    days = [dt.date(int(p.parts[-3]), int(p.parts[-2]), int(p.stem)) for p in paths]
    assert all(day.weekday() < 5 for day in days)
    assert days == sorted(days)
    assert days[5] == dt.date(2023, 11, 27)  # the weekend is skipped
    ids: set[str] = set()
    for path, day in zip(paths, days, strict=True):
        digest = parse_digest(path.read_bytes(), source=str(path))
        assert digest.date == day
        assert len(digest.papers) == 4
        ids |= {p.arxiv_id for p in digest.papers}
    assert len(ids) == 30 * 4
    assert (
        synthetic_archive(tmp_path / "again", 30, 4, seed=5)[-1].read_text()
        == paths[-1].read_text()
    )
