"""The sentence splitter a shortened section is cut with (never mid-sentence)."""

from __future__ import annotations

import pytest

from digestbot.present.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "이 논문은 새 방법을 제안합니다. 성능이 좋습니다! 정말인가요? 네.",
            ["이 논문은 새 방법을 제안합니다.", "성능이 좋습니다!", "정말인가요?", "네."],
        ),
        # decimals and version numbers are not ends, nor is a point without a space after
        (
            "GPT-4.1은 3.5배 빠르다. SD3.5도 그렇다.",
            ["GPT-4.1은 3.5배 빠르다.", "SD3.5도 그렇다."],
        ),
        # abbreviations and initials
        (
            "Kim et al. propose it, e.g. for RL (see Fig. 2). J. Smith agrees.",
            ["Kim et al. propose it, e.g. for RL (see Fig. 2).", "J. Smith agrees."],
        ),
        # closing quotes and brackets stay with their sentence
        ("그는 “좋다.” 다음 (참고.) 끝", ["그는 “좋다.”", "다음 (참고.)", "끝"]),
        # a line break ends a bullet even without a point; blank lines vanish
        ("- 첫째 요점\n\n- 둘째 요점입니다.", ["- 첫째 요점", "- 둘째 요점입니다."]),
        ("", []),
        ("   ", []),
        ("마침표 없는 문장", ["마침표 없는 문장"]),
        ("끝…  다음.", ["끝…", "다음."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_sentences_give_the_text_back() -> None:
    text = "첫 문장입니다. 두 번째는 3.5% 향상을 보였다. Smith et al. 2024도 같다."
    assert " ".join(split_sentences(text)) == text
