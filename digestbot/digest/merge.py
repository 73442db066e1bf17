"""One day from several sources: the archive's digest and Hugging Face's list. Pure.

Rules (issue: "a digest every day"):

* The day's papers are the union of both. Archive papers keep their order; papers only
  Hugging Face lists follow, in its order. ``position`` is that order.
* Votes follow the freshest count: Hugging Face's upvotes for every paper it lists (its
  count is read now; the archive's was frozen when the file was written), the
  archive's for a paper it does not list. ``rank``: votes descending, ties by position,
  papers without votes last — the archive's own rule.
* Text is the archive's: its title, link and Korean sections are never replaced. A
  paper only Hugging Face lists has no sections yet (the bot writes them later).
* Authors: Hugging Face's full list when it has one (the archive's may end with ``+``);
  media: the archive's, else Hugging Face's thumbnail.
* Every paper Hugging Face lists carries its metadata (abstract, AI summary, keywords,
  GitHub, project page) in ``MergedDay.listed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from digestbot.digest.listing import ListedPaper
from digestbot.digest.model import Digest, Paper, ParseWarning, ranks_by_votes

__all__ = ["ARCHIVE", "HUGGING_FACE", "MergedDay", "merge_day"]

ARCHIVE = "archive"
HUGGING_FACE = "huggingface"


@dataclass(frozen=True, slots=True)
class MergedDay:
    digest: Digest  # the day as stored: papers, votes, ranks, the archive's sections
    listed: dict[str, ListedPaper] = field(default_factory=dict)  # HF metadata by arXiv id
    sources: tuple[str, ...] = ()  # which sources had the day (ARCHIVE, HUGGING_FACE)


def _from_listing(item: ListedPaper) -> Paper:
    return Paper(
        arxiv_id=item.arxiv_id,
        title=item.title,
        url=item.url,
        media_url=item.thumbnail,
        media_kind="image" if item.thumbnail else None,
        votes=item.upvotes,
        authors=item.authors,
    )


def _with_listing(paper: Paper, item: ListedPaper) -> Paper:
    media_url, media_kind = paper.media_url, paper.media_kind
    if media_url is None and item.thumbnail:
        media_url, media_kind = item.thumbnail, "image"
    authors, more = (item.authors, False) if item.authors else (paper.authors, paper.more_authors)
    return dataclasses.replace(
        paper,
        votes=item.upvotes if item.upvotes is not None else paper.votes,
        authors=authors,
        more_authors=more,
        media_url=media_url,
        media_kind=media_kind,
    )


def merge_day(
    day: dt.date,
    archive: Digest | None,
    listing: Sequence[ListedPaper] | None,
    *,
    source: str = "",
) -> MergedDay:
    """``archive`` (None: no file that day, or not configured) and ``listing`` (None:
    Hugging Face not asked or did not answer) as one day; ``source`` names where the
    day came from (the stored day's ``source``)."""
    listed = {item.arxiv_id: item for item in listing or ()}
    sources = tuple(
        name
        for name, present in ((ARCHIVE, archive is not None), (HUGGING_FACE, listing is not None))
        if present
    )
    warnings: tuple[ParseWarning, ...] = archive.warnings if archive is not None else ()
    papers: list[Paper] = []
    seen: set[str] = set()
    for paper in archive.papers if archive is not None else ():
        item = listed.get(paper.arxiv_id)
        papers.append(_with_listing(paper, item) if item is not None else paper)
        seen.add(paper.arxiv_id)
    papers += [_from_listing(item) for item in listing or () if item.arxiv_id not in seen]
    ranks = ranks_by_votes([p.votes for p in papers])
    ranked = tuple(
        dataclasses.replace(p, position=i, rank=ranks[i - 1]) for i, p in enumerate(papers, 1)
    )
    where = source or (archive.source if archive is not None else "")
    return MergedDay(Digest(day, ranked, where, warnings), listed, sources)
