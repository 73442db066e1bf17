"""A free local TCP port: bound once to ask the system for one, then released (for a
server the test starts next, or a port known to have nothing listening)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
