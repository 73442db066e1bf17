"""The archive CLI end to end, as an operator runs it: the real commands (in this
process), a real database, digests over real HTTP. Expected values were written by hand
from the sample files."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from digestbot.cli.app import app
from digestbot.digest.sources import FolderSource
from digestbot.services.ingest import Sources, ingest_day
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade
from tests.conftest import DIGESTS
from tests.support.digest_server import DigestServer


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


runner = CliRunner()


def digestbot(db_url: str, *args: str, source: str = "") -> Done:
    """``digestbot ARGS`` as the operator types it, run in this process (Typer's runner:
    the real command, its settings from the environment, its output and exit code)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIGESTBOT_")}
    env["DIGESTBOT_DATABASE_URL"] = db_url
    env["DIGESTBOT_HF_API_URL"] = ""  # no internet in tests
    if source:
        env["DIGESTBOT_SOURCE"] = source
    result = runner.invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


async def _store_samples(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        folder = FolderSource(DIGESTS)
        results = [await ingest_day(sessions, Sources(folder), day) for day in folder.days()]
    finally:
        await engine.dispose()
    return sum(r.papers for r in results)


@pytest.fixture
def archive_db(db_url: str) -> str:
    """The samples stored in-process (the CLI's own ``ingest --dir`` has its test)."""
    assert asyncio.run(_store_samples(db_url)) == 176
    return db_url


def test_ingest_dir_stores_every_sample(db_url: str) -> None:
    done = digestbot(db_url, "ingest", "--dir", str(DIGESTS), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "stored 9 day(s), 176 paper(s); 0 day(s) without a digest; 0 failed" in done.stdout
    assert len(export(db_url, "--from", "2023-01-01", "--to", "2030-01-01")) == 176


def export(db_url: str, *args: str) -> list[dict[str, Any]]:
    done = digestbot(db_url, "export", *args)
    assert done.returncode == 0, done.stderr
    if "--format" in args and "jsonl" in args:
        return [json.loads(line) for line in done.stdout.splitlines()]
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def test_export_earliest_era_plain_bullets_and_video(archive_db: str) -> None:
    papers = export(archive_db, "--date", "2023-11-22")
    assert len(papers) == 8
    first = papers[0]
    assert first["date"] == "2023-11-22"
    assert first["rank"] == 1
    assert first["arxiv_id"] == "2311.12052"
    assert first["title"] == (
        "MagicDance: Realistic Human Dance Video Generation with Motions & "
        "Facial Expressions Transfer"
    )
    assert first["url"] == "https://arxiv.org/abs/2311.12052"
    assert first["media_kind"] == "video"
    assert first["media_url"].endswith("/QPqDXcHNhksZaqkYOjZNQ.mp4")
    assert first["votes"] is None
    assert first["authors"][0] == "Di Chang"
    assert first["authors"][-1] == "Mohammad Soleymani"
    assert len(first["authors"]) == 9
    assert len(first["sections"]) == 1
    bullets = first["sections"][0]["text"].split("\n")
    assert len(bullets) == 7
    assert bullets[0].startswith("본 연구에서는 도전적인 인간 댄스 비디오")
    assert bullets[-1].endswith("얼마나 우수한지를 입증합니다.")
    second = papers[1]
    assert (second["arxiv_id"], second["media_kind"]) == ("2311.12092", "image")


def test_export_plain_bullet_era_with_votes(archive_db: str) -> None:
    papers = export(archive_db, "--date", "2024-03-15", "--format", "jsonl")
    assert len(papers) == 14
    mm1 = papers[0]
    assert mm1["title"] == "MM1: Methods, Analysis & Insights from Multimodal LLM Pre-training"
    assert (mm1["arxiv_id"], mm1["votes"], mm1["rank"]) == ("2403.09611", 45, 1)
    assert mm1["authors"][:3] == ["Doug Kang", "Futang Peng", "Chong Wang"]
    assert mm1["media_url"] == (
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.09611.png"
    )
    assert mm1["sections"][0]["text"].startswith("이 연구에서는 성능이 좋은 복합모달")
    websight = papers[1]
    assert websight["authors"] == ["Hugo Laurençon", "Léo Tronchon", "Victor Sanh"]
    assert websight["votes"] == 28


def test_export_named_sections_era(archive_db: str) -> None:
    papers = export(archive_db, "--date", "2024-06-12")
    assert len(papers) == 16
    titok = papers[0]
    assert titok["title"] == "An Image is Worth 32 Tokens for Reconstruction and Generation"
    assert (titok["arxiv_id"], titok["votes"]) == ("2406.07550", 52)
    assert titok["authors"][0] == "Xueqing Deng" and titok["authors"][-1] == "Qihang Yu"
    names = [s["name"] for s in titok["sections"]]
    assert names == ["What's New", "Technical Details", "Performance Highlights"]
    assert titok["sections"][0]["text"].startswith("최근 이미지 생성 분야에서 Transformer와")
    assert titok["sections"][2]["text"].endswith("상당한 시간 단축을 이루었습니다.")


def test_export_extra_section_and_three_asterisk_era(archive_db: str) -> None:
    august = export(archive_db, "--date", "2024-08-23")
    names = {s["name"] for p in august for s in p["sections"]}
    assert "Serving Considerations and Improvements" in names
    june = export(archive_db, "--date", "2024-06-12")
    assert "Related Work Summary" in {s["name"] for p in june for s in p["sections"]}

    october = export(archive_db, "--date", "2024-10-18")
    assert len(october) == 9  # two date blocks, one day
    mapreduce = next(p for p in october if p["arxiv_id"] == "2410.09342")
    assert mapreduce["rank"] == 1 and mapreduce["votes"] == 34
    assert mapreduce["authors"][0] == "Zihan Zhou" and len(mapreduce["authors"]) == 14
    assert [s["name"] for s in mapreduce["sections"]] == [
        "What's New",
        "Technical Details",
        "Performance Highlights",
    ]
    second_block = next(p for p in october if p["arxiv_id"] == "2410.13852")
    assert second_block["title"] == "Retrospective Learning from Interactions"
    assert second_block["votes"] == 1


def test_export_ranks_by_votes_when_the_file_is_not_sorted(archive_db: str) -> None:
    papers = export(archive_db, "--date", "2024-11-14")
    assert [(p["rank"], p["position"], p["votes"]) for p in papers] == [
        (1, 4, 39),
        (2, 7, 15),
        (3, 6, 10),
        (4, 5, 8),
        (5, 3, 4),
        (6, 1, 2),
        (7, 2, 0),
    ]
    sealong = papers[0]
    assert sealong["title"] == "Large Language Models Can Self-Improve in Long-context Reasoning"
    assert sealong["authors"] == [
        "Mo Yu",
        "Siheng Li",
        "Lemao Liu",
        "Zesen Cheng",
        "Yujiu Yang",
        "Wai Lam",
        "Cheng Yang",
    ]
    assert sealong["sections"][2]["text"].startswith(
        "SEALONG은 Llama-3.1-8B-Instruct 모델에 대해 점수를 50.8에서 55.0으로"
    )


def test_export_largest_and_last_day(archive_db: str) -> None:
    february = export(archive_db, "--date", "2025-02-19")
    assert len(february) == 68
    assert february[0]["votes"] == 71
    assert {p["arxiv_id"] for p in february} >= {"2502.12982", "2502.12900", "2502.13063"}
    may = export(archive_db, "--date", "2025-05-09")
    assert len(may) == 20
    assert may[0]["arxiv_id"] == "2505.04921" and may[0]["votes"] == 75
    assert may[0]["title"] == (
        "Perception, Reason, Think, and Plan: A Survey on Large Multimodal Reasoning Models"
    )
    assert may[-1]["votes"] == 1
    everything = export(archive_db, "--from", "2023-01-01", "--to", "2030-01-01")
    assert len(everything) == 176


def test_ingest_range_over_http_counts_missing_days_and_reports_bad_ones(
    db_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "paper_logs"
    (root / "2024" / "06").mkdir(parents=True)
    for day in ("11", "12"):
        (root / "2024" / "06" / f"{day}.md").write_bytes(
            (DIGESTS / "2024" / "06" / f"{day}.md").read_bytes()
        )
    (root / "2024" / "06" / "13.md").write_text("<html><body>Rate limited</body></html>")
    with DigestServer(tmp_path) as server:
        template = server.url + "/paper_logs/{YYYY}/{MM}/{DD}.md"
        done = digestbot(
            db_url, "ingest", "--from", "2024-06-10", "--to", "2024-06-14", source=template
        )
    assert done.returncode == 1
    assert (
        "stored 2 day(s), 30 paper(s); 2 day(s) without a digest; 1 failed; 0 warning(s)"
        in done.stdout
    )
    assert "2024-06-13" in done.stderr and "13.md:1" in done.stderr
    assert "ingest" in done.stderr  # the progress bar was drawn on stderr


def test_ingest_single_file_and_bad_arguments(db_url: str, tmp_path: Path) -> None:
    done = digestbot(db_url, "ingest", "--file", str(DIGESTS / "2024/10/18.md"))
    assert done.returncode == 0 and "stored 1 day(s), 9 paper(s)" in done.stdout
    bad = digestbot(db_url, "ingest", "--date", "2024-13-01")
    assert bad.returncode == 2 and "not a date; use YYYY-MM-DD" in bad.stderr
    none = digestbot(db_url, "ingest")
    assert none.returncode == 2 and "exactly one of" in none.stderr
    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\x00\xff\xfe binary")
    failed = digestbot(db_url, "ingest", "--file", str(junk))
    assert failed.returncode == 1 and "junk.md" in failed.stderr


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    done = digestbot("mysql://nope", "export")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "DIGESTBOT_DATABASE_URL" in done.stderr


def test_an_unreachable_database_is_one_line_not_a_traceback() -> None:
    done = digestbot("postgresql+asyncpg://nobody@127.0.0.1:9/none", "export")
    assert done.returncode == 2
    assert done.stderr.startswith("database error:")
    assert "Traceback" not in done.stderr


def test_ingest_counts_and_lists_what_was_repaired(db_url: str, tmp_path: Path) -> None:
    text = (DIGESTS / "2024/06/12.md").read_text(encoding="utf-8")
    damaged = tmp_path / "12.md"
    # a control character where the generator lost a LaTeX backslash, and a second Vote
    damaged.write_text(
        text.replace("Vote: 52\n", "Vote: 52\nVote: 1\n", 1).replace(
            "- **What's New**:", "- **What's New**: \x08enchmark", 1
        ),
        encoding="utf-8",
    )
    done = digestbot(db_url, "ingest", "--file", str(damaged))
    assert done.returncode == 0, done.stderr
    assert "stored 1 day(s), 16 paper(s); 0 day(s) without a digest; 0 failed; 2 warning(s)" in (
        done.stdout
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning ")]
    assert len(warnings) == 2
    assert "12.md:" in warnings[0] and "read as '\\benchmark'" in " ".join(warnings)
    assert any("repeated 'Vote:' line: ignored" in w for w in warnings)
    # the repaired text is what was stored
    [paper] = [p for p in export(db_url, "--date", "2024-06-12") if p["votes"] == 52]
    assert paper["sections"][0]["text"].startswith("\\benchmark")
