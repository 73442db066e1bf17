"""A real local HTTP server speaking the OpenAI chat-completions protocol, with faults on
demand (for summarizer tests and benchmarks).

``POST /v1/chat/completions`` answers the real response shape. By default the answer is a
valid Korean summary built deterministically from the paper's title (the ``Title:`` line of
the user message), so a test can tell which paper an answer was for (``summary_for``).
``fail(fault, times)`` spoils the next ``times`` requests (see ``Fault``); ``latency`` (a
``(low, high)`` range in seconds) slows every answer down like a real model. Every request
is recorded (``requests``: the parsed body and the Authorization header).

Use it as ``with LLMServer() as server: Summarizer(server.base_url, ...)``."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum
from typing import Any

from tests.support.local_http import Answer, LocalHTTPServer

COMPLETIONS_PATH = "/v1/chat/completions"
_TITLE = re.compile(r"^Title:[ \t]*(?P<title>.*)$", re.MULTILINE)


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429, a Retry-After header and an OpenAI-style error body
    SERVER_ERROR = "server_error"  # 500 with an OpenAI-style error body
    UNAUTHORIZED = "unauthorized"  # 401 whose message echoes the key (some servers do)
    SLOW = "slow"  # a valid answer after ``slow_seconds`` (longer than the client timeout)
    NOT_JSON = "not_json"  # 200, content that is not JSON
    ENGLISH = "english"  # 200, the three keys with English-only values
    MISSING_KEY = "missing_key"  # 200, a JSON object without "Performance Highlights"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    path: str
    body: Any  # the parsed JSON body (None when it was not JSON)
    authorization: str | None
    fault: Fault | None  # what the server answered it with (None: a valid answer)
    at: float  # time.monotonic() when it arrived
    usage: tuple[int, int] | None  # (prompt, completion) tokens answered, None for an error

    @property
    def title(self) -> str | None:
        return _title_of(self.body)


def summary_for(title: str) -> dict[str, str]:
    """The valid Korean summary the server answers for ``title`` (deterministic)."""
    digest = hashlib.sha256(title.encode()).digest()
    gain, speed = 5 + digest[0] % 40, 2 + digest[1] % 8
    return {
        "What's New": (
            f"이 논문은 「{title}」에서 새로운 학습 프레임워크(Framework)를 제안합니다. 기존 "
            "방법들이 가진 데이터 효율성과 일반화 성능의 한계를 지적하고, 이를 해결하기 위해 "
            "단계적으로 추론하는 구조를 도입하여 더 적은 자원으로도 안정적인 결과를 얻도록 "
            "설계했습니다."
        ),
        "Technical Details": (
            "제안된 방법은 트랜스포머(Transformer) 기반의 인코더와 경량화된 어댑터(Adapter) "
            "모듈을 결합합니다. 학습 과정에서는 대조 학습(Contrastive Learning)과 강화 "
            "학습(Reinforcement Learning)을 번갈아 적용하여 표현의 품질을 높이고, 추론 "
            "단계에서는 불필요한 계산을 줄이는 조기 종료 전략을 사용합니다."
        ),
        "Performance Highlights": (
            f"여러 벤치마크(Benchmark)에서 기존 최고 성능 모델보다 평균 {gain}% 높은 정확도를 "
            f"기록했으며, 추론 속도는 약 {speed}배 빨라졌습니다. 특히 데이터가 적은 환경에서도 "
            "성능 저하가 거의 없어 실제 서비스에 적용하기 쉬운 방법임을 보여줍니다."
        ),
    }


def english_summary_for(title: str) -> dict[str, str]:
    sentence = f"This paper about {title} proposes a new method and reports strong results. "
    return {name: sentence * 2 for name in ("What's New", "Technical Details")} | {
        "Performance Highlights": "It improves accuracy by a wide margin on several benchmarks."
    }


class LLMServer(LocalHTTPServer):
    def __init__(
        self,
        *,
        model: str = "test-model",
        latency: tuple[float, float] | None = None,
        retry_after: str = "1",
        slow_seconds: float = 1.0,
        seed: int = 0,
    ) -> None:
        super().__init__(poll_interval=0.05)
        self.model = model
        self.latency = latency
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._faults_for: dict[str, list[Fault]] = {}
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._serial = 0

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as ``base_url``."""
        return f"{self.url}/v1"

    def fail(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``fault`` (queued after earlier faults)."""
        with self._lock:
            self._faults.extend([fault] * times)

    def fail_for(self, title: str, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` requests about the paper ``title`` with ``fault``
        (before any fault queued with ``fail``): deterministic under concurrency."""
        with self._lock:
            self._faults_for.setdefault(title, []).extend([fault] * times)

    def requests_for(self, title: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.title == title)

    def handle(self, method: str, path: str, headers: Message, body: bytes) -> Answer:
        status, answer_headers, content, delay = self._answer(
            path, body, headers.get("Authorization")
        )
        return status, {**answer_headers, "Content-Type": "application/json"}, content, delay

    def _answer(
        self, path: str, raw: bytes, authorization: str | None
    ) -> tuple[int, dict[str, str], bytes, float]:
        arrived = time.monotonic()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        title = _title_of(body) if body is not None else None
        with self._lock:
            queued = self._faults_for.get(title or "")
            if queued:
                fault: Fault | None = queued.pop(0)
            else:
                fault = self._faults.pop(0) if self._faults else None
            self._serial += 1
            serial = self._serial
            delay = self._random.uniform(*self.latency) if self.latency else 0.0
        status, headers, answer, usage = self._respond(path, body, authorization, fault, serial)
        if fault is Fault.SLOW:
            delay = max(delay, self.slow_seconds)
        with self._lock:
            self.requests.append(RecordedRequest(path, body, authorization, fault, arrived, usage))
        return status, headers, answer, delay

    def _respond(
        self, path: str, body: Any, authorization: str | None, fault: Fault | None, serial: int
    ) -> tuple[int, dict[str, str], bytes, tuple[int, int] | None]:
        if path.split("?", 1)[0] != COMPLETIONS_PATH:
            return 404, {}, _error(f"Unknown path {path}", "invalid_request_error", None), None
        if not _is_chat_request(body):
            return (
                400,
                {},
                _error("Expected model and messages", "invalid_request_error", None),
                None,
            )
        if fault is Fault.RATE_LIMIT:
            message = "Rate limit reached for requests. Please try again later."
            headers = {"Retry-After": self.retry_after}
            return 429, headers, _error(message, "requests", "rate_limit_exceeded"), None
        if fault is Fault.SERVER_ERROR:
            message = "The server had an error while processing your request."
            return 500, {}, _error(message, "server_error", None), None
        if fault is Fault.UNAUTHORIZED:
            message = f"Incorrect API key provided: {authorization or ''}."
            return 401, {}, _error(message, "invalid_request_error", "invalid_api_key"), None
        content = _content(fault, _title_of(body) or "")
        prompt_text = " ".join(str(m.get("content", "")) for m in body["messages"])
        usage = _tokens(prompt_text), _tokens(content)
        answer = {
            "id": f"chatcmpl-test{serial:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body["model"]),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": usage[0] + usage[1],
            },
        }
        return 200, {"x-request-id": f"req_{serial}"}, json.dumps(answer).encode(), usage


def _content(fault: Fault | None, title: str) -> str:
    if fault is Fault.NOT_JSON:
        return f"다음은 「{title}」의 요약입니다: 이 논문은 새로운 방법을 제안합니다."
    if fault is Fault.ENGLISH:
        return json.dumps(english_summary_for(title))
    summary = summary_for(title)
    if fault is Fault.MISSING_KEY:
        del summary["Performance Highlights"]
    return json.dumps(summary, ensure_ascii=False)


def _is_chat_request(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("model"), str)
        and isinstance(body.get("messages"), list)
        and all(isinstance(m, dict) for m in body["messages"])
    )


def _title_of(body: Any) -> str | None:
    """The ``Title:`` line of the first user message that has one."""
    if not _is_chat_request(body):
        return None
    for message in body["messages"]:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            found = _TITLE.search(content)
            if found:
                return found.group("title").strip()
    return None


def _tokens(text: str) -> int:
    """A rough token count (about four characters a token), never zero for some text."""
    return (len(text) + 3) // 4


def _error(message: str, kind: str, code: str | None) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": kind, "param": None, "code": code}}
    ).encode()
