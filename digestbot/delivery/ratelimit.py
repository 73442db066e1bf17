"""Rate arithmetic for outgoing messages: pure, with an injectable clock.

Telegram's published ceilings for one bot token: about 30 messages a second overall,
one a second to a private chat, twenty a minute to a group or channel. The limiter keeps
the engine at those ceilings, not under them:

* every chat has a next-free moment (``1/rate`` after its previous message);
* the global ceiling is a GCRA ("virtual scheduling") bucket: each send reserves the next
  free slot, ``1/rate`` apart, with a small burst tolerance;
* a guard at the moment of sending: never more than the ceiling's worth of messages in
  any window of ``1 + safety`` seconds (and a chat's gap at least ``interval · (1 +
  safety)`` from the actual send), because a task that wakes late would otherwise send
  closer to its neighbour than planned and Telegram counts arrivals, not plans; and (with
  ``global_burst`` 1) never closer than half the global interval to the previous send, so
  a backlog (sends that queued behind slow answers) drains at twice the rate at most,
  not in one bunch that a little network jitter would push over the ceiling;
* a 429 pauses the chat it concerns for ``retry_after`` and gives its global slot back
  (a refused message is not a sent one); when many answers in a row are 429s the flood is
  global and everything pauses.

The engine asks in steps, so a chat that must wait never holds a global slot:
``chat_delay()`` (sleep, ask again), ``reserve_global()`` (sleep that long), then
``send_delay()`` (sleep, ask again), and once it holds a send slot ``send_delay()`` and
``pause_delay()`` again (sends queued behind slow answers must not go out in a bunch),
then ``mark_sent()`` right before the request.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


def is_private_chat(chat_id: int) -> bool:
    """Users have positive ids; groups, supergroups and channels negative ones."""
    return chat_id > 0


@dataclass(frozen=True, slots=True)
class RateLimits:
    global_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    # messages the global bucket may send back to back after an idle moment
    global_burst: int = 1
    # a 2 % margin under each ceiling absorbs scheduling jitter (Telegram counts arrivals)
    safety: float = 0.02
    # share of 429s among the last ``flood_window`` answers that means a global flood
    flood_window: int = 50
    flood_share: float = 0.3
    enabled: bool = True

    @property
    def global_interval(self) -> float:
        return (1.0 + self.safety) / self.global_per_second

    @property
    def global_window(self) -> tuple[int, float]:
        """At most this many messages in any window of this many seconds."""
        count = max(1, int(self.global_per_second))
        return count, count / self.global_per_second * (1.0 + self.safety)

    def chat_interval(self, chat_id: int) -> float:
        if is_private_chat(chat_id):
            base = 1.0 / self.private_per_second
        else:
            base = 60.0 / self.group_per_minute
        return base * (1.0 + self.safety)


class RateLimiter:
    def __init__(self, limits: RateLimits, clock: Clock = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next global slot
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self._answers: deque[bool] = deque(maxlen=limits.flood_window)
        self._window_count, self._window_span = limits.global_window
        self._min_gap = limits.global_interval / 2 if limits.global_burst <= 1 else 0.0
        self._sent: deque[float] = deque()

    # ------------------------------------------------------------------ asking

    def chat_delay(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may receive its next message (0: now)."""
        if not self.limits.enabled:
            return 0.0
        now = self._clock()
        ready = max(self._chat_next.get(chat_id, 0.0), self._paused_until)
        return max(0.0, ready - now)

    def reserve_global(self, chat_id: int) -> float:
        """Reserve the next global slot for a message to ``chat_id``; return the seconds
        to wait before sending it. Call only when ``chat_delay`` is 0."""
        if not self.limits.enabled:
            return 0.0
        now = self._clock()
        interval = self.limits.global_interval
        tolerance = (self.limits.global_burst - 1) * interval
        at = max(now, self._tat - tolerance, self._paused_until)
        self._tat = max(self._tat, at) + interval
        self._chat_next[chat_id] = at + self.limits.chat_interval(chat_id)
        return at - now

    def send_delay(self) -> float:
        """Seconds until a send keeps the global window and the smallest gap (0: send
        now, then ``mark_sent``)."""
        if not self.limits.enabled:
            return 0.0
        now = self._clock()
        sent = self._sent
        while sent and sent[0] <= now - self._window_span:
            sent.popleft()
        wait = 0.0
        if sent and self._min_gap > 0:
            wait = sent[-1] + self._min_gap - now
        if len(sent) >= self._window_count:
            wait = max(wait, sent[0] + self._window_span - now, 1e-6)
        return max(0.0, wait)

    def pause_delay(self) -> float:
        """Seconds until a global flood pause ends (0: no pause)."""
        if not self.limits.enabled:
            return 0.0
        return max(0.0, self._paused_until - self._clock())

    def mark_sent(self, chat_id: int, *, count_global: bool = True) -> float:
        """A request to ``chat_id`` is going out now; returns its timestamp (for
        ``record_flood``). ``count_global`` False: its global slot came from elsewhere
        (the shared budget, the paid lane), so it does not count in this window."""
        now = self._clock()
        if not self.limits.enabled:
            return now
        if count_global:
            self._sent.append(now)
        next_free = now + self.limits.chat_interval(chat_id)
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), next_free)
        return now

    # ------------------------------------------------------------------ answers

    def record_success(self, chat_id: int) -> None:
        self._answers.append(False)

    def record_flood(self, chat_id: int, retry_after: float, sent_at: float | None = None) -> bool:
        """A 429 for ``chat_id`` (sent at ``sent_at``): pause that chat, give the global
        slot back; return True when the flood looks global (and everything was paused)."""
        self._answers.append(True)
        now = self._clock()
        until = now + retry_after
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)
        # the refused message did not count against the global ceiling
        self._tat = max(now, self._tat - self.limits.global_interval)
        if sent_at is not None:
            with contextlib.suppress(ValueError):
                self._sent.remove(sent_at)
        window = self._answers
        # judged on a full window only: a few early 429s in a row are chance, not a flood
        if len(window) == window.maxlen and sum(window) / len(window) >= self.limits.flood_share:
            self._paused_until = max(self._paused_until, until)
            window.clear()
            return True
        return False

    def pause_all(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def forget(self, chat_id: int) -> None:
        """Drop a chat's state (it finished; keeps the table small on big broadcasts)."""
        next_free = self._chat_next.get(chat_id)
        if next_free is not None and next_free <= self._clock():
            del self._chat_next[chat_id]

    def rename(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its pacing carries over to the new id."""
        if old_chat_id in self._chat_next:
            self._chat_next[new_chat_id] = self._chat_next.pop(old_chat_id)
