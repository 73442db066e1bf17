"""Push size benchmark: how often the morning push fits ONE Telegram message.

Renders the default push (top 5, every section) of every weekday of the archive's span
(2023-11-20 .. 2025-05-09, the real eras, synthetic digests from benchmarks/synthetic.py)
and of the nine real sample days, with the compact renderer (``present.push``) and, for
comparison, the push before it (``present.html.render_digest_messages``). Prints the
share of one-message pushes and the median / max characters (UTF-16 units of the HTML,
as ``present.split`` counts), also for top 10 and top 20.

    python -m benchmarks.push_size
    python -m benchmarks.push_size --quick      # 60 days
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable, Sequence

from benchmarks.synthetic import FIRST_DAY, synthetic_digest
from digestbot.digest.model import Digest
from digestbot.digest.parser import parse_digest
from digestbot.packaged import sample_digests
from digestbot.present.html import render_digest_messages
from digestbot.present.push import render_push
from digestbot.present.split import utf16_len
from digestbot.store.archive import ARCHIVE_ORIGIN, PaperView

LAST_DAY = dt.date(2025, 5, 9)

Render = Callable[[dt.date, Sequence[PaperView], int], list[str]]


def views(digest: Digest) -> list[PaperView]:
    """A parsed digest's papers as the store would give them back, in rank order."""
    papers = sorted(digest.papers, key=lambda p: p.rank)
    return [
        PaperView(
            arxiv_id=p.arxiv_id,
            title=p.title,
            url=p.url,
            media_url=p.media_url,
            media_kind=p.media_kind,
            authors=p.authors,
            sections=p.sections,
            more_authors=p.more_authors,
            day=digest.date,
            rank=p.rank,
            position=p.position,
            votes=p.votes,
            summary_origin=ARCHIVE_ORIGIN if p.sections else None,
        )
        for p in papers
    ]


def synthetic_days(days: int | None, seed: int = 0) -> list[Digest]:
    """Every weekday of the real span (or the first ``days``), 8 to 68 papers a day."""
    rng = random.Random(seed)
    digests: list[Digest] = []
    day = FIRST_DAY
    while day <= LAST_DAY and (days is None or len(digests) < days):
        if day.weekday() < 5:
            digests.append(parse_digest(synthetic_digest(day, rng.randint(8, 68), rng)))
        day += dt.timedelta(days=1)
    return digests


def sample_days() -> list[Digest]:
    return [parse_digest(p.read_text("utf-8")) for p in sorted(sample_digests().glob("*/*/*.md"))]


def compact(day: dt.date, papers: Sequence[PaperView], total: int) -> list[str]:
    return [m.text for m in render_push(day, papers, total=total)]


def old(day: dt.date, papers: Sequence[PaperView], total: int) -> list[str]:
    return render_digest_messages(day, papers, total=total)


def measure(digests: Sequence[Digest], render: Render, top: int) -> tuple[float, int, int, float]:
    """(share of one-message pushes, median and max characters, ms per push)."""
    counts, sizes = [], []
    start = time.perf_counter()
    for digest in digests:
        papers = views(digest)
        messages = render(digest.date, papers[:top], len(papers))
        counts.append(len(messages))
        sizes.append(sum(utf16_len(m) for m in messages))
    ms = (time.perf_counter() - start) * 1000 / max(len(digests), 1)
    share = sum(1 for c in counts if c == 1) / max(len(counts), 1)
    return share, int(statistics.median(sizes)), max(sizes), ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the first 60 weekdays only")
    args = parser.parse_args()
    sets = {
        "synthetic archive": synthetic_days(60 if args.quick else None),
        "real samples": sample_days(),
    }
    print(f"{'days':>24} {'push':>8} {'top':>4} {'1 msg':>7} {'median':>7} {'max':>6} {'ms':>6}")
    for name, digests in sets.items():
        for label, render in (("compact", compact), ("old", old)):
            for top in (5, 10, 20):
                share, median, largest, ms = measure(digests, render, top)
                print(
                    f"{name + f' ({len(digests)})':>24} {label:>8} {top:>4} {share:>7.1%}"
                    f" {median:>7,} {largest:>6,} {ms:>6.2f}"
                )


if __name__ == "__main__":
    main()
