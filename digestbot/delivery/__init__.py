"""Delivery: the outbox, rate limits, Telegram's answers, the sender.

Every outgoing push, repost and broadcast is a row in ``deliveries`` before it is sent
(``enqueue``), and ``DeliveryEngine`` sends the rows at Telegram's ceilings.
"""

from digestbot.delivery.engine import (
    AdminAlert,
    DeliveryEngine,
    EngineStats,
    limits_from_settings,
    make_bot,
)
from digestbot.delivery.enqueue import (
    Target,
    broadcast_key,
    enqueue_broadcast,
    enqueue_push,
    enqueue_repost,
    new_request_id,
    push_key,
    repost_key,
)
from digestbot.delivery.leader import LeaderLock, scheduler_leadership
from digestbot.delivery.outbox import outbox_counts
from digestbot.delivery.ratelimit import RateLimiter, RateLimits

__all__ = [
    "AdminAlert",
    "DeliveryEngine",
    "EngineStats",
    "LeaderLock",
    "RateLimiter",
    "RateLimits",
    "Target",
    "broadcast_key",
    "enqueue_broadcast",
    "enqueue_push",
    "enqueue_repost",
    "limits_from_settings",
    "make_bot",
    "new_request_id",
    "outbox_counts",
    "push_key",
    "repost_key",
    "scheduler_leadership",
]
