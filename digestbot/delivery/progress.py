"""Group commit of "part sent": the engine's sends hand their progress to one writer,
which records everything handed in since its last write in one transaction
(``outbox.mark_parts_sent``). At a low rate a write holds one part, as before; at a
high rate the writes grow instead of multiplying (one transaction per message was the
engine's ceiling).

A send waits for the write that holds its part (and keeps its concurrency slot until
then), so a crash still repeats at most the sends in flight: the batch being written.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from digestbot.delivery import outbox
from digestbot.delivery.outbox import PartSent
from digestbot.delivery.paid import add_paid_sent, utc_day

Now = Callable[[], dt.datetime]


class ProgressWriter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        instance: str,
        *,
        now: Now,
        lease: float,
        max_batch: int = 1000,
        linger: float = 0.005,
    ) -> None:
        self._sessions = sessions
        self._instance = instance
        self._now = now
        self._lease = lease
        self._max_batch = max_batch
        self._linger = linger
        self._queue: list[tuple[PartSent, asyncio.Future[bool]]] = []
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.writes = 0  # transactions written (for benchmarks)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Write what is still queued, then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        while self._queue and not task.done():
            self._kick.set()
            await asyncio.sleep(0.001)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for _, future in self._queue:  # the writer died: nobody will answer these
            if not future.done():
                future.set_exception(RuntimeError("progress writer stopped"))
        self._queue.clear()

    async def record(self, progress: PartSent) -> bool:
        """Record ``progress``; True once written and the claim is still ours, False
        when the claim was lost. Raises what the write raised."""
        if self._task is None or self._task.done():
            raise RuntimeError("progress writer is not running")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((progress, future))
        self._kick.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            if self._linger:
                await asyncio.sleep(self._linger)
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._write(batch)

    async def _write(self, batch: list[tuple[PartSent, asyncio.Future[bool]]]) -> None:
        parts = [p for p, _ in batch]
        paid = sum(p.paid for p in parts)
        try:
            async with self._sessions.begin() as session:
                now = self._now()
                kept = await outbox.mark_parts_sent(
                    session, parts, self._instance, now=now, lease=self._lease
                )
                if paid:
                    await add_paid_sent(session, utc_day(now), paid)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.writes += 1
        for p, future in batch:
            if not future.done():
                future.set_result(p.delivery_id in kept)
