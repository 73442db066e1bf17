"""The compact push (present.push): one message on every real sample day, sections cut
only between sentences, a button per paper, follows under their own heading."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from benchmarks.push_size import views
from digestbot.digest.model import Section
from digestbot.digest.parser import parse_digest
from digestbot.present.callbacks import parse_paper
from digestbot.present.plain import html_to_text
from digestbot.present.push import Button, PushMessage, render_push
from digestbot.present.sentences import split_sentences
from digestbot.present.split import utf16_len
from digestbot.store.archive import PaperView
from tests.conftest import DIGESTS
from tests.present.test_html import assert_valid, paper

SAMPLES = sorted(DIGESTS.glob("*/*/*.md"))
QUOTE = re.compile(r"<blockquote expandable>(.*?)</blockquote>", re.DOTALL)


def quoted_sections(text: str) -> list[str]:
    """The shown text of every section in the quotes (heading and "…" taken off)."""
    shown = []
    for quote in QUOTE.findall(text):
        for line in quote.split("\n"):
            body = html_to_text(re.sub(r"^<b>[^<]*</b> ", "", line)).removesuffix(" …")
            shown.append(body)
    return shown


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: "/".join(p.parts[-3:]))
def test_the_default_push_of_every_sample_day_is_one_message(path: object) -> None:
    digest = parse_digest(path.read_text("utf-8"))  # type: ignore[attr-defined]
    papers = views(digest)
    [message] = render_push(digest.date, papers[:5], total=len(papers))
    assert utf16_len(message.text) <= 4096
    assert_valid(message.text)
    assert len(re.findall(r"^<b>\d+\. <a href=", message.text, re.MULTILINE)) == 5
    # a button per paper, 1..5, each opening that paper's card
    assert [[b.label for b in row] for row in message.buttons] == [["1", "2", "3", "4", "5"]]
    opened = [parse_paper(b.data).arxiv_id for row in message.buttons for b in row]
    assert opened == [p.arxiv_id for p in papers[:5]]
    # every shown section is whole sentences of the paper's section, from its start
    sections = [" ".join(split_sentences(s.text)) for p in papers[:5] for s in p.sections]
    shown = quoted_sections(message.text)
    assert shown, "no section shown at all"
    for body in shown:
        assert any(s.startswith(body) for s in sections), body[:80]
        whole = next(s for s in sections if s.startswith(body))
        assert body == whole or whole[len(body)] == " ", "cut inside a sentence"
    assert message.preview_url is None  # previews off (README: why)


def long_paper(i: int, sentences: int = 12) -> PaperView:
    sentence = "이것은 논문 {i}의 {k}번째 문장이며 꽤 길게 이어집니다."
    text = " ".join(sentence.format(i=i, k=k) for k in range(sentences))
    return paper(
        arxiv_id=f"2502.{10000 + i}",
        title=f"Paper {i}",
        rank=i,
        votes=100 - i,
        sections=(Section("What's New", text), Section("Technical Details", text)),
    )


def test_sentences_are_shared_out_in_rounds_and_the_first_papers_get_theirs_first() -> None:
    papers = [long_paper(i) for i in range(1, 6)]
    [message] = render_push(dt.date(2025, 2, 19), papers, lang="en", total=40)
    assert message.text.startswith("📰 <b>Daily Papers 2025-02-19</b> · top 5 of 40\n\n")
    assert utf16_len(message.text) <= 4096
    counts = [body.count("문장이며") for body in quoted_sections(message.text)]
    assert len(counts) == 10 and min(counts) >= 1
    assert max(counts) - min(counts) <= 1  # rounds: nobody gets two more than another
    assert message.text.count(" …") == 10  # each shortened section says so
    assert "Tap a number" in message.text


def test_followed_papers_come_under_their_own_heading_numbered_on() -> None:
    top = [long_paper(i, 2) for i in range(1, 4)]
    followed = [long_paper(i, 2) for i in (17, 23)]
    [message] = render_push(dt.date(2025, 2, 19), top, followed=followed, lang="ko", total=30)
    assert message.text.startswith("📰 <b>Daily Papers 2025-02-19</b> · 상위 3/30편")
    heading = message.text.index("📌 <b>팔로우한 논문</b>")
    assert message.text.index(">Paper 3</a>") < heading < message.text.index(">Paper 17</a>")
    assert "<b>4. <a href" in message.text and "<b>5. <a href" in message.text
    assert [(b.label, b.data) for row in message.buttons for b in row] == [
        ("1", "p:2502.10001"),
        ("2", "p:2502.10002"),
        ("3", "p:2502.10003"),
        ("4", "p:2502.10017"),
        ("5", "p:2502.10023"),
    ]
    [english] = render_push(dt.date(2025, 2, 19), top, followed=followed, lang="en")
    assert "📌 <b>From your follows</b>" in english.text


def test_full_sections_is_the_old_push_with_the_buttons_under_the_last_message() -> None:
    papers = [long_paper(i, 30) for i in range(1, 6)]
    messages = render_push(dt.date(2025, 2, 19), papers, lang="en", full=True)
    assert len(messages) > 1
    assert all(utf16_len(m.text) <= 4096 for m in messages)
    assert all(not m.buttons for m in messages[:-1])
    assert [b.label for row in messages[-1].buttons for b in row] == ["1", "2", "3", "4", "5"]
    joined = "\n".join(m.text for m in messages)
    assert "blockquote" not in joined and " …" not in joined
    assert joined.count("29번째 문장") == 10  # every sentence of every section


def test_a_push_whose_titles_alone_do_not_fit_is_cut_between_papers() -> None:
    papers = [long_paper(i, 3) for i in range(1, 21)]
    messages = render_push(dt.date(2025, 2, 19), papers, lang="en", limit=1500)
    assert len(messages) > 1
    numbers = [int(b.label) for m in messages for row in m.buttons for b in row]
    assert numbers == list(range(1, 21))
    for m in messages:
        assert utf16_len(m.text) <= 1500
        assert_valid(m.text)
        shown = re.findall(r"<b>(\d+)\. <a href", m.text)
        assert [int(n) for n in shown] == [int(b.label) for row in m.buttons for b in row]


def test_a_paper_without_sections_shows_hugging_faces_english_text() -> None:
    bare = paper(sections=(), ai_summary="A fast model. It is good.", summary_origin=None)
    [message] = render_push(dt.date(2025, 2, 19), [bare], lang="en")
    assert "<b>🤗 HF AI summary (English)</b> A fast model. It is good." in message.text


def test_parts_round_trip_through_json_and_old_rows_are_plain_strings() -> None:
    part = PushMessage("<b>hi</b>", ((Button("1", "p:2502.11089"),),), "https://arxiv.org/abs/1")
    raw = part.to_json()
    assert raw == {
        "text": "<b>hi</b>",
        "buttons": [[["1", "p:2502.11089"]]],
        "preview_url": "https://arxiv.org/abs/1",
    }
    assert PushMessage.from_json(raw) == part
    assert PushMessage("only text").to_json() == "only text"
    assert PushMessage.from_json("stored before buttons") == PushMessage("stored before buttons")
    junks: list[object] = [3, None, {"buttons": []}, {"text": "x", "buttons": [["1"]]}, {"text": 1}]
    for junk in junks:
        with pytest.raises(ValueError):
            PushMessage.from_json(junk)
