"""/healthz and /metrics of the running bot (``digestbot run``): started in post_init
on DIGESTBOT_METRICS_PORT, stopped with the bot; long polling against the fake Bot API
server, the scheduler lock held (one instance)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.bot.app import build_application, running
from tests.bot.conftest import USER, bot_settings
from tests.support.botapi import FakeBotAPI
from tests.support.ports import free_port


async def test_the_running_bot_serves_healthz_and_metrics(
    botapi: FakeBotAPI, db_url: str, engine: AsyncEngine
) -> None:
    port = free_port()
    app = build_application(bot_settings(botapi, db_url, metrics_port=port))
    base = f"http://127.0.0.1:{port}"
    async with running(app, poll_interval=0.0, poll_timeout=1), httpx.AsyncClient() as client:
        assert app.bot_data.monitor is not None and app.bot_data.monitor.port == port
        botapi.send_text(USER, USER, "/help")
        await botapi.wait_for(lambda: botapi.sent_to(USER), 10.0)
        health = await client.get(f"{base}/healthz")
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["status"] == "ready" and body["role"] == "bot"
        assert body["checks"]["database"] == {"ok": True, "detail": "reachable"}
        assert body["checks"]["updates"]["detail"].startswith("polling; last update ")
        # the only instance holds the scheduler lock; its first tick may not have run yet
        assert body["checks"]["scheduler"]["detail"].startswith("leader: ")

        metrics = await client.get(f"{base}/metrics")
        samples = {
            s.name: s.value
            for family in text_string_to_metric_families(metrics.text)
            for s in family.samples
            if not s.labels
        }
        assert samples["digestbot_database_up"] == 1
        assert samples["digestbot_updates_running"] == 1
        assert samples["digestbot_scheduler_leader"] == 1
        assert samples["digestbot_subscriptions_active"] == 0
        assert 0 <= samples["digestbot_last_update_age_seconds"] < 60
    # stopped with the bot
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base}/livez")
