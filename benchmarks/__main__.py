"""Every benchmark, one after the other: ``python -m benchmarks [--quick]``.

Full sizes take about a quarter of an hour (the broadcast alone is 10,000 messages at
Telegram's 30/s); ``--quick`` runs each at a small size in about a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys

POSTGRES = os.environ.get(
    "DIGESTBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    runs = [
        ["benchmarks.ingest", *(["--days", "100"] if quick else []), "--postgres", POSTGRES],
        ["benchmarks.search", *(["--quick"] if quick else [])],
        ["benchmarks.broadcast", *(["--subscribers", "300"] if quick else [])],
        ["benchmarks.summaries", *(["--papers", "10"] if quick else [])],
        [
            "benchmarks.ticks",
            *(["--subscriptions", "20000", "--due", "2000"] if quick else []),
            "--postgres",
            POSTGRES,
        ],
        [
            "benchmarks.monitor",
            *(["--deliveries", "20000", "--subscriptions", "10000"] if quick else []),
            "--postgres",
            POSTGRES,
        ],
        ["benchmarks.push_size", *(["--quick"] if quick else [])],
        [
            "benchmarks.retention",
            *(["--old", "20000", "--recent", "10000"] if quick else []),
            "--postgres",
            POSTGRES,
        ],
        [
            "benchmarks.follows",
            *(["--subscribers", "5000", "--follows", "1000"] if quick else []),
            "--postgres",
            POSTGRES,
        ],
    ]
    failed = False
    for args in runs:
        print(f"\n=== python -m {' '.join(args)}", flush=True)
        failed |= subprocess.run([sys.executable, "-m", *args], check=False).returncode != 0
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
