"""Synthetic digests that look like the real archive of their date, for benchmarks and tests.

The real files cannot be copied in bulk (CC BY-NC-ND), so these are generated: the same
layout and drift as the real archive at that date, Korean-looking text of a realistic
length (about 1.2 KB per paper), and unique arXiv-style ids.

Eras, by the date of the digest:

* before 2023-11-22: heading and plain ``- `` bullets only (no media, authors or votes);
* until 2024-02-29: a thumbnail or, sometimes, a video with its ``<div><video>`` player,
  ``Authors: A, B``, plain bullets, no ``Vote:`` line;
* until 2024-06-11: the same with ``Vote: N`` (rarely ``Vote: -``);
* from 2024-06-12: ``- **Name**: text`` sections;
* from 2024-10-01: ``- ***Name***: text`` sections (a few papers keep ``**``), sometimes
  two date blocks; in October 2024 ``Authors:`` is a Python list literal.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

__all__ = ["ERAS", "era_of", "synthetic_archive", "synthetic_digest"]

FIRST_DAY = dt.date(2023, 11, 20)
ERAS = {
    "bare": dt.date(2023, 11, 20),
    "bullets": dt.date(2023, 11, 22),
    "bullets+votes": dt.date(2024, 3, 1),
    "two-star": dt.date(2024, 6, 12),
    "three-star": dt.date(2024, 10, 1),
}
_LIST_AUTHORS = (dt.date(2024, 10, 1), dt.date(2024, 10, 31))
_THUMBS = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/"
_UPLOADS = "https://cdn-uploads.huggingface.co/production/uploads/60f1abe7544c2adfd699860c/"

_PROSE = (
    "본 연구에서는 새로운 방법을 제안합니다 모델은 대규모 언어 "
    "모델의 성능을 크게 향상시켰습니다 이 논문은 기존 접근 방식의 "
    "한계를 극복하기 위해 효율적인 프레임워크를 소개합니다 실험 "
    "결과 제안된 기법은 여러 벤치마크에서 최첨단 성능을 달성했으며 "
    "추론 속도와 메모리 사용량을 줄였습니다 데이터셋 학습 평가 "
    "정렬 확산 모델 비전 언어 멀티모달 에이전트 강화학습 토큰 "
    "압축 주의 메커니즘 세부적으로 인코더와 디코더 구조를 결합하여 "
    "표현 공간을 일치시키고 계층적 전략을 사용합니다 또한 코드와 "
    "모델을 공개하여 재현성을 높였습니다 특히 긴 문맥에서 뛰어난 "
    "일반화 능력을 보였습니다"
)
_WORDS = tuple(_PROSE.split())
_TERMS = (
    "Transformer", "LLM", "VLM", "MoE", "LoRA", "RLHF", "DPO", "ViT", "NeRF", "CoT", "GPT-4o",
    "ImageNet", "MMLU", "(in-context learning)", "(diffusion model)", "3D", "SOTA", "FID",
)  # fmt: skip
_TITLE_WORDS = (
    "Scaling", "Efficient", "Diffusion", "Reasoning", "Agents", "Vision", "Language", "Models",
    "Benchmark", "Sparse", "Attention", "Video", "Generation", "Alignment", "Long-Context",
    "Multimodal", "Retrieval", "Self-Improving", "Tokens", "Robust", "Learning", "Survey",
)  # fmt: skip
_TITLE_ODDITIES = (
    "M$^{2}$UGen", "Q&A", "<Think>", "[Re]visiting", "(Almost) Free", "*Star*", '"Chirp"',
    "Earn $1 Million", "What’s Next?",
)  # fmt: skip
_GIVEN = ("Min", "Wei", "Ji", "Sara", "Jun", "Anna", "Hao", "Yuki", "Omar", "Léo", "Jiří", "Ada")
_FAMILY = ("Kim", "Lee", "Wang", "Zhang", "Smith", "Müller", "Park", "Chen", "O'Brien", "Li")
_EXTRA_SECTIONS = ("Related Work Summary", "Serving Considerations and Improvements", "한계점")


def era_of(day: dt.date) -> str:
    """The name of the format era ``day`` belongs to (a key of :data:`ERAS`)."""
    name = "bare"
    for era, start in ERAS.items():
        if day >= start:
            name = era
    return name


def synthetic_digest(day: dt.date, papers: int, rng: random.Random, id_offset: int = 0) -> str:
    """A digest for ``day`` with ``papers`` distinct papers, in that date's format.

    Ids are ``YYMM.NNNNN`` with ``NNNNN = id_offset + i``, so digests generated with
    non-overlapping offsets never share a paper. When the day gets two date blocks, the
    second block may list one paper of the first again (with a higher vote), as the real
    generator did; the distinct papers are still ``papers``.
    """
    if papers < 1:
        raise ValueError("a digest has at least one paper")
    if id_offset < 0 or id_offset + papers > 100_000:
        raise ValueError("arXiv-style ids need 0 <= id_offset and id_offset + papers <= 100000")
    era = era_of(day)
    ids = [f"{day:%y%m}.{id_offset + i:05d}" for i in range(papers)]
    votes = sorted((int(rng.paretovariate(1.3)) - 1 for _ in ids), reverse=True)
    if era == "three-star":  # later files are not sorted by votes
        votes = [v + rng.randint(-3, 3) if v > 3 else v for v in votes]
    entries = [
        _paper(day, era, arxiv_id, vote, rng) for arxiv_id, vote in zip(ids, votes, strict=True)
    ]
    header = f"## Daily Papers ({day:%Y-%m-%d})\n\n"
    if era == "three-star" and papers > 2 and rng.random() < 0.3:
        split = rng.randrange(1, papers)
        second = entries[split:]
        if rng.random() < 0.5:
            again = rng.randrange(split)
            second.append(_paper(day, era, ids[again], votes[again] + 5, rng))
        return header + "".join(entries[:split]) + header + "".join(second)
    return header + "".join(entries)


def synthetic_archive(root: Path, days: int, papers_per_day: int, seed: int = 0) -> list[Path]:
    """Write ``root/YYYY/MM/DD.md`` for ``days`` weekdays from 2023-11-20; return the paths."""
    rng = random.Random(seed)
    paths: list[Path] = []
    day = FIRST_DAY
    while len(paths) < days:
        if day.weekday() < 5:
            path = root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            offset = (len(paths) * papers_per_day) % (100_000 - papers_per_day)
            path.write_text(synthetic_digest(day, papers_per_day, rng, offset), encoding="utf-8")
            paths.append(path)
        day += dt.timedelta(days=1)
    return paths


def _paper(day: dt.date, era: str, arxiv_id: str, vote: int, rng: random.Random) -> str:
    lines = [f"### [{_title(rng)}](https://arxiv.org/abs/{arxiv_id})", ""]
    if era != "bare":
        if era == "bullets" and rng.random() < 0.4:
            video = f"{_UPLOADS}{_token(rng)}.mp4"
            lines += [
                f"[Watch Video]({video})",
                f'<div><video controls src="{video}" muted="false"></video></div>',
                "",
            ]
        elif rng.random() < 0.05:
            lines += [f"![](/avatars/{rng.getrandbits(128):032x}.svg)", ""]
        else:
            lines += [f"![]({_THUMBS}{arxiv_id}.png)", ""]
        if era != "bullets":
            shown = "-" if rng.random() < 0.01 else str(vote)
            lines += [f"Vote: {shown}", ""]
        names = [_author(rng) for _ in range(rng.randint(1, 16))]
        if len(names) > 8 and rng.random() < 0.2:
            names.insert(rng.randrange(1, len(names)), "+")
        if _LIST_AUTHORS[0] <= day <= _LIST_AUTHORS[1]:
            lines += [f"Authors: {names!r}", ""]
        else:
            lines += [f"Authors: {', '.join(names)}", ""]
    if era in ("bare", "bullets", "bullets+votes"):
        lines += [f"- {_sentence(rng, 80, 120)}" for _ in range(rng.randint(5, 8))]
    else:
        stars = "**" if era == "two-star" or rng.random() < 0.15 else "***"
        names = ["What's New", "Technical Details", "Performance Highlights"]
        if rng.random() < 0.05:
            names.append(rng.choice(_EXTRA_SECTIONS))
        if rng.random() < 0.02:
            names[0] = "What’s New"
        for name in names:
            lines.append(f"- {stars}{name}{stars}: {_sentence(rng, 200, 300)}")
            if rng.random() < 0.03:
                lines.append(_sentence(rng, 40, 120))  # a continuation line
            if era == "two-star":
                lines.append("")
    lines += ["", ""]
    return "\n".join(lines)


def _title(rng: random.Random) -> str:
    words = rng.sample(_TITLE_WORDS, rng.randint(3, 9))
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_TITLE_ODDITIES))
    name = "".join(rng.choice("ABCDEFGHKLMNPRSTVXZ") for _ in range(rng.randint(2, 6)))
    return f"{name}: {' '.join(words)}"


def _author(rng: random.Random) -> str:
    return f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    """Korean-looking prose of ``low`` to ``high`` characters."""
    target = rng.randint(low, high)
    parts: list[str] = []
    size = 0
    while size < target:
        word = rng.choice(_TERMS) if rng.random() < 0.25 else rng.choice(_WORDS)
        parts.append(word)
        size += len(word) + 1
    return " ".join(parts) + "."


def _token(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(rng.choice(alphabet) for _ in range(21))
