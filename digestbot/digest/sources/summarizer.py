"""Korean sections for papers the archive lacks, from an OpenAI-compatible chat endpoint.

``Summarizer.summarize(title, abstract)`` never raises for what the endpoint does: it
returns ``Summarized`` (the validated sections, the model that answered, the tokens spent)
or ``SummaryFailed`` (a one-line reason and the tokens spent — the paper's summary stays
pending). The official ``openai`` client does the transport retries (429 honouring
``Retry-After``, 408/409/5xx, timeouts, connection errors; ``max_retries`` of them); an
answer that breaks the contract of ``digestbot.digest.summaries`` is asked for once more,
then it is a failure. At most ``concurrency`` summaries are in flight.

The API key is sent as ``Authorization: Bearer <key>`` and nowhere else: failure reasons
are built from status codes and error codes only (never the server's free text), and the
``openai`` / ``httpx2`` / ``httpcore2`` loggers are kept at WARNING so their DEBUG records
(request details) never reach a handler.
"""

from __future__ import annotations

import asyncio
import logging
import re
from types import TracebackType
from typing import Final

import openai
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)
from openai.types.shared_params import ResponseFormatJSONObject

from digestbot.digest.summaries import (
    SECTION_NAMES,
    InvalidSummary,
    Summarized,
    SummaryFailed,
    SummaryOutcome,
    ValidSummary,
    build_messages,
    validate_answer,
)
from digestbot.logs import redact

log = logging.getLogger(__name__)

# Libraries that see the request (and so the key) at DEBUG; httpx/httpcore for older clients.
QUIET_LOGGERS: Final = ("openai", "httpx2", "httpcore2", "httpx", "httpcore")
ANSWER_ATTEMPTS: Final = 2  # an invalid answer is asked for once more
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.\-]{1,60}")
_CORRECTION = (
    "Your previous answer was refused ({reason}). Answer again with ONLY the JSON object "
    "whose keys are exactly " + ", ".join(f'"{name}"' for name in SECTION_NAMES) + " and "
    "whose values are Korean text."
)


def quiet_client_loggers() -> None:
    """Keep the HTTP client libraries' loggers at WARNING (their DEBUG records describe
    requests; an explicit WARNING or higher set by the operator is kept)."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class Summarizer:
    """Writes the Korean sections of one paper at a time through ``model`` at ``base_url``
    (e.g. ``https://api.openai.com/v1``, a vLLM or Ollama server's ``/v1``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        concurrency: int = 4,
        json_mode: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, not {max_retries}")
        quiet_client_loggers()
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.json_mode = json_mode
        self._secret = api_key or ""
        self._semaphore = asyncio.Semaphore(concurrency)
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "none",
            timeout=timeout,
            max_retries=max_retries,
        )

    def __repr__(self) -> str:
        return f"Summarizer(base_url={str(self._client.base_url)!r}, model={self.model!r})"

    async def summarize(self, title: str, abstract: str) -> SummaryOutcome:
        messages = _message_params(build_messages(title, abstract))
        prompt_tokens = completion_tokens = 0
        model = self.model
        reason = ""
        async with self._semaphore:
            for attempt in range(1, ANSWER_ATTEMPTS + 1):
                try:
                    completion = await self._complete(messages)
                except openai.OpenAIError as exc:
                    failed = SummaryFailed(
                        reason=self._clean(_transport_reason(exc, self.max_retries)),
                        model=model,
                        prompt_tokens=prompt_tokens,
                        completion_tokens=completion_tokens,
                        requests=attempt,
                    )
                    log.warning("summary of %r failed: %s", _short(title), failed.reason)
                    return failed
                spent_prompt, spent_completion = _usage(completion)
                prompt_tokens += spent_prompt
                completion_tokens += spent_completion
                model = _answered_model(completion) or self.model
                verdict = _verdict(completion)
                if isinstance(verdict, ValidSummary):
                    return Summarized(
                        sections=verdict.sections,
                        model=model,
                        prompt_tokens=prompt_tokens,
                        completion_tokens=completion_tokens,
                        requests=attempt,
                    )
                reason = self._clean(verdict.reason)
                log.info(
                    "invalid summary of %r (answer %d of %d): %s",
                    _short(title),
                    attempt,
                    ANSWER_ATTEMPTS,
                    reason,
                )
                correction = _CORRECTION.format(reason=reason)
                messages = [
                    *messages,
                    ChatCompletionUserMessageParam(role="user", content=correction),
                ]
        failed = SummaryFailed(
            reason=f"summary pending: invalid answer {ANSWER_ATTEMPTS} times ({reason})",
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            requests=ANSWER_ATTEMPTS,
        )
        log.warning("summary of %r failed: %s", _short(title), failed.reason)
        return failed

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> Summarizer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _complete(self, messages: list[ChatCompletionMessageParam]) -> ChatCompletion:
        if self.json_mode:
            response_format = ResponseFormatJSONObject(type="json_object")
            return await self._client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format
            )
        return await self._client.chat.completions.create(model=self.model, messages=messages)

    def _clean(self, text: str) -> str:
        """One line, at most 300 characters, without the key."""
        line = " ".join(redact(text, self._secret).split())
        return line if len(line) <= 300 else line[:299] + "…"


def _message_params(messages: list[dict[str, str]]) -> list[ChatCompletionMessageParam]:
    params: list[ChatCompletionMessageParam] = []
    for message in messages:
        role, content = message["role"], message["content"]
        if role == "system":
            params.append(ChatCompletionSystemMessageParam(role="system", content=content))
        elif role == "user":
            params.append(ChatCompletionUserMessageParam(role="user", content=content))
        else:
            raise ValueError(f"unexpected message role {role!r}")
    return params


def _verdict(completion: ChatCompletion) -> ValidSummary | InvalidSummary:
    """The first choice's text, validated; the shape is checked at run time because a
    non-OpenAI server may answer anything the client did not refuse."""
    choices: object = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        return InvalidSummary("no choices in the answer")
    message: object = getattr(choices[0], "message", None)
    content: object = getattr(message, "content", None)
    if not isinstance(content, str):
        return InvalidSummary("no text in the answer")
    finish: object = getattr(choices[0], "finish_reason", None)
    verdict = validate_answer(content)
    if isinstance(verdict, InvalidSummary) and finish == "length":
        return InvalidSummary(f"{verdict.reason} (cut at the token limit)")
    return verdict


def _usage(completion: ChatCompletion) -> tuple[int, int]:
    usage: object = getattr(completion, "usage", None)
    return _count(getattr(usage, "prompt_tokens", 0)), _count(
        getattr(usage, "completion_tokens", 0)
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _answered_model(completion: ChatCompletion) -> str:
    model: object = getattr(completion, "model", None)
    return model[:100] if isinstance(model, str) else ""


def _transport_reason(exc: openai.OpenAIError, max_retries: int) -> str:
    """What went wrong, from the error's type, status and code: never its message, which
    a server fills with whatever it likes (some echo the key)."""
    retried = (
        f" after {max_retries} {'retry' if max_retries == 1 else 'retries'}" if max_retries else ""
    )
    if isinstance(exc, openai.APITimeoutError):
        return f"timed out{retried}"
    if isinstance(exc, openai.APIConnectionError):
        return f"connection failed{retried}"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        code = next(
            (c for c in (exc.code, exc.type) if isinstance(c, str) and _IDENTIFIER.fullmatch(c)),
            None,
        )
        detail = f" ({code})" if code else ""
        if isinstance(exc, openai.RateLimitError):
            return f"rate limited: HTTP {status}{detail}{retried}"
        if status >= 500 or status in (408, 409):
            return f"server error: HTTP {status}{detail}{retried}"
        return f"refused: HTTP {status}{detail}"
    if isinstance(exc, openai.APIResponseValidationError):
        return "malformed response"
    return f"client error: {type(exc).__name__}"


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= 80 else title[:79] + "…"
