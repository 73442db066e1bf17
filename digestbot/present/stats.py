"""/stats as Telegram HTML (``digestbot.present.plain`` makes the CLI's text). Pure: the
numbers come in a ``Stats``, which ``digestbot.services.admin.collect_stats`` fills."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from digestbot.clock import as_utc
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
class SourceLine:
    name: str  # "archive", "huggingface"
    last_success_at: dt.datetime | None
    newest_day: dt.date | None
    last_error: str
    last_error_at: dt.datetime | None


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
    newest_day_warnings: int = 0  # what the parser repaired or skipped in the newest day
    sources: tuple[SourceLine, ...] = ()
    # the model's summaries: requests, summaries, tokens today; the newest day's papers
    # still without a Korean summary; None: no model configured
    llm: tuple[int, int, int, int] | None = None
    summaries_pending: int = 0
    # paid broadcasts: messages sent paid this UTC day, what they cost in Stars, the
    # daily cap; None: paid broadcasts off and nothing paid today
    paid: tuple[int, Decimal, int] | None = None


def _source_line(line: SourceLine, lang: str, zone: ZoneInfo) -> str:
    none = t(lang, "admin.stats.none")
    text = t(
        lang,
        "admin.stats.source",
        name=esc(t(lang, f"source.{line.name}")),
        ok=as_utc(line.last_success_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if line.last_success_at
        else none,
        newest=line.newest_day.isoformat() if line.newest_day else none,
    )
    failed_last = line.last_error_at is not None and (
        line.last_success_at is None or as_utc(line.last_error_at) > as_utc(line.last_success_at)
    )
    if failed_last and line.last_error:
        text += f"\n    ⚠️ {esc(line.last_error[:200])}"
    return text


def render_stats(stats: Stats, lang: str, zone: ZoneInfo) -> str:
    """/stats as Telegram HTML (``digestbot.present.plain`` makes the CLI's text)."""
    none = t(lang, "admin.stats.none")
    run = stats.last_ingest
    if run is None:
        ingest = none
    else:
        finished = as_utc(run.finished_at)
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
    extra = []
    if stats.newest_day is not None and stats.newest_day_warnings:
        extra.append(t(lang, "admin.stats.warnings", n=stats.newest_day_warnings))
    extra += [_source_line(line, lang, zone) for line in stats.sources]
    if stats.llm is not None:
        requests, summaries, prompt, completion = stats.llm
        extra.append(
            t(
                lang,
                "admin.stats.llm",
                requests=requests,
                summaries=summaries,
                tokens=f"{prompt + completion:,}",
                pending=stats.summaries_pending,
            )
        )
    if stats.paid is not None:
        messages, stars, cap = stats.paid
        extra.append(t(lang, "admin.stats.paid", messages=messages, stars=f"{stars:g}", cap=cap))
    body = t(
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
    return "\n".join([body, *extra])


# warnings an admin's message lists; the rest are counted
WARNINGS_IN_MESSAGE = 10


def render_ingest_notes(
    lang: str,
    *,
    warnings: Sequence[str] = (),
    problems: Sequence[str] = (),
    summaries: tuple[int, int, int, int] | None = None,
) -> str:
    """What follows an ingest's one-line outcome: the sources that failed, the warnings
    (the first ``WARNINGS_IN_MESSAGE``), and ``summaries`` = (written, failed, pending,
    tokens). Empty when there is nothing to say."""
    lines = [t(lang, "admin.ingest.problem", problem=esc(p[:300])) for p in problems]
    if summaries is not None:
        written, failed, pending, tokens = summaries
        lines.append(
            t(
                lang,
                "admin.ingest.summaries",
                written=written,
                failed=failed,
                pending=pending,
                tokens=f"{tokens:,}",
            )
        )
    if warnings:
        lines.append(t(lang, "admin.ingest.warnings", n=len(warnings)))
        lines += [f"• <code>{esc(w[:300])}</code>" for w in warnings[:WARNINGS_IN_MESSAGE]]
        if len(warnings) > WARNINGS_IN_MESSAGE:
            lines.append(
                t(lang, "admin.ingest.more_warnings", n=len(warnings) - WARNINGS_IN_MESSAGE)
            )
    return "\n".join(lines)
