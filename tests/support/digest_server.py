"""A real local HTTP server serving digest files, with faults on demand (for source tests).

Serves ``root/<path>``; ``fail(path, status, times)`` answers that path with ``status``
the next ``times`` requests; ``delay`` slows every answer down."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType


class DigestServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.delay = 0.0
        self.requests: Counter[str] = Counter()
        self._faults: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].lstrip("/")
                status, body = server._answer(path)
                if server.delay:
                    time.sleep(server.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: object) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, path: str, status: int, times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(path, []).extend([status] * times)

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

    def __enter__(self) -> DigestServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
