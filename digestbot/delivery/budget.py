"""The token's send budget as a schedule of send slots: pure arithmetic.

Telegram's global ceiling (about 30 messages a second) belongs to the bot token, not to
a process. On PostgreSQL every instance that sends with the token draws its slots from
one schedule kept in the database (``digestbot.delivery.sendslots``): a row per token
and lane holding the next free slot. An instance reserves ``k`` slots at once, ``1/rate``
apart from ``max(next free slot, pause end, now)``, and moves the row on by ``k`` slots,
in one statement; ``reserve`` below is that statement's arithmetic. Slots an instance
does not use (it died, or had less to send) are lost time, never extra sends, and there
is nothing to hand back or to time out: a new instance simply reserves after them.

Two lanes: ``free`` (the token's 30/s) and ``paid`` (``allow_paid_broadcast``: up to
1,000/s in all, so the paid lane gets the rest, ``paid_rate - free_rate``). A paid
message costs 0.1 Telegram Stars.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

STARS_PER_PAID_MESSAGE = Decimal("0.1")


class Lane(StrEnum):
    FREE = "free"
    PAID = "paid"


def budget_key(token: str, lane: Lane) -> str:
    """The row of ``token``'s ``lane``: a hash, so the token itself is never stored."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:40]
    return f"{digest}:{lane}"


@dataclass(frozen=True, slots=True)
class Reservation:
    """``count`` send slots, ``interval`` apart from ``first`` (the schedule's clock)."""

    first: float
    count: int
    interval: float

    def slots(self) -> list[float]:
        return [self.first + i * self.interval for i in range(self.count)]

    def local(self, schedule_now: float, local_now: float) -> list[float]:
        """The slots on this process's clock, given one moment on both clocks."""
        offset = local_now - schedule_now
        return [slot + offset for slot in self.slots()]


def reserve(
    next_slot: float, paused_until: float, now: float, count: int, interval: float
) -> tuple[Reservation, float]:
    """Reserve ``count`` slots: from the next free slot, the end of a pause or now,
    whichever is last (an idle schedule does not bank slots for a burst). Returns the
    reservation and the schedule's new next free slot."""
    if count < 1:
        raise ValueError("reserve at least one slot")
    first = max(next_slot, paused_until, now)
    return Reservation(first, count, interval), first + count * interval


def slot_interval(rate: float, safety: float) -> float:
    """Seconds between two slots at ``rate`` a second, ``safety`` under the ceiling
    (Telegram counts arrivals, and a send may leave a little after its slot)."""
    return (1.0 + safety) / rate


def batch_size(waiting: int, rate: float, lookahead: float, previous: int = 0) -> int:
    """How many slots to reserve in one round trip: as many as sends are waiting, or
    twice the last batch when that one was used up (``previous``; 0 when slots of it
    went stale), so a steady stream of sends soon needs few round trips; at most
    ``lookahead`` seconds' worth (a dead instance wastes at most that)."""
    return max(1, min(max(waiting, 2 * previous), math.floor(rate * lookahead)))


def is_stale(slot: float, now: float, grace: float) -> bool:
    """A slot more than ``grace`` past is dropped: sent now it would crowd the next
    slots (perhaps another instance's) and could break the ceiling."""
    return slot < now - grace


def paid_grant(reserved: int, cap: int, wanted: int) -> int:
    """How many paid messages one reservation gets under the daily ``cap``."""
    return max(0, min(wanted, cap - reserved))


def stars(paid_messages: int) -> Decimal:
    """What ``paid_messages`` sent with ``allow_paid_broadcast`` cost."""
    return paid_messages * STARS_PER_PAID_MESSAGE


def paid_rate(paid_per_second: float, free_per_second: float) -> float:
    """The paid lane's share of the 1,000/s: what the free lane does not use (0: none)."""
    return max(0.0, paid_per_second - free_per_second)
