"""Pure formatting of stored papers for ``digestbot export`` (json / jsonl)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from digestbot.store.archive import PaperView


def paper_record(paper: PaperView) -> dict[str, Any]:
    return {
        "date": paper.day.isoformat() if paper.day else None,
        "rank": paper.rank,
        "position": paper.position,
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "url": paper.url,
        "media_url": paper.media_url,
        "media_kind": paper.media_kind,
        "votes": paper.votes,
        "authors": list(paper.authors),
        "more_authors": paper.more_authors,
        "sections": [{"name": s.name, "text": s.text} for s in paper.sections],
        # "archive", "model:<name>", or None when the paper has no sections yet
        "summary_origin": paper.summary_origin,
        "abstract": paper.abstract,
        "ai_summary": paper.ai_summary,
        "keywords": list(paper.keywords),
        "github_repo": paper.github_repo,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page,
    }


def format_json(papers: Iterable[PaperView]) -> str:
    return json.dumps([paper_record(p) for p in papers], ensure_ascii=False, indent=2)


def format_jsonl(papers: Iterable[PaperView]) -> Iterator[str]:
    for paper in papers:
        yield json.dumps(paper_record(paper), ensure_ascii=False)
