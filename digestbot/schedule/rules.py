"""Who is due, and when: the scheduler's time rules as pure functions of times (no
database, no clock of their own), unit-tested without either.

* A subscription's push moment is its HH:MM in its own time zone; it is due for the
  latest such moment at or before now, within the catch-up window.
* A push on a local date sends the newest stored digest of that date or of the
  ``DIGEST_MAX_AGE_DAYS`` days before it (a Monday morning before Monday's digest:
  Friday's).
* The day's ingest fetches local "today" between ``ingest_time`` and ``ingest_cutoff``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from digestbot.clock import as_utc
from digestbot.config import Settings

DIGEST_MAX_AGE_DAYS = 3
# even with catchup_hours = 0 a push a tick late is still due
MIN_WINDOW = dt.timedelta(minutes=5)


def catchup_window(settings: Settings) -> dt.timedelta:
    return max(dt.timedelta(hours=settings.catchup_hours), MIN_WINDOW)


def push_date_due(
    push_time: dt.time, zone: ZoneInfo, now: dt.datetime, window: dt.timedelta
) -> dt.date | None:
    """The local date whose push moment (``push_time`` in ``zone``) is the latest one at
    or before ``now`` (aware), if it is at most ``window`` old; else None."""
    local_today = now.astimezone(zone).date()
    for back in range(window.days + 3):
        day = local_today - dt.timedelta(days=back)
        moment = dt.datetime.combine(day, push_time, tzinfo=zone)
        if moment <= now:
            return day if now - moment <= window else None
    return None


def digest_day_for(
    push_date: dt.date, stored: Iterable[dt.date], max_age_days: int = DIGEST_MAX_AGE_DAYS
) -> dt.date | None:
    """The digest a push on ``push_date`` sends: the newest stored day in
    ``[push_date - max_age_days, push_date]`` (None: nothing recent enough)."""
    oldest = push_date - dt.timedelta(days=max_age_days)
    fitting = [day for day in stored if oldest <= day <= push_date]
    return max(fitting) if fitting else None


def ingest_day_due(
    now: dt.datetime, zone: ZoneInfo, start: dt.time, cutoff: dt.time
) -> dt.date | None:
    """The day the ingest should fetch at ``now``: local today between ``start`` and
    ``cutoff`` (a cutoff before the start means the next morning); None outside."""
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start <= cutoff:
        return local.date() if start <= clock <= cutoff else None
    if clock >= start:
        return local.date()
    if clock <= cutoff:
        return local.date() - dt.timedelta(days=1)
    return None


def day_incomplete(read_at: dt.datetime | None, day: dt.date, now: dt.datetime) -> bool:
    """A stored Hugging Face day whose list was read (``read_at``) before the day was
    over (UTC) is incomplete once it is over; None: never read from Hugging Face."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if read_at is None or now < end:
        return False
    return as_utc(read_at) < end
