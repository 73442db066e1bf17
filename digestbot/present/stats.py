"""/stats as Telegram HTML (``digestbot.present.plain`` makes the CLI's text). Pure: the
numbers come in a ``Stats``, which ``digestbot.services.admin.collect_stats`` fills."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from digestbot.present.html import esc
from digestbot.present.i18n import t
from digestbot.store.models import IngestStatus


@dataclass(frozen=True, slots=True)
class IngestSummary:
    day: dt.date
    status: str
    papers: int
    message: str
    finished_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Stats:
    subscriptions_active: int  # active subscriptions of reachable chats
    subscriptions_inactive: int  # stopped, or their chat blocked the bot
    chats: int
    chats_deactivated: int
    newest_day: dt.date | None
    last_ingest: IngestSummary | None
    today: dt.date  # in settings.timezone
    sent: int  # deliveries created today, by state
    pending: int  # pending or being sent
    failed: int


def render_stats(stats: Stats, lang: str, zone: ZoneInfo) -> str:
    """/stats as Telegram HTML (``render.html_to_text`` makes the CLI's plain text)."""
    none = t(lang, "admin.stats.none")
    run = stats.last_ingest
    if run is None:
        ingest = none
    else:
        finished = run.finished_at
        if finished.tzinfo is None:  # SQLite hands back naive UTC
            finished = finished.replace(tzinfo=dt.UTC)
        ingest = t(
            lang,
            "admin.stats.ingest",
            day=run.day.isoformat(),
            status=t(lang, f"admin.status.{run.status}"),
            papers=run.papers,
            at=finished.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
        if run.message and run.status != IngestStatus.STORED:
            ingest += f"\n    {esc(run.message[:300])}"
    return t(
        lang,
        "admin.stats",
        active=stats.subscriptions_active,
        inactive=stats.subscriptions_inactive,
        chats=stats.chats,
        deactivated=stats.chats_deactivated,
        newest=stats.newest_day.isoformat() if stats.newest_day else none,
        ingest=ingest,
        today=stats.today.isoformat(),
        sent=stats.sent,
        pending=stats.pending,
        failed=stats.failed,
    )
