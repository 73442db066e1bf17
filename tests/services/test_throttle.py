"""The per-user token bucket, on a hand-driven clock."""

from __future__ import annotations

from digestbot.services.throttle import UserThrottle, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verdicts(throttle: UserThrottle, user: int, n: int) -> list[Verdict]:
    return [throttle.check(user) for _ in range(n)]


def test_a_burst_then_one_warning_then_silence_then_one_per_refill() -> None:
    clock = Clock()
    throttle = UserThrottle(8, 2.0, clock=clock)
    got = verdicts(throttle, 1, 12)
    assert got == [Verdict.ALLOW] * 8 + [Verdict.WARN] + [Verdict.DROP] * 3
    clock.now += 1.9
    assert throttle.check(1) is Verdict.DROP
    clock.now += 0.1  # one token back
    assert verdicts(throttle, 1, 2) == [Verdict.ALLOW, Verdict.DROP]


def test_a_steady_flood_is_warned_once_and_gets_the_refill_rate() -> None:
    clock = Clock()
    throttle = UserThrottle(4, 1.0, clock=clock)
    allowed = warned = 0
    for _ in range(400):  # ten a second for 40 s
        clock.now += 0.1
        verdict = throttle.check(7)
        allowed += verdict is Verdict.ALLOW
        warned += verdict is Verdict.WARN
    assert warned == 1
    assert 4 + 39 <= allowed <= 4 + 40


def test_after_calming_down_a_user_is_warned_again_on_the_next_flood() -> None:
    clock = Clock()
    throttle = UserThrottle(3, 2.0, clock=clock)
    assert verdicts(throttle, 1, 4)[-1] is Verdict.WARN
    clock.now += 6.0  # full again
    assert verdicts(throttle, 1, 5) == [Verdict.ALLOW] * 3 + [Verdict.WARN, Verdict.DROP]


def test_users_are_independent() -> None:
    clock = Clock()
    throttle = UserThrottle(2, 5.0, clock=clock)
    assert verdicts(throttle, 1, 3)[-1] is Verdict.WARN
    assert verdicts(throttle, 2, 2) == [Verdict.ALLOW, Verdict.ALLOW]


def test_off_when_the_burst_is_zero() -> None:
    throttle = UserThrottle(0, 2.0, clock=Clock())
    assert set(verdicts(throttle, 1, 100)) == {Verdict.ALLOW}
    assert len(throttle) == 0


def test_memory_forgets_full_buckets_and_stays_under_the_cap() -> None:
    clock = Clock()
    throttle = UserThrottle(2, 1.0, max_users=100, clock=clock)
    for user in range(1000):
        throttle.check(user)
    assert len(throttle) == 100  # the cap: the least recently seen went first
    clock.now += 2.0  # every bucket full again
    throttle.check(5000)
    assert len(throttle) == 1


def test_past_the_cap_the_least_recently_seen_user_is_forgotten() -> None:
    throttle = UserThrottle(1, 10.0, max_users=2, clock=Clock())
    for user in (1, 2, 3):
        assert throttle.check(user) is Verdict.ALLOW
    assert throttle.check(3) is Verdict.WARN  # kept: still limited
    assert throttle.check(1) is Verdict.ALLOW  # forgotten: a fresh bucket
