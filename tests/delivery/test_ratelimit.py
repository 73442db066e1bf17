from __future__ import annotations

import pytest

from digestbot.delivery.ratelimit import RateLimiter, RateLimits, is_private_chat


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def send_times(limiter: RateLimiter, clock: FakeClock, chats: list[int]) -> list[float]:
    """Drive the limiter like the engine does, advancing the fake clock instead of
    sleeping; return the moment each message would go out."""
    times = []
    for chat in chats:
        while (delay := limiter.chat_delay(chat)) > 0:
            clock.t += delay
        clock.t += limiter.reserve_global(chat)
        while (delay := limiter.send_delay()) > 0:
            clock.t += delay
        times.append(limiter.mark_sent(chat))
    return times


def test_private_and_group_chats_are_told_apart_by_the_sign_of_the_id() -> None:
    assert is_private_chat(12345)
    assert not is_private_chat(-100123)
    assert not is_private_chat(-42)


def test_global_ceiling_spaces_messages_one_thirtieth_of_a_second_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=30, safety=0.0), clock)
    times = send_times(limiter, clock, list(range(1, 61)))  # 60 different private chats
    assert times[0] == pytest.approx(1000.0)
    assert times[-1] - times[0] == pytest.approx(59 / 30)
    # never more than 30 in any one-second window
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] >= 1.0 - 1e-9


def test_one_message_a_second_to_a_private_chat() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(safety=0.0), clock)
    times = send_times(limiter, clock, [7, 7, 7])
    assert times == pytest.approx([1000.0, 1001.0, 1002.0])


def test_twenty_a_minute_to_a_group() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(group_per_minute=20, safety=0.0), clock)
    times = send_times(limiter, clock, [-5, -5, -5])
    assert times == pytest.approx([1000.0, 1003.0, 1006.0])


def test_a_waiting_chat_does_not_hold_back_other_chats() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=10, safety=0.0), clock)
    send_times(limiter, clock, [1])
    assert limiter.chat_delay(1) == pytest.approx(1.0)
    # chat 2 is asked right after: only the global spacing applies to it
    assert limiter.chat_delay(2) == 0
    assert limiter.reserve_global(2) == pytest.approx(0.1)


def test_burst_lets_messages_through_back_to_back_after_idling() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=10, global_burst=3, safety=0.0), clock)
    delays = [limiter.reserve_global(chat) for chat in (1, 2, 3, 4)]
    assert delays == pytest.approx([0.0, 0.0, 0.0, 0.1])


def test_retry_after_pauses_that_chat_only_and_refunds_the_global_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=10, safety=0.0), clock)
    assert limiter.reserve_global(1) == 0
    assert limiter.record_flood(1, 5.0) is False
    assert limiter.chat_delay(1) == pytest.approx(5.0)
    assert limiter.chat_delay(2) == 0
    # the refused message gave its slot back: chat 2 may go at once
    assert limiter.reserve_global(2) == 0


def test_many_429s_in_a_row_pause_everything() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(flood_window=12, flood_share=0.3, safety=0.0), clock)
    for chat in range(1, 9):
        limiter.record_success(chat)
    global_flood = [limiter.record_flood(chat, 3.0) for chat in range(100, 104)]
    # the window is full at the fourth 429: 4 of 12 answers is 33 %, a global flood
    assert global_flood == [False, False, False, True]
    assert limiter.chat_delay(555) == pytest.approx(3.0)


def test_occasional_429s_do_not_pause_everything() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(safety=0.0), clock)
    for chat in range(1, 200):
        if chat % 20 == 0:
            assert limiter.record_flood(chat, 3.0) is False
        else:
            limiter.record_success(chat)
    assert limiter.chat_delay(555) == 0


def test_disabled_limits_never_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(enabled=False), clock)
    assert send_times(limiter, clock, [1, 1, 1, -2, -2]) == [1000.0] * 5


def test_migrated_chat_keeps_its_pacing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(group_per_minute=20, safety=0.0), clock)
    limiter.reserve_global(-5)
    limiter.rename(-5, -1005)
    assert limiter.chat_delay(-1005) == pytest.approx(3.0)
    assert limiter.chat_delay(-5) == 0


def test_the_safety_margin_keeps_a_little_under_each_ceiling() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=30, safety=0.02), clock)
    times = send_times(limiter, clock, [*range(1, 61), 1])
    assert times[30] - times[0] == pytest.approx(1.02)
    assert times[-1] - times[0] >= 1.02  # chat 1 again: its gap is 1.02 s, not 1 s


def test_a_late_send_pushes_the_chats_next_message_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(safety=0.0), clock)
    assert limiter.reserve_global(7) == 0
    clock.t += 0.3  # the task woke late: the request really goes out now
    limiter.mark_sent(7)
    assert limiter.chat_delay(7) == pytest.approx(1.0)


def test_the_window_guard_holds_back_the_thirty_first_message_in_a_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=30, safety=0.0), clock)
    for chat in range(1, 31):
        limiter.mark_sent(chat)  # thirty sends bunched together (late wake-ups)
    assert limiter.send_delay() == pytest.approx(1.0)
    # a refused one gives its place in the window back: only the smallest gap is left
    limiter.record_flood(5, 1.0, sent_at=1000.0)
    assert limiter.send_delay() == pytest.approx(0.5 / 30)


def test_a_backlog_drains_at_twice_the_rate_at_most_not_in_one_bunch() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(global_per_second=10, safety=0.0), clock)
    limiter.mark_sent(1)
    # sends that waited (for a slot) past their planned moments ask at once
    assert limiter.send_delay() == pytest.approx(0.05)
    clock.t += 0.05
    assert limiter.send_delay() == 0
    limiter.mark_sent(2)
    clock.t += 0.02
    assert limiter.send_delay() == pytest.approx(0.03)
    # a configured burst lets messages go back to back
    bursty = RateLimiter(RateLimits(global_per_second=10, global_burst=3, safety=0.0), clock)
    bursty.mark_sent(1)
    assert bursty.send_delay() == 0
