"""Time zones and instants the scheduler tests speak in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
UTC = dt.UTC
H12 = dt.timedelta(hours=12)
DAY = dt.date(2025, 5, 9)  # the archive's last day, a Friday


def at(
    zone: dt.tzinfo, year: int, month: int, day: int, hour: int, minute: int, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
