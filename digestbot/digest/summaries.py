"""The Korean summary contract of the archive's generator, written down (pure, no I/O).

The archive's pipeline asked a chat model for three sections per paper — What's New,
Technical Details, Performance Highlights — in Korean prose with technical terms in English
in parentheses. ``build_messages`` asks for exactly that as one JSON object;
``validate_answer`` accepts only an answer that keeps the contract, because model output is
untrusted input:

- the whole answer is one JSON object, optionally inside a single ```json (or bare ```)
  fenced block and nothing else around it; no duplicate keys;
- its keys are exactly ``SECTION_NAMES`` (a missing or an extra key is invalid) and every
  value is a string;
- each value, NFC-normalised and stripped, is ``MIN_SECTION_CHARS``–``MAX_SECTION_CHARS``
  characters long, has at least ``MIN_HANGUL_SYLLABLES`` Hangul syllables and at least
  ``MIN_HANGUL_SHARE`` of its letters are Hangul syllables (the archive's lowest is 0.41);
- no HTML tags (known HTML element names and comments — a paper's ``<think>`` token is
  text), no markdown headings, no control characters other than newline and tab.

The result keeps the order of ``SECTION_NAMES``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

SECTION_NAMES: Final = ("What's New", "Technical Details", "Performance Highlights")

MIN_SECTION_CHARS: Final = 40
MAX_SECTION_CHARS: Final = 2_000
MIN_HANGUL_SYLLABLES: Final = 20
MIN_HANGUL_SHARE: Final = 0.30
# what goes to the model, at most (an abstract is ~1,500 characters; a title ~100)
MAX_TITLE_CHARS: Final = 500
MAX_ABSTRACT_CHARS: Final = 6_000

SYSTEM_PROMPT: Final = (
    "You summarise one arXiv paper for a Korean AI newsletter read by ML engineers, "
    "researchers and students.\n"
    "Answer with ONLY a JSON object, no other text, no markdown, no code fence. Its keys are "
    'exactly "What\'s New", "Technical Details" and "Performance Highlights" (in English, '
    "spelled exactly so, no other keys), and each value is a string of Korean prose:\n"
    "- What's New: what the paper proposes and why it is new.\n"
    "- Technical Details: how the method works.\n"
    "- Performance Highlights: the main results and numbers.\n"
    "Write each value in natural Korean, two to four sentences (about 100 to 500 "
    "characters), plain text only: no HTML, no markdown, no headings, no lists. Keep model, "
    "dataset and method names in their original form, and write a technical term that is "
    "unfamiliar in Korean with its English original in parentheses, for example "
    "강화 학습(Reinforcement Learning). Use only what the title and abstract say; do not "
    "invent numbers.\n"
    "논문을 분석해 한국어로 요약하세요. 키는 영어 그대로, 값은 한국어 문장으로 작성하세요."
)

_FENCE = re.compile(r"\A```(?:json)?(?=\s|\{)\s*(?P<body>.*?)\s*```\Z", re.DOTALL | re.IGNORECASE)
_HTML_ELEMENTS: Final = (  # names, split below
    "a abbr address area article aside audio b base bdi bdo blockquote body br button canvas "
    "caption center cite code col colgroup data dd del details dfn dialog div dl dt em embed "
    "fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header "
    "hr html i iframe img input ins kbd label legend li link main map mark meta meter nav "
    "noscript object ol optgroup option output p param picture pre progress q rp rt ruby s "
    "samp script section select small source span strike strong style sub summary sup svg "
    "table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr "
    "tg-spoiler tg-emoji"
)
_HTML_TAG = re.compile(
    r"<!--|<\s*/?\s*(?:" + "|".join(map(re.escape, _HTML_ELEMENTS.split())) + r")(?=[\s/>])",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ValidSummary:
    """The sections, as ``(name, text)`` in the order of ``SECTION_NAMES``."""

    sections: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class InvalidSummary:
    """Why the answer was refused, in one short line."""

    reason: str


def build_messages(title: str, abstract: str) -> list[dict[str, str]]:
    """The chat messages asking for one paper's Korean sections (system, then user)."""
    title = " ".join(title.split())[:MAX_TITLE_CHARS]
    abstract = abstract.strip()[:MAX_ABSTRACT_CHARS]
    user = f"Title: {title}\n\nAbstract:\n{abstract or '(no abstract)'}"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def validate_answer(text: str) -> ValidSummary | InvalidSummary:
    """``text`` (a model's answer) as the three sections, or why it does not keep the
    contract (see the module docstring for the rules)."""
    text = text.strip()
    if not text:
        return InvalidSummary("empty answer")
    if text.startswith("```"):
        fenced = _FENCE.match(text)
        if fenced is None:
            return InvalidSummary("malformed code fence")
        text = fenced.group("body").strip()
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        return InvalidSummary(f"duplicate key {_show(exc.key)}")
    except (ValueError, RecursionError):
        return InvalidSummary("not JSON")
    if not isinstance(data, dict):
        return InvalidSummary(f"not a JSON object (a JSON {_json_kind(data)})")
    for name in SECTION_NAMES:
        if name not in data:
            return InvalidSummary(f"missing key {_show(name)}")
    extra = [key for key in data if key not in SECTION_NAMES]
    if extra:
        return InvalidSummary(f"unexpected key {_show(extra[0])}")
    sections: list[tuple[str, str]] = []
    for name in SECTION_NAMES:
        value = data[name]
        if not isinstance(value, str):
            return InvalidSummary(f"{name}: not a string (a JSON {_json_kind(value)})")
        value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
        problem = _section_problem(value)
        if problem is not None:
            return InvalidSummary(f"{name}: {problem}")
        sections.append((name, value))
    return ValidSummary(tuple(sections))


def hangul_syllables(text: str) -> int:
    """How many precomposed Hangul syllables (가–힣) ``text`` has."""
    return sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3")


def _section_problem(value: str) -> str | None:
    if len(value) < MIN_SECTION_CHARS:
        return f"too short ({len(value)} < {MIN_SECTION_CHARS} characters)"
    if len(value) > MAX_SECTION_CHARS:
        return f"too long ({len(value)} > {MAX_SECTION_CHARS} characters)"
    if _CONTROL.search(value):
        return "control characters"
    if _HTML_TAG.search(value):
        return "HTML markup"
    if _HEADING.search(value):
        return "a markdown heading"
    syllables = hangul_syllables(value)
    letters = sum(1 for ch in value if ch.isalpha())
    if syllables < MIN_HANGUL_SYLLABLES:
        return f"not Korean ({syllables} < {MIN_HANGUL_SYLLABLES} Hangul syllables)"
    share = syllables / letters
    if share < MIN_HANGUL_SHARE:
        return f"not mostly Korean ({share:.0%} of letters Hangul < {MIN_HANGUL_SHARE:.0%})"
    return None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _json_kind(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "literal"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _show(key: str, limit: int = 40) -> str:
    """A key for a one-line reason: quoted, without line breaks, cut to ``limit``."""
    shown = repr(key if len(key) <= limit else key[:limit] + "…")
    return _CONTROL.sub("?", shown)


# --------------------------------------------------------------------------- outcomes
# What one summary request gave (``digestbot.digest.sources.summarizer``): plain data,
# here so that reading it does not load the model client.


@dataclass(frozen=True, slots=True)
class Summarized:
    """The paper's Korean sections as ``(name, text)`` in the order of ``SECTION_NAMES``."""

    sections: tuple[tuple[str, str], ...]
    model: str
    prompt_tokens: int
    completion_tokens: int
    requests: int  # chat requests made for it (1, or 2 after an invalid answer)


@dataclass(frozen=True, slots=True)
class SummaryFailed:
    """No summary this time (it stays pending); ``reason`` is one line, without secrets."""

    reason: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    requests: int


SummaryOutcome = Summarized | SummaryFailed
