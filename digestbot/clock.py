"""Time helpers, one copy each: "now", a zone's today, HH:MM, exponential backoff."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "EPOCH",
    "as_utc",
    "backoff_delay",
    "local_today",
    "parse_hhmm",
    "utcnow",
    "zone_or",
]

# a time of day as HH:MM or H:MM (24-hour clock)
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


# "long ago": a subscription's next push moment set to it is worked out again by the next
# push tick (from that tick's now)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC: everything stored is UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` aware; a naive one is taken as UTC (everything stored is UTC, and
    SQLite hands datetimes back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def local_today(zone: str | ZoneInfo, now: dt.datetime) -> dt.date:
    """The date at ``now`` (aware) in ``zone``."""
    return now.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)).date()


def parse_hhmm(value: str) -> dt.time:
    """``"08:00"`` or ``"8:00"`` → 08:00; ``ValueError`` for anything else."""
    match = _HHMM.match(value.strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise ValueError(f"not a time as HH:MM: {value!r}")


def zone_or(name: str, fallback: ZoneInfo) -> ZoneInfo:
    """The IANA zone ``name``, or ``fallback`` when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def backoff_delay(attempt: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Delay before retry number ``attempt`` (1-based) after a transient failure:
    base, 2·base, 4·base, … capped at ``cap``."""
    return float(min(cap, base * 2 ** min(max(0, attempt - 1), 32)))
