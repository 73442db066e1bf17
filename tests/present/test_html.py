"""Rendering: pure functions from stored data to Telegram HTML (no network, no database)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from digestbot.digest.model import Section
from digestbot.present.html import ListPage, render_digest_messages, render_paper, section_key
from digestbot.present.plain import html_to_text
from digestbot.present.split import split_html, utf16_len
from digestbot.store.archive import PaperView

ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote", "span"}


class _Checker(HTMLParser):
    """Parses like Telegram: only known tags, balanced, entities complete."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        assert "<" not in data and ">" not in data, data
        self.text.append(data)


def assert_valid(html_text: str) -> None:
    # every & starts a complete entity
    for match in re.finditer("&", html_text):
        assert re.match(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", html_text[match.start() :]), (
            html_text[match.start() : match.start() + 12]
        )
    checker = _Checker()
    checker.feed(html_text)
    checker.close()
    assert checker.stack == [], checker.stack
    assert "".join(checker.text).strip(), "an empty message"


def paper(**changes: object) -> PaperView:
    base: dict[str, object] = {
        "arxiv_id": "2502.11089",
        "title": "A <b>bold</b> & *fast* model for $x<y$",
        "url": "https://arxiv.org/abs/2502.11089",
        "media_url": None,
        "media_kind": None,
        "authors": ("Ada <Lovelace>", "Bob & Co"),
        "sections": (
            Section("What's New", "Proves $a<b$ & $c>d$ with **stars**."),
            Section("Technical Details", "Uses <script> tags & entities like &amp;."),
        ),
        "day": dt.date(2025, 2, 19),
        "rank": 1,
        "position": 1,
        "votes": 71,
    }
    base.update(changes)
    return PaperView(**base)  # type: ignore[arg-type]


def test_paper_escapes_everything_from_the_digest() -> None:
    html_text = render_paper(paper(), lang="en")
    assert_valid(html_text)
    assert "A &lt;b&gt;bold&lt;/b&gt; &amp; *fast* model for $x&lt;y$" in html_text
    assert "Ada &lt;Lovelace&gt;, Bob &amp; Co" in html_text
    assert "Proves $a&lt;b$ &amp; $c&gt;d$ with **stars**." in html_text
    assert "&lt;script&gt; tags &amp; entities like &amp;amp;." in html_text
    assert '<a href="https://arxiv.org/abs/2502.11089">' in html_text
    assert '<a href="https://huggingface.co/papers/2502.11089">' in html_text
    assert "<b>What's New</b>\nProves" in html_text
    assert "<b>Technical Details</b>\nUses" in html_text
    assert "👍 71 votes" in html_text
    assert "2025-02-19" in html_text


def test_paper_in_korean_and_chosen_sections_only() -> None:
    html_text = render_paper(paper(), lang="ko", sections=["technical details"])
    assert "추천" in html_text and "저자" in html_text
    assert "<b>Technical Details</b>" in html_text
    assert "What's New" not in html_text


def test_url_with_quotes_stays_inside_the_attribute() -> None:
    html_text = render_paper(paper(url='https://arxiv.org/abs/1"><b>x'))
    assert '<a href="https://arxiv.org/abs/1&quot;&gt;&lt;b&gt;x">' in html_text
    assert_valid(html_text)


def test_plain_text_for_the_terminal() -> None:
    text = html_to_text(render_paper(paper(), lang="en"))
    assert text.startswith(
        "A <b>bold</b> & *fast* model for $x<y$ (https://arxiv.org/abs/2502.11089)"
    )
    assert "Authors: Ada <Lovelace>, Bob & Co" in text
    assert "What's New\nProves $a<b$ & $c>d$ with **stars**." in text
    assert "<" not in text.replace("<b>bold</b>", "").replace("$x<y$", "").replace(
        "<Lovelace>", ""
    ).replace("$a<b$", "").replace("<script>", "")


def long_paper() -> PaperView:
    sections = tuple(
        Section(
            f"Section {i}", " ".join(f"문장 {i}.{j} with $x<y$ & more words." for j in range(40))
        )
        for i in range(1, 15)
    )
    return paper(sections=sections)


def test_a_20000_char_paper_splits_on_section_boundaries() -> None:
    html_text = render_paper(long_paper(), lang="en")
    assert len(html_text) > 20_000
    parts = split_html(html_text)
    assert len(parts) >= 5
    for part in parts:
        assert utf16_len(part) <= 4096
        assert_valid(part)
    # every section heading survives intact, each part starts at a block boundary
    joined = "\n\n".join(parts)
    for i in range(1, 15):
        assert joined.count(f"<b>Section {i}</b>\n") == 1
    for part in parts[1:]:
        assert part.startswith("<b>Section ")
    # nothing lost: the visible text is the same, up to the whitespace at the cuts
    assert html_to_text(joined).split() == html_to_text(html_text).split()


def test_a_single_paragraph_longer_than_the_limit_is_split_safely() -> None:
    words = " ".join(
        f'<b>w{i}</b> &amp; <a href="https://x.org/?a=1&amp;b={i}">l{i}</a>' for i in range(800)
    )
    text = f"<i>{words}</i>"
    assert len(text) > 3 * 4096
    parts = split_html(text, 4096)
    assert len(parts) >= 4
    for part in parts:
        assert utf16_len(part) <= 4096
        assert_valid(part)
        assert part.startswith("<i>") and part.endswith("</i>")
    assert html_to_text("".join(parts)).replace(" ", "") == html_to_text(text).replace(" ", "")


def test_a_paragraph_without_spaces_is_cut_between_characters() -> None:
    text = "가&lt;" * 3000
    parts = split_html(text, 1000)
    assert all(utf16_len(p) <= 1000 for p in parts)
    for part in parts:
        assert_valid(part)
    assert "".join(parts) == text


def test_length_counts_utf16_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_html(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904]


def test_short_text_is_one_part_and_blank_text_none() -> None:
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]
    assert split_html("  \n ") == []


def test_digest_messages_break_between_papers() -> None:
    sections = long_paper().sections[:2]  # one paper ≈ 3,500 characters
    papers = [
        paper(arxiv_id=f"2502.{10000 + i}", rank=i, title=f"Paper {i}", sections=sections)
        for i in range(1, 21)
    ]
    messages = render_digest_messages(dt.date(2025, 2, 19), papers, lang="en", total=68)
    assert messages[0].startswith("📰 <b>Daily Papers 2025-02-19</b> · top 20 of 68")
    assert len(messages) > 3
    for message in messages:
        assert utf16_len(message) <= 4096
        assert_valid(message)
    for message in messages[1:]:
        assert re.match(r"<b>\d+\. <a href=", message), message[:60]
    joined = "\n".join(messages)
    for i in range(1, 21):
        assert joined.count(f">Paper {i}</a>") == 1


def test_digest_messages_show_only_the_chosen_sections() -> None:
    messages = render_digest_messages(
        dt.date(2025, 2, 19), [paper()], sections=["What's New"], lang="ko"
    )
    assert len(messages) == 1
    assert "<b>What's New</b>" in messages[0]
    assert "Technical Details" not in messages[0]
    assert messages[0].startswith("📰 <b>Daily Papers 2025-02-19</b> · 1편\n\n<b>1. <a href=")


@pytest.mark.parametrize(
    ("page", "size", "total", "first", "last", "pages", "prev", "next_"),
    [
        (0, 10, 25, 1, 10, 3, False, True),
        (2, 10, 25, 21, 25, 3, True, False),
        (0, 10, 0, 0, 0, 1, False, False),
        (1, 5, 10, 6, 10, 2, True, False),
    ],
)
def test_list_page_arithmetic(
    page: int, size: int, total: int, first: int, last: int, pages: int, prev: bool, next_: bool
) -> None:
    p = ListPage(page, size, total)
    assert (p.first, p.last, p.pages, p.has_prev, p.has_next) == (first, last, pages, prev, next_)


def test_digest_header_without_total_only_counts_what_it_shows() -> None:
    # the push renders without knowing the day's total; the header must not claim "top N"
    three = [paper(arxiv_id=f"2502.1108{i}", rank=i) for i in range(1, 4)]
    ko = render_digest_messages(dt.date(2025, 5, 9), three, lang="ko")
    assert ko[0].startswith("📰 <b>Daily Papers 2025-05-09</b> · 3편\n\n")
    en = render_digest_messages(dt.date(2025, 5, 9), three, lang="en", total=20)
    assert en[0].startswith("📰 <b>Daily Papers 2025-05-09</b> · top 3 of 20\n\n")
    every = render_digest_messages(dt.date(2025, 5, 9), three, lang="en", total=3)
    assert every[0].startswith("📰 <b>Daily Papers 2025-05-09</b> · 3 papers\n\n")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("What's New", "what's new"),
        ("What\u2019s New", "what's new"),
        ("What\u2018s  New ", "what's new"),
        ("  what\u02bcs\tNEW", "what's new"),
        ("\u201cQuoted\u201d  Name", '"quoted" name'),
        ("Technical Details", "technical details"),
    ],
)
def test_section_key_straightens_quotes_and_whitespace(name: str, key: str) -> None:
    assert section_key(name) == key


def test_a_chosen_section_matches_its_curly_spelling() -> None:
    curly = paper(
        sections=(
            Section("What\u2019s New", "curly apostrophe era"),
            Section("Technical  Details", "double space"),
            Section("Performance Highlights", "not chosen"),
        )
    )
    text = render_paper(curly, sections=["What's New", "Technical Details"])
    assert "<b>What\u2019s New</b>\ncurly apostrophe era" in text
    assert "<b>Technical  Details</b>\ndouble space" in text
    assert "Performance Highlights" not in text


def test_a_partial_author_list_says_so_and_never_lists_the_plus() -> None:
    partial = paper(authors=("Ada Lovelace", "Bob Babbage"), more_authors=True)
    assert "Ada Lovelace, Bob Babbage 외" in render_paper(partial, lang="ko")
    english = render_paper(partial, lang="en")
    assert "Authors: Ada Lovelace, Bob Babbage et al.</i>" in english
    names = tuple(f"Author {i}" for i in range(1, 10))
    cut = render_paper(paper(authors=names, more_authors=True), lang="en", max_authors=6)
    assert "Author 6 and 3+ more</i>" in cut
    whole = render_paper(paper(authors=names), lang="en", max_authors=6)
    assert "Author 6 and 3 more</i>" in whole
    assert "+" not in render_paper(partial, lang="en").split("Authors:")[1].split("</i>")[0]


def test_hugging_face_metadata_and_where_the_summary_came_from() -> None:
    card = render_paper(
        paper(
            github_repo="https://github.com/org/repo",
            github_stars=1234,
            project_page="https://org.github.io/p?a=1&b=2",
            summary_origin="model:gpt-4o-mini",
        ),
        lang="en",
    )
    assert '<a href="https://github.com/org/repo">GitHub</a> ⭐ 1,234' in card
    assert '<a href="https://org.github.io/p?a=1&amp;b=2">🌐 project</a>' in card
    assert card.endswith("<i>🤖 Summary written by gpt-4o-mini</i>")
    assert_valid(card)
    archived = render_paper(paper(summary_origin="archive"), lang="ko")
    assert archived.endswith("<i>📚 요약: daily_papers_ko 아카이브</i>")
    # a digest names only generated summaries
    [digest] = render_digest_messages(dt.date(2025, 2, 19), [paper(summary_origin="archive")])
    assert "아카이브" not in digest


def test_a_paper_without_sections_shows_its_english_text_labelled() -> None:
    bare = paper(
        sections=(),
        abstract="We present <X> & more.",
        ai_summary="A model that does Y.",
    )
    card = render_paper(bare, lang="en")
    assert "<i>🤗 HF AI summary (English)</i>\nA model that does Y." in card
    assert "<i>Abstract (Korean summary pending)</i>\nWe present &lt;X&gt; &amp; more." in card
    assert_valid(card)
    [digest] = render_digest_messages(dt.date(2025, 2, 19), [bare], lang="en")
    assert "A model that does Y." in digest and "We present" not in digest
    only_abstract = render_paper(paper(sections=(), abstract="Only this."), lang="ko")
    assert "<i>영문 초록 (한국어 요약 준비 중)</i>\nOnly this." in only_abstract
