"""The send-latency histogram each delivery engine keeps (``EngineStats.send_seconds``):
how long Telegram took to accept a message, read by ``/metrics`` at scrape time.

A ``prometheus_client.Histogram`` in no registry: each engine owns its own, and the
metrics collector (``digestbot.services.metrics``) yields its samples."""

from __future__ import annotations

from prometheus_client import Histogram

SEND_SECONDS = "digestbot_send_seconds"
# Telegram usually answers in 50-300 ms; a slow answer or a retry is seconds
SEND_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0)


def send_histogram() -> Histogram:
    return Histogram(
        SEND_SECONDS,
        "Seconds from sending a message to Telegram's acceptance, per accepted message",
        buckets=SEND_BUCKETS,
        registry=None,
    )
