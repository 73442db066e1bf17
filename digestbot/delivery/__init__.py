"""Delivery: the outbox, rate limits, Telegram's answers, the sender.

Every outgoing push, repost and broadcast is a row in ``deliveries`` before it is sent
(``enqueue``), and ``engine.DeliveryEngine`` sends the rows at Telegram's ceilings. Import
the modules themselves: this package loads nothing (the pure ``ratelimit`` must not pull
in python-telegram-bot).
"""
