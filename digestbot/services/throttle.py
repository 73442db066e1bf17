"""Per-user flood control, pure and clock-injected: a token bucket per user.

Each user may make ``burst`` requests at once, then one more every ``refill_seconds``.
The first request refused is told to slow down (``Verdict.WARN``), the ones after it are
dropped silently (``Verdict.DROP``) until the user's bucket has filled up again — a user
who keeps flooding hears "slow down" once, not once per refill.

Memory is bounded: a user whose bucket would be full again is the same as one never
seen, so such entries are forgotten as they come up (entries are kept in the order of
their last request), and past ``max_users`` the least recently seen user is forgotten."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

Clock = Callable[[], float]


class Verdict(StrEnum):
    ALLOW = "allow"
    WARN = "warn"  # refused; say "slow down" this once
    DROP = "drop"  # refused, silently


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # when ``tokens`` was computed
    warned: bool = False


class UserThrottle:
    """``check(user_id)`` once per request: ALLOW, WARN or DROP. ``burst`` 0 = off."""

    def __init__(
        self, burst: int, refill_seconds: float, *, max_users: int = 10_000, clock: Clock
    ) -> None:
        if refill_seconds <= 0:
            raise ValueError("refill_seconds must be positive")
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.max_users = max(1, max_users)
        self.clock = clock
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()
        self.refused = 0  # requests refused so far (for /metrics)
        # a bucket left alone this long is full again
        self._full_after = burst * refill_seconds

    @property
    def enabled(self) -> bool:
        return self.burst > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, user_id: int) -> Verdict:
        if not self.enabled:
            return Verdict.ALLOW
        now = self.clock()
        self._forget_full(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self._buckets[user_id] = bucket
            if len(self._buckets) > self.max_users:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(user_id)
            refilled = bucket.tokens + (now - bucket.at) / self.refill_seconds
            if refilled >= self.burst:
                refilled, bucket.warned = float(self.burst), False
            bucket.tokens, bucket.at = refilled, now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ALLOW
        self.refused += 1
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _forget_full(self, now: float) -> None:
        """Forget the least recently seen users whose buckets are full again (the front
        of the order): amortised O(1) a call."""
        while self._buckets:
            user_id, oldest = next(iter(self._buckets.items()))
            if now - oldest.at < self._full_after:
                return
            del self._buckets[user_id]
