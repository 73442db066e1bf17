"""Broadcast benchmark: the delivery engine against the fake Bot API server.

    python benchmarks/broadcast.py                    # 10,000 subscribers (~6 minutes)
    python benchmarks/broadcast.py --subscribers 600  # a quick run

1. At the default limits (30 messages/s), with 5 % of sends answered 429 (retry_after 1)
   and the server enforcing Telegram's limits: achieved messages/s ÷ the ceiling (goal ≥
   0.95), duplicates (goal 0), losses (goal 0), the server's count of limit violations,
   and the engine's count of "uncertain" retries (a timeout after the request went out:
   Telegram may have accepted the message, so the retry may duplicate it).
2. With rate limits switched off and no faults: the engine's own ceiling (messages/s it
   can push to a fast local server).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from digestbot.config import load_settings  # noqa: E402
from digestbot.delivery.client import make_bot  # noqa: E402
from digestbot.delivery.engine import DeliveryEngine, limits_from_settings  # noqa: E402
from digestbot.delivery.enqueue import enqueue_broadcast  # noqa: E402
from digestbot.store.db import create_engine, session_factory  # noqa: E402
from digestbot.store.migrate import upgrade  # noqa: E402
from digestbot.store.models import Chat, Subscription  # noqa: E402
from tests.support.botapi import TOKEN, FakeBotAPI  # noqa: E402


@dataclass
class Result:
    messages: int
    seconds: float
    duplicates: int
    losses: int
    violations: int
    violation_kinds: dict[str, int]
    flood_answers: int
    uncertain: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


async def subscribe(sessions: async_sessionmaker[AsyncSession], users: list[int]) -> None:
    async with sessions.begin() as session:
        session.add_all(Chat(id=u, type="private", title=str(u)) for u in users)
        await session.flush()
        session.add_all(Subscription(chat_id=u) for u in users)


async def run(
    database_url: str, subscribers: int, *, limited: bool, flood: float, concurrency: int
) -> Result:
    users = list(range(10_000_001, 10_000_001 + subscribers))
    with FakeBotAPI() as server:
        for user in users:
            server.add_chat(user)
        settings = load_settings(
            token=TOKEN,
            api_url=server.url,
            database_url=database_url,
            delivery_concurrency=concurrency,
            log_level="WARNING",
        )
        engine = create_engine(database_url)
        await upgrade(engine)
        sessions = session_factory(engine)
        await subscribe(sessions, users)
        async with sessions.begin() as session:
            await enqueue_broadcast(session, "오늘의 논문 다이제스트 (benchmark)", "bench")
        if limited:
            server.set_flood(flood, retry_after=1)
            server.enforce_limits()
        async with make_bot(settings) as bot:
            delivery = DeliveryEngine(
                bot,
                sessions,
                settings,
                instance="bench",
                limits=limits_from_settings(settings, enabled=limited),
            )
            started = time.monotonic()
            stats = await delivery.run_until_idle()
            finished = time.monotonic()
        await engine.dispose()
        sent = server.messages
        per_chat = collections.Counter(m.chat_id for m in sent)
        times = sorted(m.at for m in sent)
        span = (times[-1] - times[0]) if len(times) > 1 else finished - started
        return Result(
            messages=len(sent),
            seconds=span,
            duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
            losses=sum(1 for u in users if per_chat[u] == 0),
            violations=server.limit_violations,
            violation_kinds=dict(collections.Counter(k for k, _, _ in server.limit_violation_log)),
            flood_answers=sum(1 for c in server.calls("sendMessage") if c.status == 429),
            uncertain=stats.uncertain,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--flood", type=float, default=0.05, help="share of sends answered 429")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--ceiling-subscribers", type=int, default=None, help="for the no-limits run"
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    ceiling = load_settings().rate_global_per_second

    with tempfile.TemporaryDirectory() as tmp:

        def url(name: str) -> str:
            return args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / name}"

        limited = asyncio.run(
            run(
                url("limited.db"),
                args.subscribers,
                limited=True,
                flood=args.flood,
                concurrency=args.concurrency,
            )
        )
        print(
            f"limited run: {args.subscribers} subscribers, {limited.flood_answers} answers 429 "
            f"({args.flood:.0%} injected)"
        )
        print(f"  achieved {limited.rate:.2f} messages/s over {limited.seconds:.1f} s")
        print(f"  achieved / ceiling ({ceiling:g}/s): {limited.rate / ceiling:.3f}  (goal >= 0.95)")
        print(f"  duplicates: {limited.duplicates}  (goal 0)")
        print(f"  losses: {limited.losses}  (goal 0)")
        print(f"  uncertain retries (timed out after sending; may duplicate): {limited.uncertain}")
        print(
            f"  server-side limit violations (answered 429, retried): {limited.violations} "
            f"{limited.violation_kinds or ''}"
        )

        free = asyncio.run(
            run(
                url("free.db") if not args.database_url else args.database_url,
                args.ceiling_subscribers or args.subscribers,
                limited=False,
                flood=0.0,
                concurrency=args.concurrency,
            )
        )
        print(
            f"engine ceiling (rate limits off): {free.rate:.0f} messages/s "
            f"({free.messages} messages in {free.seconds:.2f} s; "
            f"duplicates {free.duplicates}, losses {free.losses})"
        )


if __name__ == "__main__":
    main()
