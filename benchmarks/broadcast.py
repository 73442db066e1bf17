"""Broadcast benchmark: ``digestbot deliver`` processes against the local Bot API server.

    python -m benchmarks.broadcast                          # every mode, SQLite
    python -m benchmarks.broadcast --postgres postgresql+asyncpg://postgres@127.0.0.1/test
    python -m benchmarks.broadcast --modes free --subscribers 5000 --postgres URL
    python -m benchmarks.broadcast --modes limited --instances 2 --postgres URL

The engine runs as real ``digestbot deliver --until-idle`` processes (``--instances`` of
them; several need PostgreSQL), the Bot API server in this process, so the two do not
share one interpreter. Modes:

``limited``  Telegram's limits (30 messages/s) enforced by the server, 5 % of sends
             answered 429 (retry_after 1): achieved messages/s ÷ the ceiling (goal ≥ 0.95)
             and the 429s the server's own limits gave (goal: under 1 %).
``free``     limits off on both sides, no faults: the engine's own ceiling (goal ≥ 1,000
             messages/s on PostgreSQL).
``paid``     paid broadcasts on (``allow_paid_broadcast``), the server enforcing 1,000/s
             for them: messages/s, and the messages counted as paid in the database.

Every mode prints duplicates and losses (goal 0 and 0).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from benchmarks.ingest import drop_schema, fresh_postgres_schema  # noqa: E402
from digestbot.delivery.outbox import NewDelivery, add_deliveries  # noqa: E402
from digestbot.store.db import create_engine, session_factory  # noqa: E402
from digestbot.store.migrate import upgrade  # noqa: E402
from digestbot.store.models import Chat, DeliveryKind, PaidSends  # noqa: E402
from tests.support.botapi import TOKEN, FakeBotAPI  # noqa: E402

MODES = ("limited", "free", "paid")


@dataclass
class Result:
    mode: str
    messages: int
    seconds: float
    duplicates: int
    losses: int
    answers_429: int
    limit_429: int
    limit_kinds: dict[str, int]  # the server's 429s by limit: global, paid, private, group
    paid: int
    cpu_seconds: float  # user + system time of the deliver processes

    @property
    def cpu_per_message(self) -> float:
        return self.cpu_seconds / self.messages if self.messages else 0.0

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


async def prepare(sessions: async_sessionmaker[AsyncSession], users: list[int]) -> None:
    async with sessions.begin() as session:
        session.add_all(Chat(id=u, type="private", title=str(u)) for u in users)
        await session.flush()
        await add_deliveries(
            session,
            [
                NewDelivery(
                    f"push:bench:{u}:0", DeliveryKind.PUSH, u, 0, ["오늘의 논문 (benchmark)"]
                )
                for u in users
            ],
        )


async def paid_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.coalesce(func.sum(PaidSends.sent), 0))) or 0)


def environment(
    mode: str, server: FakeBotAPI, database_url: str, concurrency: int
) -> dict[str, str]:
    env = {
        **os.environ,
        "DIGESTBOT_TOKEN": TOKEN,
        "DIGESTBOT_API_URL": server.url,
        "DIGESTBOT_DATABASE_URL": database_url,
        "DIGESTBOT_DELIVERY_CONCURRENCY": str(concurrency),
        "DIGESTBOT_LOG_LEVEL": "WARNING",
        "DIGESTBOT_HF_API_URL": "",
        "PTB_TIMEDELTA": "true",
    }
    if mode == "free":
        env["DIGESTBOT_RATE_LIMITS_ENABLED"] = "false"
    if mode == "paid":
        env |= {
            "DIGESTBOT_PAID_BROADCAST": "true",
            "DIGESTBOT_PAID_BROADCAST_DAILY_CAP": "10000000",
        }
    return env


def start_instances(env: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "digestbot", "deliver", "--until-idle"]
    return [
        subprocess.Popen(
            [*command, "--instance", f"bench-{i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(count)
    ]


async def run(
    mode: str, database_url: str, subscribers: int, *, instances: int, concurrency: int
) -> Result:
    users = list(range(10_000_001, 10_000_001 + subscribers))
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    await prepare(sessions, users)
    with FakeBotAPI() as server:
        for user in users:
            server.add_chat(user)
        if mode == "limited":
            server.set_flood(0.05, retry_after=1)
        if mode != "free":
            server.enforce_limits()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = start_instances(environment(mode, server, database_url, concurrency), instances)
        for proc in procs:
            _, err = await asyncio.to_thread(proc.communicate)
            if proc.returncode != 0:
                raise SystemExit(f"digestbot deliver failed:\n{err.decode()}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        sent = server.messages
        calls = server.calls("sendMessage")
        violations = server.limit_violations
        kinds = dict(collections.Counter(k for k, _, _ in server.limit_violation_log))
    paid = await paid_count(sessions)
    await engine.dispose()
    per_chat = collections.Counter(m.chat_id for m in sent)
    times = sorted(m.at for m in sent)
    return Result(
        mode=mode,
        messages=len(sent),
        seconds=times[-1] - times[0] if len(times) > 1 else 0.0,
        duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
        losses=sum(1 for u in users if per_chat[u] == 0),
        answers_429=sum(1 for c in calls if c.status == 429),
        limit_429=violations,
        limit_kinds=kinds,
        paid=paid,
        cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )


@contextmanager
def database(postgres: str | None, tmp: Path, name: str) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if not postgres:
        yield f"sqlite+aiosqlite:///{tmp / name}.db"
        return
    url, schema = asyncio.run(fresh_postgres_schema(postgres))
    try:
        yield url
    finally:
        asyncio.run(drop_schema(postgres, schema))


def report(r: Result, subscribers: int, instances: int) -> None:
    share = r.limit_429 / max(1, r.messages + r.answers_429)
    print(
        f"{r.mode}: {subscribers} subscribers, {instances} instance(s): "
        f"{r.rate:.0f} messages/s ({r.messages} in {r.seconds:.1f} s)"
    )
    if r.mode == "limited":
        print(f"  achieved / ceiling (30/s): {r.rate / 30:.3f}  (goal >= 0.95)")
    print(
        f"  429 answers: {r.answers_429} in all, {r.limit_429} from the server's limits "
        f"({share:.2%} of sends; goal < 1%) {r.limit_kinds or ''}"
    )
    if r.mode == "paid":
        print(f"  counted paid: {r.paid} messages = {r.paid / 10:g} Stars")
    print(
        f"  engine CPU: {r.cpu_per_message * 1000:.2f} ms a message (start-up included; "
        f"one core's worth: {1 / r.cpu_per_message if r.cpu_per_message else 0:.0f} messages/s)"
    )
    print(f"  duplicates: {r.duplicates}  losses: {r.losses}  (goal 0 and 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES)
    )
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    if args.instances > 1 and not args.postgres:
        parser.error("several instances need --postgres")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            if mode not in MODES:
                parser.error(f"unknown mode {mode!r}")
            started = time.monotonic()
            with database(args.postgres, Path(tmp), mode) as url:
                result = asyncio.run(
                    run(
                        mode,
                        url,
                        args.subscribers,
                        instances=args.instances,
                        concurrency=args.concurrency,
                    )
                )
            report(result, args.subscribers, args.instances)
            print(f"  (wall time {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
