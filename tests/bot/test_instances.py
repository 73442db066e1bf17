"""Two ``digestbot run`` processes on one PostgreSQL with long polling: only the leader
polls (Telegram would answer a second poller with 409 Conflict), the other stands by and
says so on /healthz, and takes over the updates when the leader is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.packaged import sample_digests
from tests.conftest import POSTGRES_ONLY
from tests.support.botapi import TOKEN, FakeBotAPI
from tests.support.ports import free_port

USER = 4242


def start_bot(server: FakeBotAPI, db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DIGESTBOT_TOKEN": TOKEN,
        "DIGESTBOT_API_URL": server.url,
        "DIGESTBOT_DATABASE_URL": db_url,
        "DIGESTBOT_SOURCE": str(sample_digests()),
        "DIGESTBOT_HF_API_URL": "",
        "DIGESTBOT_LLM_BASE_URL": "",
        "DIGESTBOT_WEBHOOK_URL": "",
        "DIGESTBOT_METRICS_PORT": str(port),
        "DIGESTBOT_THROTTLE_BURST": "0",
        "DIGESTBOT_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "digestbot", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def health(client: httpx.AsyncClient, port: int) -> dict[str, Any] | None:
    try:
        answer = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=5.0)
    except httpx.TransportError:
        return None  # not listening yet
    body: dict[str, Any] = answer.json()
    assert answer.status_code == (200 if body["status"] == "ready" else 503)
    return body


async def ready(client: httpx.AsyncClient, port: int) -> dict[str, Any]:
    async with asyncio.timeout(60):  # a process can start slowly on a busy machine
        while True:
            body = await health(client, port)
            if body is not None and body["status"] == "ready":
                return body
            await asyncio.sleep(0.1)


def conflicts(server: FakeBotAPI) -> list[str]:
    return [c.description or "" for c in server.calls("getUpdates") if c.status == 409]


@POSTGRES_ONLY
async def test_only_the_leader_polls_and_the_other_takes_over_when_it_is_killed(
    botapi: FakeBotAPI, db_url: str, engine: AsyncEngine
) -> None:
    botapi.add_user(USER, "reader")
    ports = free_port(), free_port()
    procs = [start_bot(botapi, db_url, port) for port in ports]
    try:
        async with httpx.AsyncClient() as client:
            states = [await ready(client, port) for port in ports]
            details = [s["checks"]["updates"]["detail"] for s in states]
            standby = [d.startswith("polling: standby") for d in details]
            assert sorted(standby) == [False, True], details  # one polls, one stands by
            leader = standby.index(False)
            assert states[leader]["checks"]["scheduler"]["detail"].startswith("leader")
            assert states[1 - leader]["checks"]["scheduler"]["detail"] == "follower"

            botapi.send_text(USER, USER, "/help")
            [first] = await botapi.wait_for_messages(USER, 1, timeout=30)
            assert "/paper" in first.text

            procs[leader].send_signal(signal.SIGKILL)
            procs[leader].communicate(timeout=10)
            # the survivor sees the lock free at its next leadership round (5 s)
            botapi.send_text(USER, USER, "/help")
            replies = await botapi.wait_for_messages(USER, 2, timeout=30)
            assert [r.text for r in replies] == [first.text, first.text]
            survivor = await ready(client, ports[1 - leader])
            assert survivor["checks"]["updates"]["detail"].startswith("polling; last update")
            assert survivor["checks"]["scheduler"]["detail"].startswith("leader")
        # never two pollers at once: Telegram would have ended one of them with 409
        assert conflicts(botapi) == []
        await asyncio.sleep(0.5)
        assert len(botapi.sent_to(USER)) == 2  # each command answered once
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.communicate(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate(timeout=10)
