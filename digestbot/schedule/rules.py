"""Who is due, and when: the scheduler's time rules as pure functions of times (no
database, no clock of their own), unit-tested without either.

* A subscription's push moment is its HH:MM in its own time zone; it is due for the
  latest such moment at or before now, within the catch-up window.
* Each subscription keeps its next push moment (``subscriptions.next_push_at``, indexed),
  so a tick reads only the subscriptions that are due: ``plan_push`` says whether a
  stored moment is due now and ``first_push_after`` what the next one is.
* A push on a local date sends the newest stored digest of that date or of the
  ``DIGEST_MAX_AGE_DAYS`` days before it (a Monday morning before Monday's digest:
  Friday's).
* The day's ingest fetches local "today" between ``ingest_time`` and ``ingest_cutoff``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from digestbot.clock import EPOCH, as_utc
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
    return plan_push(EPOCH, push_time, zone, now, window)[0]


def first_push_after(
    push_time: dt.time, zone: ZoneInfo, after: dt.datetime, *, inclusive: bool = False
) -> dt.datetime:
    """The first push moment (``push_time`` in ``zone``) after ``after`` (``inclusive``:
    at or after), in UTC."""
    day = after.astimezone(zone).date() - dt.timedelta(days=1)
    while True:
        moment = dt.datetime.combine(day, push_time, tzinfo=zone).astimezone(dt.UTC)
        if moment > after or (inclusive and moment == after):
            return moment
        day += dt.timedelta(days=1)


def plan_push(
    stored: dt.datetime, push_time: dt.time, zone: ZoneInfo, now: dt.datetime, window: dt.timedelta
) -> tuple[dt.date | None, dt.datetime]:
    """A subscription whose stored next moment is ``stored`` (at or before ``now``): the
    local date it is due to push now (None: none) and the moment it is waiting for.

    A stored moment older than the window (a bot that was down, a setting just changed:
    ``EPOCH``) is worked out again: the first moment within the window, which may still
    be due now or lie ahead."""
    moment = as_utc(stored)
    if now - moment > window:
        moment = first_push_after(push_time, zone, now - window, inclusive=True)
    if moment > now:
        return None, moment
    return moment.astimezone(zone).date(), moment


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
