"""What Korean summaries cost: a day of Hugging Face papers summarised by the bot through
the real ``openai`` client against the local OpenAI-compatible server
(``tests/support/llm_server.py``) with a realistic latency.

Prints the wall time of the day's summaries, the requests made, and the tokens a day:
as the server counted them (about four characters a token) and as a Korean-aware
estimate (a Hangul syllable is about one token in GPT-4o's tokenizer, other text about
four characters a token), with the cost at the prices given.

    python -m benchmarks.summaries                       # 50 papers, latency 1-3 s, 4 at once
    python -m benchmarks.summaries --papers 20 --concurrency 8
    python -m benchmarks.summaries --price-in 0.15 --price-out 0.60   # $ per million tokens
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from digestbot.digest.parser import parse_digest
from digestbot.digest.sources.huggingface import HuggingFaceSource
from digestbot.digest.sources.summarizer import Summarizer
from digestbot.digest.summaries import build_messages
from digestbot.packaged import sample_digests
from digestbot.services.ingest import Sources, ingest_day
from digestbot.store import models as m
from digestbot.store.db import create_engine, session_factory
from digestbot.store.migrate import upgrade
from tests.support.hf_server import HFServer, hf_item
from tests.support.llm_server import LLMServer

DAY = dt.date(2025, 6, 2)
HANGUL = re.compile("[\uac00-\ud7a3]")
# a real abstract's length (Hugging Face's list: about 1,300 characters)
ABSTRACT = (
    "Large language models have shown strong reasoning abilities, yet their behaviour on "
    "long-horizon tasks remains poorly understood. We introduce a benchmark of multi-step "
    "problems and a training recipe that combines reinforcement learning with verifiable "
    "rewards and curriculum sampling. "
) * 5


def korean_tokens(text: str) -> int:
    hangul = len(HANGUL.findall(text))
    return hangul + (len(text) - hangul + 3) // 4


async def run(papers: int, concurrency: int, latency: tuple[float, float]) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        HFServer() as hf,
        LLMServer(model="gpt-4o-mini", latency=latency) as llm,
    ):
        hf.set_day(
            DAY,
            [
                hf_item(
                    f"2506.{i:05d}", f"Paper {i}: a study of reasoning", 100 - i, summary=ABSTRACT
                )
                for i in range(1, papers + 1)
            ],
        )
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(engine)
        sessions = session_factory(engine)
        async with (
            httpx.AsyncClient(timeout=10) as http,
            Summarizer(llm.base_url, "sk-bench", "gpt-4o-mini", concurrency=concurrency) as model,
        ):
            sources = Sources(None, HuggingFaceSource(hf.url, http), model, max_summaries=1000)
            start = time.perf_counter()
            result = await ingest_day(sessions, sources, DAY)
            elapsed = time.perf_counter() - start
        async with sessions() as session:
            texts = (await session.scalars(select(m.Section.text))).all()
        await engine.dispose()
    report = result.summaries
    assert report is not None
    prompt_estimate = papers * sum(
        korean_tokens(msg["content"]) for msg in build_messages("Paper 1: a study", ABSTRACT)
    )
    served = sum(korean_tokens(text) for text in texts)
    # the test server's summaries are short: take the archive's real length per paper
    completion_estimate = papers * archive_tokens_per_paper()
    print(
        f"day of {papers} papers, model latency {latency[0]}-{latency[1]} s, {concurrency} at once"
    )
    print(f"  summaries written {report.written}, failed {report.failed}, pending {report.pending}")
    print(f"  wall time {elapsed:.1f} s ({elapsed / papers:.2f} s a paper)")
    print(f"  requests {len(llm.requests)} ({len(llm.requests) / papers:.2f} a paper)")
    print(
        f"  tokens (server's count): {report.prompt_tokens:,} prompt + "
        f"{report.completion_tokens:,} completion"
    )
    print(f"  completion as served (Korean-aware): {served:,} tokens")
    print(
        f"  tokens a day (Korean-aware, summaries as long as the archive's): "
        f"{prompt_estimate:,} prompt + {completion_estimate:,} completion"
    )
    ARGS.cost(prompt_estimate, completion_estimate)


def archive_tokens_per_paper() -> int:
    """The Korean-aware token count of the archive's three sections, per paper (the
    samples of the named-section eras)."""
    totals = []
    for path in sorted(sample_digests().glob("*/*/*.md")):
        for paper in parse_digest(path.read_bytes()).papers:
            if len(paper.sections) >= 3:
                totals.append(sum(korean_tokens(s.text) for s in paper.sections))
    return sum(totals) // len(totals)


class Prices:
    def __init__(self, price_in: float, price_out: float) -> None:
        self.price_in, self.price_out = price_in, price_out

    def cost(self, prompt: int, completion: int) -> None:
        day = prompt / 1e6 * self.price_in + completion / 1e6 * self.price_out
        print(
            f"  cost at ${self.price_in}/M in, ${self.price_out}/M out: "
            f"${day:.4f} a day, ${day * 30:.2f} a month"
        )


ARGS = Prices(0.15, 0.60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--price-in", type=float, default=0.15, help="$ per million tokens")
    parser.add_argument("--price-out", type=float, default=0.60, help="$ per million tokens")
    args = parser.parse_args()
    ARGS.price_in, ARGS.price_out = args.price_in, args.price_out
    asyncio.run(run(args.papers, args.concurrency, (args.latency[0], args.latency[1])))


if __name__ == "__main__":
    main()
