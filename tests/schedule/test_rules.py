"""The scheduler's time rules: which pushes are due when, which day the ingest fetches,
the leader lock's key. Pure: no database, no network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digestbot.clock import EPOCH
from digestbot.config import load_settings
from digestbot.schedule.leader import scheduler_lock_key
from digestbot.schedule.rules import (
    catchup_window,
    day_incomplete,
    digest_day_for,
    first_push_after,
    ingest_day_due,
    plan_push,
    push_date_due,
)
from tests.support.times import DAY, H12, KIRITIMATI, NEW_YORK, SEOUL, UTC, at


def test_push_is_due_from_its_time_until_the_window_closes() -> None:
    eight = dt.time(8, 0)
    assert push_date_due(eight, SEOUL, at(SEOUL, 2025, 5, 9, 7, 59), H12) is None
    assert push_date_due(eight, SEOUL, at(SEOUL, 2025, 5, 9, 8, 0), H12) == DAY
    assert push_date_due(eight, SEOUL, at(SEOUL, 2025, 5, 9, 20, 0), H12) == DAY
    assert push_date_due(eight, SEOUL, at(SEOUL, 2025, 5, 9, 20, 0, 1), H12) is None
    # the same instants seen from UTC
    assert push_date_due(eight, SEOUL, at(UTC, 2025, 5, 8, 23, 0), H12) == DAY
    assert push_date_due(eight, SEOUL, at(UTC, 2025, 5, 8, 22, 59), H12) is None


def test_push_times_are_local_to_each_zone() -> None:
    eight = dt.time(8, 0)
    # New York in summer is UTC-4, in winter UTC-5
    assert push_date_due(eight, NEW_YORK, at(UTC, 2025, 5, 9, 12, 0), H12) == DAY
    assert push_date_due(eight, NEW_YORK, at(UTC, 2025, 5, 9, 11, 59), H12) is None
    assert push_date_due(eight, NEW_YORK, at(UTC, 2025, 1, 9, 12, 30), H12) is None
    assert push_date_due(eight, NEW_YORK, at(UTC, 2025, 1, 9, 13, 0), H12) == dt.date(2025, 1, 9)
    # UTC+14: 18:30 UTC on the 9th is 08:30 on the 10th
    assert push_date_due(eight, KIRITIMATI, at(UTC, 2025, 5, 9, 18, 30), H12) == dt.date(
        2025, 5, 10
    )


def test_a_late_push_time_is_caught_up_after_midnight() -> None:
    late = dt.time(23, 0)
    assert push_date_due(late, SEOUL, at(SEOUL, 2025, 5, 10, 1, 0), H12) == DAY
    assert push_date_due(late, SEOUL, at(SEOUL, 2025, 5, 10, 11, 0, 1), H12) is None
    two_days = dt.timedelta(hours=40)
    assert push_date_due(late, SEOUL, at(SEOUL, 2025, 5, 10, 22, 0), two_days) == DAY


def test_a_zero_catchup_still_allows_a_late_tick(tmp_path: Path) -> None:
    settings = load_settings(catchup_hours=0, database_url=f"sqlite+aiosqlite:///{tmp_path}/x")
    window = catchup_window(settings)
    assert window == dt.timedelta(minutes=5)
    eight = dt.time(8, 0)
    assert push_date_due(eight, SEOUL, at(SEOUL, 2025, 5, 9, 8, 4), window) == DAY
    assert push_date_due(eight, SEOUL, at(SEOUL, 2025, 5, 9, 8, 6), window) is None


def test_the_push_sends_the_newest_digest_of_the_last_days() -> None:
    stored = [dt.date(2025, 5, 5), dt.date(2025, 5, 8), DAY]
    assert digest_day_for(DAY, stored) == DAY
    assert digest_day_for(dt.date(2025, 5, 10), stored) == DAY  # Saturday: Friday's
    assert digest_day_for(dt.date(2025, 5, 12), stored) == DAY  # Monday morning
    assert digest_day_for(dt.date(2025, 5, 13), stored) is None  # too old
    assert digest_day_for(dt.date(2025, 5, 7), stored) == dt.date(2025, 5, 5)
    assert digest_day_for(dt.date(2025, 5, 4), stored) is None  # never a later day
    assert digest_day_for(DAY, []) is None


def test_the_ingest_window() -> None:
    start, cutoff = dt.time(7, 30), dt.time(23, 0)
    assert ingest_day_due(at(SEOUL, 2025, 5, 9, 7, 29), SEOUL, start, cutoff) is None
    assert ingest_day_due(at(SEOUL, 2025, 5, 9, 7, 30), SEOUL, start, cutoff) == DAY
    assert ingest_day_due(at(UTC, 2025, 5, 9, 14, 0), SEOUL, start, cutoff) == DAY  # 23:00
    assert ingest_day_due(at(SEOUL, 2025, 5, 9, 23, 1), SEOUL, start, cutoff) is None
    # a cutoff past midnight belongs to the day before
    night = (dt.time(22, 0), dt.time(2, 0))
    assert ingest_day_due(at(SEOUL, 2025, 5, 10, 1, 0), SEOUL, *night) == DAY
    assert ingest_day_due(at(SEOUL, 2025, 5, 9, 22, 30), SEOUL, *night) == DAY
    assert ingest_day_due(at(SEOUL, 2025, 5, 9, 12, 0), SEOUL, *night) is None


def test_the_leader_lock_key_is_per_schema() -> None:
    plain = scheduler_lock_key("postgresql+asyncpg://u@h/db")
    a = scheduler_lock_key("postgresql+asyncpg://u@h/db?search_path=a")
    b = scheduler_lock_key("postgresql+asyncpg://u@h/db?search_path=b")
    assert len({plain, a, b}) == 3
    assert plain == scheduler_lock_key("postgresql+asyncpg://other@host2/db")


def test_a_hugging_face_day_read_before_it_ended_is_incomplete_once_it_has() -> None:
    day = dt.date(2025, 6, 2)
    during = dt.datetime(2025, 6, 2, 22, 30, tzinfo=UTC)
    after = dt.datetime(2025, 6, 3, 0, 0, 1, tzinfo=UTC)
    assert not day_incomplete(during, day, during)  # not over yet: nothing to fetch again
    assert day_incomplete(during, day, after)
    assert not day_incomplete(after, day, after)  # read after it ended: complete
    assert day_incomplete(during.replace(tzinfo=None), day, after)  # SQLite's naive UTC
    assert not day_incomplete(None, day, after)  # never read from Hugging Face


def test_the_next_push_moment_is_the_following_local_time_across_a_dst_change() -> None:
    eight = dt.time(8, 0)
    after = at(SEOUL, 2025, 5, 9, 8, 0)
    assert first_push_after(eight, SEOUL, after) == at(SEOUL, 2025, 5, 10, 8, 0)
    assert first_push_after(eight, SEOUL, after, inclusive=True) == after
    assert first_push_after(eight, SEOUL, at(SEOUL, 2025, 5, 9, 7, 59)) == after
    # New York springs forward on 2025-03-09: 08:00 local is 13:00 UTC before, 12:00 after
    ny = first_push_after(eight, NEW_YORK, at(NEW_YORK, 2025, 3, 8, 9, 0))
    assert ny == at(UTC, 2025, 3, 9, 12, 0)
    assert first_push_after(eight, NEW_YORK, ny) == at(UTC, 2025, 3, 10, 12, 0)


def test_a_stored_moment_is_due_once_it_has_come_and_worked_out_again_when_stale() -> None:
    eight = dt.time(8, 0)
    moment = at(SEOUL, 2025, 5, 9, 8, 0)
    # not yet: the moment stays as stored
    assert plan_push(moment, eight, SEOUL, at(SEOUL, 2025, 5, 9, 7, 0), H12) == (None, moment)
    # come: due for its local date, up to the end of the window
    assert plan_push(moment, eight, SEOUL, at(SEOUL, 2025, 5, 9, 20, 0), H12) == (DAY, moment)
    # past the window: the next moment, not due yet
    late = at(SEOUL, 2025, 5, 9, 20, 1)
    assert plan_push(moment, eight, SEOUL, late, H12) == (None, at(SEOUL, 2025, 5, 10, 8, 0))
    # EPOCH (a new subscription, a changed time): as if it had always been scheduled
    assert plan_push(EPOCH, eight, SEOUL, at(SEOUL, 2025, 5, 9, 9, 0), H12) == (DAY, moment)
    two_days_down = at(SEOUL, 2025, 5, 11, 9, 0)
    assert plan_push(moment, eight, SEOUL, two_days_down, H12) == (
        dt.date(2025, 5, 11),
        at(SEOUL, 2025, 5, 11, 8, 0),
    )
    # SQLite hands the stored moment back naive (UTC)
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    assert plan_push(naive, eight, SEOUL, at(SEOUL, 2025, 5, 9, 9, 0), H12) == (DAY, moment)
