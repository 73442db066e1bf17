"""A real local HTTP server serving digest files, with faults on demand (for source tests).

Serves ``root/<path>``; ``fail(path, status, times)`` answers that path with ``status``
the next ``times`` requests; ``delay`` slows every answer down."""

from __future__ import annotations

import threading
from collections import Counter
from email.message import Message
from pathlib import Path

from tests.support.local_http import Answer, LocalHTTPServer


class DigestServer(LocalHTTPServer):
    def __init__(self, root: Path) -> None:
        super().__init__(poll_interval=0.5)
        self.root = root
        self.delay = 0.0
        self.requests: Counter[str] = Counter()
        self._faults: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def fail(self, path: str, status: int, times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(path, []).extend([status] * times)

    def handle(self, method: str, path: str, headers: Message, body: bytes) -> Answer:
        status, content = self._answer(path.split("?", 1)[0].lstrip("/"))
        return status, {"Content-Type": "text/plain; charset=utf-8"}, content, self.delay

    def _answer(self, path: str) -> tuple[int, bytes]:
        with self._lock:
            self.requests[path] += 1
            faults = self._faults.get(path)
            if faults:
                return faults.pop(0), b"server error"
        file = (self.root / path).resolve()
        if self.root.resolve() not in file.parents or not file.is_file():
            return 404, b"404: Not Found"
        return 200, file.read_bytes()
