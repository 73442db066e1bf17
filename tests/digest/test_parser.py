"""parse_digest on the nine real digests and on small inline texts: one per drift rule,
one per repair (built in code from a sample or literal text: the samples are never
edited), and what is not a digest at all.

The expectations about the real files were written by reading the files, and those about
the repairs by reading the grammar, not by saving the parser's output.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digestbot.digest.model import SUMMARY_SECTION, Digest, Paper, ParseWarning
from digestbot.digest.parser import parse_digest
from digestbot.errors import DigestFormatError
from digestbot.packaged import sample_digests

DIGESTS = sample_digests()
WHATS_NEW, TECHNICAL, PERFORMANCE = "What's New", "Technical Details", "Performance Highlights"
THREE = [WHATS_NEW, TECHNICAL, PERFORMANCE]
THUMBS = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/"
UPLOADS = "https://cdn-uploads.huggingface.co/production/uploads/60f1abe7544c2adfd699860c/"


def load(name: str) -> Digest:
    path = DIGESTS / name
    return parse_digest(path.read_bytes(), source=str(path))


def paper(digest: Digest, arxiv_id: str) -> Paper:
    found = [p for p in digest.papers if p.arxiv_id == arxiv_id]
    assert len(found) == 1, arxiv_id
    return found[0]


def check_authors(p: Paper, count: int, first: str, last: str) -> None:
    assert len(p.authors) == count
    assert p.authors[0] == first
    assert p.authors[-1] == last


def section_text(p: Paper, name: str) -> str:
    texts = [s.text for s in p.sections if s.name == name]
    assert len(texts) == 1, name
    return texts[0]


# -- the nine real files ---------------------------------------------------------------


def test_2023_11_22_earliest_era_bullets_and_videos() -> None:
    d = load("2023/11/22.md")
    assert d.date == dt.date(2023, 11, 22)
    assert d.source.endswith("2023/11/22.md")
    assert len(d.papers) == 8
    assert all(p.votes is None for p in d.papers)
    assert [p.rank for p in d.papers] == list(range(1, 9))  # no votes: position order
    assert sum(p.media_kind == "video" for p in d.papers) == 4

    magic = d.papers[0]
    assert magic.arxiv_id == "2311.12052"
    assert magic.title == (
        "MagicDance: Realistic Human Dance Video Generation with Motions & "
        "Facial Expressions Transfer"
    )
    assert magic.url == "https://arxiv.org/abs/2311.12052"
    assert magic.media_kind == "video"
    assert magic.media_url == UPLOADS + "QPqDXcHNhksZaqkYOjZNQ.mp4"
    assert magic.votes is None
    check_authors(magic, 9, "Di Chang", "Mohammad Soleymani")
    assert [s.name for s in magic.sections] == [SUMMARY_SECTION]
    summary = magic.sections[0].text
    assert summary.startswith("본 연구에서는 도전적인 인간 댄스 비디오에 대한")
    assert summary.endswith("얼마나 우수한지를 입증합니다.")
    assert len(summary.split("\n")) == 7
    assert not any(line.startswith("- ") for line in summary.split("\n"))
    assert "<video" not in summary

    sliders = paper(d, "2311.12092")
    assert sliders.position == 2
    assert sliders.media_kind == "image"
    assert sliders.media_url == UPLOADS + "rIACZU_Re1MpOgIJpG032.png"
    check_authors(sliders, 5, "Rohit Gandikota", "David Bau")

    phys = d.papers[-1]
    assert phys.arxiv_id == "2311.12198"
    assert phys.title == "PhysGaussian: Physics-Integrated 3D Gaussians for Generative Dynamics"
    assert phys.position == 8
    check_authors(phys, 7, "Tianyi Xie", "Chenfanfu Jiang")
    assert phys.sections[0].text.endswith(
        "프로젝트 페이지는 다음 주소에서 제공하고 있다: https://xpandora.github.io/PhysGaussian/."
    )


def test_2024_03_15_bullets_with_votes_and_plus_author() -> None:
    d = load("2024/03/15.md")
    assert d.date == dt.date(2024, 3, 15)
    assert len(d.papers) == 14

    mm1 = d.papers[0]
    assert mm1.arxiv_id == "2403.09611"
    assert mm1.title == "MM1: Methods, Analysis & Insights from Multimodal LLM Pre-training"
    assert mm1.url == "https://arxiv.org/abs/2403.09611"
    assert (mm1.media_kind, mm1.media_url) == ("image", THUMBS + "2403.09611.png")
    assert mm1.votes == 45
    assert mm1.rank == 1
    # "Doug Kang, Futang Peng, Chong Wang, +, Xiang Kong, ...": 23 entries, 22 authors;
    # the "+" says some were not listed, it is not an author
    check_authors(mm1, 22, "Doug Kang", "Brandon McKinzie")
    assert mm1.authors[2:4] == ("Chong Wang", "Xiang Kong")
    assert mm1.more_authors
    assert [s.name for s in mm1.sections] == [SUMMARY_SECTION]
    assert mm1.sections[0].text.startswith("이 연구에서는 성능이 좋은 복합모달")
    assert mm1.sections[0].text.endswith("가능하다는 장점을 갖습니다.")

    glyph = d.papers[-1]
    assert glyph.arxiv_id == "2403.09622"
    assert glyph.title == "Glyph-ByT5: A Customized Text Encoder for Accurate Visual Text Rendering"
    assert glyph.votes == 5
    assert glyph.position == 14
    check_authors(glyph, 7, "Zhanhao Liang", "Ji Li")
    assert not glyph.more_authors
    assert glyph.sections[0].text.endswith("추가적인 탐색을 장려할 것으로 기대됩니다.")
    assert len(glyph.sections[0].text.split("\n")) == 8

    # GiT (16 votes) and Video Editing (16 votes): the tie goes to the earlier one.
    assert paper(d, "2403.09394").rank == 4
    assert paper(d, "2403.09334").rank == 5


def test_2024_06_11_last_bullet_day() -> None:
    d = load("2024/06/11.md")
    assert d.date == dt.date(2024, 6, 11)
    assert len(d.papers) == 14
    assert {s.name for p in d.papers for s in p.sections} == {SUMMARY_SECTION}

    llama = d.papers[0]
    assert llama.arxiv_id == "2406.06525"
    assert llama.title == (
        "Autoregressive Model Beats Diffusion: Llama for Scalable Image Generation"
    )
    assert llama.votes == 38
    check_authors(llama, 7, "Shilong Zhang", "Bingyue Peng")
    assert llama.sections[0].text.startswith("LlamaGen은 비주얼 생성 영역에서")

    # GTR's last bullet follows a blank line: still part of its summary.
    gtr = paper(d, "2406.05649")
    assert gtr.sections[0].text.endswith(
        "텍스트나 이미지를 3D 모델로 변환하는 다양한 응용 프로그램을 가능하게 한다."
    )

    extra = d.papers[-1]
    assert extra.arxiv_id == "2406.06133"
    assert extra.votes == 2
    assert extra.rank == 14
    check_authors(extra, 6, "Wei-Chiu Ma", "Aleksander Holynski")
    assert extra.sections[0].text.endswith("유의미한 성능 향상을 보여주었습니다.")


def test_2024_06_12_first_named_sections() -> None:
    d = load("2024/06/12.md")
    assert d.date == dt.date(2024, 6, 12)
    assert len(d.papers) == 16

    titok = d.papers[0]
    assert titok.arxiv_id == "2406.07550"
    assert titok.title == "An Image is Worth 32 Tokens for Reconstruction and Generation"
    assert (titok.media_kind, titok.media_url) == ("image", THUMBS + "2406.07550.png")
    assert titok.votes == 52
    check_authors(titok, 6, "Xueqing Deng", "Qihang Yu")
    assert [s.name for s in titok.sections] == THREE
    assert section_text(titok, WHATS_NEW).startswith("최근 이미지 생성 분야에서")
    assert section_text(titok, WHATS_NEW).endswith("이미지 토크나이저(TiTok)를 소개합니다.")

    see = paper(d, "2406.06612")
    assert see.title == "SEE-2-SOUND: Zero-Shot Spatial Environment-to-Spatial Sound"
    assert see.votes == 12
    check_authors(see, 4, "Rishit Dagli", "Shivesh Prakash")
    assert [s.name for s in see.sections] == [*THREE, "Related Work Summary"]
    assert section_text(see, "Related Work Summary").startswith("오디오 생성 분야는")

    chirp = paper(d, "2406.05629")
    assert chirp.title == (
        'Separating the "Chirp" from the "Chat": '
        "Self-supervised Visual Grounding of Sound and Language"
    )

    gaffer = d.papers[-1]
    assert gaffer.arxiv_id == "2406.07520"
    assert gaffer.title == "Neural Gaffer: Relighting Any Object via Diffusion"
    # A relative avatar link, kept as written.
    assert gaffer.media_url == "/avatars/e4f630616a16a7fc691b5275bb62f2aa.svg"
    assert gaffer.votes == 3
    check_authors(gaffer, 9, "Yuanbo Xiangli", "Haian Jin")
    assert section_text(gaffer, PERFORMANCE).endswith("수행할 수 있는 기능도 가지고 있습니다.")


def test_2024_08_23_extra_section() -> None:
    d = load("2024/08/23.md")
    assert d.date == dt.date(2024, 8, 23)
    assert len(d.papers) == 20

    survey = d.papers[0]
    assert survey.arxiv_id == "2408.12599"
    assert survey.title == "Controllable Text Generation for Large Language Models: A Survey"
    assert survey.votes == 40
    check_authors(survey, 11, "Xun Liang", "Dan Liu")

    jamba = paper(d, "2408.12570")
    assert jamba.title == "Jamba-1.5: Hybrid Transformer-Mamba Models at Scale"
    assert jamba.position == 6
    assert jamba.votes == 14
    check_authors(jamba, 22, "Haim Rozenblum", "Ben Aviram")  # and a "+" (was 23 with it)
    assert jamba.more_authors
    assert "+" not in jamba.authors
    assert [s.name for s in jamba.sections] == [
        *THREE,
        "Serving Considerations and Improvements",
    ]
    serving = section_text(jamba, "Serving Considerations and Improvements")
    assert serving.startswith("효율적인 서빙을 위해 새로운 양자화 기술인 ExpertsInt8를")
    assert serving.endswith("과도하게 커지는 것을 방지합니다.")

    dream = paper(d, "2408.12601")
    assert dream.media_url == "/avatars/bbf781594fc8c812316711aa8e2797aa.svg"
    assert dream.media_kind == "image"


def test_2024_10_18_list_authors_and_two_blocks() -> None:
    d = load("2024/10/18.md")
    assert d.date == dt.date(2024, 10, 18)
    assert len(d.papers) == 9  # 7 in the first block, 2 in the second

    mapreduce = d.papers[0]
    assert mapreduce.arxiv_id == "2410.09342"
    assert mapreduce.title == (
        "LLMtimesMapReduce: Simplified Long-Sequence Processing using Large Language Models"
    )
    assert mapreduce.votes == 34
    check_authors(mapreduce, 14, "Zihan Zhou", "Qi Shi")
    assert [s.name for s in mapreduce.sections] == THREE
    assert section_text(mapreduce, WHATS_NEW).startswith("이 연구에서는 긴 텍스트를")
    assert section_text(mapreduce, PERFORMANCE).endswith("개선된 성능을 나타냅니다.")

    retro = paper(d, "2410.13852")  # the first paper of the second block
    assert retro.title == "Retrospective Learning from Interactions"
    assert retro.position == 8
    assert retro.votes == 1
    check_authors(retro, 6, "Yiwei Chen", "Gloria Geng")

    aero = d.papers[-1]
    assert aero.arxiv_id == "2410.13060"
    assert aero.position == 9
    assert aero.votes == 0
    assert aero.authors == ("Brandon Reagen", "Nandan Kumar Jha")
    assert section_text(aero, PERFORMANCE).startswith("AERO는 통신 비용을 최대 4.23배")

    # votes in file order: 34 1 0 5 0 1 1 1 0
    assert [p.rank for p in d.papers] == [1, 3, 7, 2, 8, 4, 5, 6, 9]


def test_2024_11_14_mixed_asterisks_and_unsorted_votes() -> None:
    d = load("2024/11/14.md")
    assert d.date == dt.date(2024, 11, 14)
    assert len(d.papers) == 7
    assert [p.votes for p in d.papers] == [2, 0, 4, 39, 8, 10, 15]
    assert [p.rank for p in d.papers] == [6, 7, 5, 1, 4, 3, 2]
    assert all([s.name for s in p.sections] == THREE for p in d.papers)

    perceiver = d.papers[0]
    assert perceiver.arxiv_id == "2411.08307"
    check_authors(perceiver, 4, "Yungang Yi", "Matthew Kuo")

    motion = d.papers[1]  # the one with two-asterisk labels
    assert motion.arxiv_id == "2411.08328"
    assert motion.title == "Motion Control for Enhanced Complex Action Video Generation"
    assert motion.votes == 0
    check_authors(motion, 5, "Ye Qian", "Nianzu Yang")
    assert section_text(motion, WHATS_NEW).startswith("MVideo는 복잡한 동작 비디오 생성을")
    assert section_text(motion, PERFORMANCE).endswith("효과적인 일치도를 보여주었습니다.")


def test_2025_02_19_largest_day() -> None:
    d = load("2025/02/19.md")
    assert d.date == dt.date(2025, 2, 19)
    assert len(d.papers) == 68  # 38 + 30 in two blocks
    assert [p.position for p in d.papers] == list(range(1, 69))
    assert sorted(p.rank for p in d.papers) == list(range(1, 69))

    nsa = d.papers[0]
    assert nsa.arxiv_id == "2502.11089"
    assert nsa.title == (
        "Native Sparse Attention: Hardware-Aligned and Natively Trainable Sparse Attention"
    )
    assert nsa.votes == 71
    assert nsa.rank == 1
    check_authors(nsa, 15, "Zhenda Xie", "Huazuo Gao")
    assert section_text(nsa, TECHNICAL).startswith("NSA에서는 군집화된 토큰 압축(compression)과")

    swe = paper(d, "2502.12115")
    assert swe.title == (
        "SWE-Lancer: Can Frontier LLMs Earn $1 Million from Real-World "
        "Freelance Software Engineering?"
    )
    assert swe.votes == 27
    assert swe.rank == 8  # 71 62 51 41 41 32 32 are above it
    check_authors(swe, 4, "Samuel Miserendino", "Johannes Heidecke")

    soundwave = paper(d, "2502.12900")  # opens the second block
    assert soundwave.position == 39
    assert soundwave.votes == 62
    assert soundwave.rank == 2

    last = d.papers[-1]
    assert last.arxiv_id == "2502.08869"
    assert last.title == "Harnessing Vision Models for Time Series Analysis: A Survey"
    assert last.votes == 1
    assert last.rank == 65  # 59 papers above 1 vote, then the six 1s by position
    check_authors(last, 8, "Dongsheng Luo", "Haifeng Chen")
    assert section_text(last, PERFORMANCE).endswith("분류 작업에서의 성능을 향상시켰습니다.")


def test_2025_05_09_last_day() -> None:
    d = load("2025/05/09.md")
    assert d.date == dt.date(2025, 5, 9)
    assert len(d.papers) == 20

    survey = d.papers[0]
    assert survey.arxiv_id == "2505.04921"
    assert survey.title == (
        "Perception, Reason, Think, and Plan: A Survey on Large Multimodal Reasoning Models"
    )
    assert survey.url == "https://arxiv.org/abs/2505.04921"
    assert (survey.media_kind, survey.media_url) == ("image", THUMBS + "2505.04921.png")
    assert survey.votes == 75
    check_authors(survey, 22, "Lanqing Hong", "Zhenran Xu")
    assert [s.name for s in survey.sections] == THREE

    cot = d.papers[-1]
    assert cot.arxiv_id == "2505.04955"
    assert cot.title == "Chain-of-Thought Tokens are Computer Program Variables"
    assert cot.votes == 1
    assert cot.position == 20
    check_authors(cot, 3, "Zhifang Sui", "Peiyi Wang")
    assert section_text(cot, WHATS_NEW).startswith(
        "이 논문에서는 체인-오브-생각(Chain-of-Thought; CoT) 토큰이"
    )

    browse = paper(d, "2504.19314")  # an April paper listed in May
    assert browse.title == (
        "BrowseComp-ZH: Benchmarking Web Browsing Ability of Large Language Models in Chinese"
    )


FILES = sorted(p for p in DIGESTS.glob("*/*/*.md"))


def test_nine_fixtures() -> None:
    assert len(FILES) == 9


@pytest.mark.parametrize("path", FILES, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_fixture_parses_from_text_and_bytes_alike(path: Path) -> None:
    data = path.read_bytes()
    assert parse_digest(data) == parse_digest(data.decode("utf-8"))
    assert parse_digest(data).warnings == ()  # the real files need no repair


# -- drift rules, inline -----------------------------------------------------------------

HEADER = "## Daily Papers (2024-06-12)"


def doc(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def heading(arxiv_id: str = "2406.00001", title: str = "A Paper") -> str:
    return f"### [{title}](https://arxiv.org/abs/{arxiv_id})"


BASIC = doc(
    HEADER,
    "",
    heading(),
    "",
    "![](https://example.org/t.png)",
    "",
    "Vote: 7",
    "",
    "Authors: Ada Lovelace, Alan Turing",
    "",
    "- **What's New**: new things.",
    "- **Technical Details**: details.",
    "",
)


def test_basic_inline_digest() -> None:
    d = parse_digest(BASIC, source="basic.md")
    assert d.source == "basic.md"
    assert d.date == dt.date(2024, 6, 12)
    (p,) = d.papers
    assert p == Paper(
        arxiv_id="2406.00001",
        title="A Paper",
        url="https://arxiv.org/abs/2406.00001",
        media_url="https://example.org/t.png",
        media_kind="image",
        votes=7,
        authors=("Ada Lovelace", "Alan Turing"),
        sections=p.sections,
        position=1,
        rank=1,
    )
    assert [(s.name, s.text) for s in p.sections] == [
        ("What's New", "new things."),
        ("Technical Details", "details."),
    ]


def test_default_source() -> None:
    assert parse_digest(BASIC).source == "<digest>"


def test_crlf_bom_bytes_and_trailing_whitespace_change_nothing() -> None:
    expected = parse_digest(BASIC, source="x")
    crlf = BASIC.replace("\n", "\r\n")
    padded = "\n".join(line + "  \t" for line in BASIC.split("\n"))
    variants: list[str | bytes] = [
        crlf,
        "\ufeff" + BASIC,
        BASIC.encode(),
        "\ufeff".encode() + crlf.encode(),
        padded,
        BASIC.replace("\n", "\r\r\n"),  # converted twice
    ]
    for variant in variants:
        assert parse_digest(variant, source="x") == expected
    assert expected.warnings == ()


def technical(text: str | bytes) -> tuple[str, tuple[ParseWarning, ...]]:
    """BASIC's "Technical Details" text and the warnings, for a variant of BASIC."""
    d = parse_digest(text)
    (p,) = d.papers
    return section_text(p, "Technical Details"), d.warnings


def test_undecodable_bytes_are_dropped_with_a_warning() -> None:
    data = BASIC.encode().replace(b"details.", b"det\xffails.")
    assert technical(data) == ("details.", (ParseWarning(12, "undecodable byte 0xff dropped"),))


def test_stray_control_characters_are_dropped() -> None:
    text = BASIC.replace("details.", "det\x00ails. \x1b[0m")
    dropped = "control character '\\x00' dropped; control character '\\x1b' dropped"
    assert technical(text) == ("details. [0m", (ParseWarning(12, dropped),))


def test_surrogate_escaped_bytes_in_text_are_dropped() -> None:
    text = BASIC.encode().replace(b"details.", b"d\xffetails.").decode("utf-8", "surrogateescape")
    assert technical(text) == ("details.", (ParseWarning(12, "undecodable byte 0xff dropped"),))


def test_lone_carriage_return_not_before_a_letter_is_dropped() -> None:
    assert technical(BASIC.replace("details.", "details.\r 끝")) == (
        "details. 끝",
        (ParseWarning(12, "control character '\\r' dropped"),),
    )


def test_curly_apostrophe_and_korean_section_names_kept_verbatim() -> None:
    text = BASIC.replace("**What's New**", "**What’s New**").replace(
        "**Technical Details**", "**기술적 세부사항**"
    )
    (p,) = parse_digest(text).papers
    assert [s.name for s in p.sections] == ["What’s New", "기술적 세부사항"]


@pytest.mark.parametrize(
    "label",
    [
        "- **Technical Details**: details.",
        "- ***Technical Details***: details.",
        "- ***Technical Details*: details.",
        "- **Technical Details***: details.",
        "- *Technical Details*: details.",
        "- **Technical Details:** details.",
        "- **Technical Details** : details.",
        "-  ** Technical Details **:details.",
    ],
)
def test_malformed_labels_give_the_same_section(label: str) -> None:
    text = BASIC.replace("- **Technical Details**: details.", label)
    (p,) = parse_digest(text).papers
    assert p.sections[1].name == "Technical Details"
    assert p.sections[1].text == "details."


def test_two_and_three_asterisk_labels_mixed_in_one_paper() -> None:
    text = BASIC.replace("- **Technical Details**", "- ***Technical Details***")
    (p,) = parse_digest(text).papers
    assert [s.name for s in p.sections] == ["What's New", "Technical Details"]


def test_bold_start_without_colon_is_a_plain_bullet() -> None:
    text = doc(HEADER, heading(), "- **TiTok** 는 새로운 토크나이저입니다.", "- 둘째")
    (p,) = parse_digest(text).papers
    assert p.sections[0].name == SUMMARY_SECTION
    assert p.sections[0].text == "**TiTok** 는 새로운 토크나이저입니다.\n둘째"


def test_plain_bullets_become_one_summary_section() -> None:
    text = doc(HEADER, heading(), "", "- 첫째 문장.", "- 둘째 문장.", "", "- 셋째 문장.")
    (p,) = parse_digest(text).papers
    assert [(s.name, s.text) for s in p.sections] == [
        (SUMMARY_SECTION, "첫째 문장.\n둘째 문장.\n셋째 문장.")
    ]


def test_indented_sub_bullets_continue_the_summary() -> None:
    text = doc(HEADER, heading(), "- 네 가지 특징:", "  - (1) 하나", "  - (2) 둘", "- 끝.")
    (p,) = parse_digest(text).papers
    assert p.sections[0].text == "네 가지 특징:\n  - (1) 하나\n  - (2) 둘\n끝."


def test_continuation_lines_join_the_current_section() -> None:
    text = doc(
        HEADER,
        heading(),
        "- **What's New**: 첫 줄.",
        "둘째 줄.",
        "",
        "- **Technical Details**: 하나.",
        "- 세부 항목 (a bullet in a named section)",
        "    들여쓴 줄",
    )
    (p,) = parse_digest(text).papers
    assert [(s.name, s.text) for s in p.sections] == [
        ("What's New", "첫 줄.\n둘째 줄."),
        ("Technical Details", "하나.\n- 세부 항목 (a bullet in a named section)\n    들여쓴 줄"),
    ]


def test_label_after_plain_bullets_starts_a_named_section() -> None:
    text = doc(HEADER, heading(), "- 요약.", "- **Extra**: 더.", "- 계속.")
    (p,) = parse_digest(text).papers
    assert [(s.name, s.text) for s in p.sections] == [
        (SUMMARY_SECTION, "요약."),
        ("Extra", "더.\n- 계속."),
    ]


def test_label_with_empty_text_then_continuation() -> None:
    text = doc(HEADER, heading(), "- **What's New**:", "본문.")
    (p,) = parse_digest(text).papers
    assert (p.sections[0].name, p.sections[0].text) == ("What's New", "\n본문.")


def test_vote_dash_and_missing_vote_are_none_and_rank_last() -> None:
    text = doc(
        HEADER,
        heading("2406.00001", "Dash"),
        "Vote: -",
        heading("2406.00002", "Missing"),
        heading("2406.00003", "Zero"),
        "Vote: 0",
        heading("2406.00004", "Many"),
        "Vote: 300",
        heading("2406.00005", "Empty"),
        "Vote:",
    )
    d = parse_digest(text)
    assert [p.votes for p in d.papers] == [None, None, 0, 300, None]
    assert [p.rank for p in d.papers] == [3, 4, 2, 1, 5]
    assert [p.position for p in d.papers] == [1, 2, 3, 4, 5]
    assert all(p.sections == () for p in d.papers)  # papers without a summary are fine


@pytest.mark.parametrize("bad", ["Vote: seven", "Vote: 1234567890", "Vote: 1" + "0" * 5000])
def test_unreadable_vote_is_ignored(bad: str) -> None:
    d = parse_digest(BASIC.replace("Vote: 7", bad))
    assert d.papers[0].votes is None
    assert d.papers[0].authors == ("Ada Lovelace", "Alan Turing")  # the rest is read
    ((line, message),) = [(w.line, w.message) for w in d.warnings]
    assert line == 7
    assert message.startswith("vote is not a number or '-': 'Vote: ")
    assert message.endswith(": ignored")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Authors: ['Ada Lovelace', 'Alan Turing']", ("Ada Lovelace", "Alan Turing")),
        ("Authors: [\"Miles O'Brien\", 'B']", ("Miles O'Brien", "B")),
        ("Authors: ['Esc\\'aped', 'B']", ("Esc'aped", "B")),
        ("Authors: []", ()),
        ("Authors: ['A', '', ' B ']", ("A", "B")),
        ("Authors: ['A', 'B'", ("['A'", "'B'")),  # not a list: plain splitting
        ("Authors: [A, B]", ("A", "B")),  # not a Python literal: fallback split
        ("Authors: [1, 2]", ("1", "2")),
        # deep nesting is not fed to ast; what is between the outer brackets is the name
        ("Authors: " + "[" * 100 + "]" * 100, ("[" * 99 + "]" * 99,)),
        ("Authors: A, B, +, C", ("A", "B", "C")),  # and more_authors, below
        ("Authors: ['A', '+', 'B']", ("A", "B")),
        ("Authors: +", ()),
        ("Authors: A+B, C", ("A+B", "C")),  # not the "+" entry
        ("Authors: A,, B ,", ("A", "B")),
        ("Authors:", ()),
    ],
)
def test_authors(line: str, expected: tuple[str, ...]) -> None:
    (p,) = parse_digest(BASIC.replace("Authors: Ada Lovelace, Alan Turing", line)).papers
    assert p.authors == expected
    assert p.more_authors == (line in PLUS_LINES)


PLUS_LINES = ("Authors: A, B, +, C", "Authors: ['A', '+', 'B']", "Authors: +")


def test_video_media_and_its_player_line() -> None:
    mp4 = "https://cdn.example.org/v.mp4"
    text = doc(
        HEADER,
        heading(),
        "",
        f"[Watch Video]({mp4})",
        f'<div><video controls src="{mp4}" muted="false"></video></div>',
        "",
        "- 요약.",
    )
    (p,) = parse_digest(text).papers
    assert (p.media_kind, p.media_url) == ("video", mp4)
    assert p.sections[0].text == "요약."


def test_video_player_alone_gives_the_video() -> None:
    mp4 = "https://cdn.example.org/v.mp4"
    text = doc(HEADER, heading(), f'<div><video controls src="{mp4}"></video></div>')
    (p,) = parse_digest(text).papers
    assert (p.media_kind, p.media_url) == ("video", mp4)


def test_empty_image_link_is_no_media() -> None:
    (p,) = parse_digest(BASIC.replace("![](https://example.org/t.png)", "![]()")).papers
    assert (p.media_kind, p.media_url) == (None, None)


def test_bracket_prose_inside_a_summary_is_text() -> None:
    text = doc(HEADER, heading(), "- 요약.", "[참고] 링크는 본문에.")
    (p,) = parse_digest(text).papers
    assert p.sections[0].text == "요약.\n[참고] 링크는 본문에."


@pytest.mark.parametrize(
    ("title", "url", "arxiv_id"),
    [
        ("M$^{2}$UGen: Music [and] (more)", "https://arxiv.org/abs/2311.11255", "2311.11255"),
        ("A [link](x) inside & <b>", "https://arxiv.org/abs/2311.11255", "2311.11255"),
        ("**Bold** *title*", "http://arxiv.org/abs/2311.11255v3", "2311.11255"),
        ("Old style", "https://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
        ("Old with class", "https://www.arxiv.org/abs/math.GT/0309136", "math.GT/0309136"),
        ("지수적으로 빠른 언어 모델링", "https://arxiv.org/abs/2311.10770", "2311.10770"),
        ("Four digits", "https://arxiv.org/abs/0704.0001", "0704.0001"),
    ],
)
def test_titles_and_arxiv_ids(title: str, url: str, arxiv_id: str) -> None:
    (p,) = parse_digest(doc(HEADER, f"### [{title}]({url})")).papers
    assert (p.title, p.url, p.arxiv_id) == (title, url, arxiv_id)


def test_title_whitespace_is_stripped() -> None:
    (p,) = parse_digest(doc(HEADER, "### [  Spaced  ](https://arxiv.org/abs/2406.00001)")).papers
    assert p.title == "Spaced"


# -- duplicates and date blocks ---------------------------------------------------------


def block(date: str, *papers: tuple[str, str, str]) -> list[str]:
    lines = [f"## Daily Papers ({date})", ""]
    for arxiv_id, title, vote in papers:
        lines += [heading(arxiv_id, title), "", f"Vote: {vote}", "", f"- **S**: {title} text", ""]
    return lines


def test_two_blocks_same_date_are_one_day_and_duplicates_merge() -> None:
    text = doc(
        *block("2024-10-18", ("2410.00001", "First", "5"), ("2410.00002", "Second", "9")),
        *block("2024-10-18", ("2410.00003", "Third", "1"), ("2410.00001v2", "First again", "12")),
    )
    d = parse_digest(text)
    assert d.date == dt.date(2024, 10, 18)
    assert [p.arxiv_id for p in d.papers] == ["2410.00001", "2410.00002", "2410.00003"]
    first = d.papers[0]
    assert first.title == "First"  # the first occurrence's content ...
    assert first.url == "https://arxiv.org/abs/2410.00001"
    assert first.sections[0].text == "First text"
    assert first.votes == 12  # ... with the larger, later count
    assert [p.position for p in d.papers] == [1, 2, 3]
    assert [p.rank for p in d.papers] == [1, 2, 3]


def test_duplicate_keeps_a_known_vote_over_an_unknown_one() -> None:
    text = doc(
        *block("2024-10-18", ("2410.00001", "A", "8")),
        *block("2024-10-18", ("2410.00001", "A", "-")),
    )
    assert parse_digest(text).papers[0].votes == 8
    text = doc(
        *block("2024-10-18", ("2410.00001", "A", "-")),
        *block("2024-10-18", ("2410.00001", "A", "3")),
    )
    assert parse_digest(text).papers[0].votes == 3


def test_duplicate_in_one_block_is_one_paper() -> None:
    text = doc(*block("2024-10-18", ("2410.00001", "A", "8"), ("2410.00001", "A", "2")))
    d = parse_digest(text)
    assert len(d.papers) == 1
    assert d.papers[0].votes == 8


def test_a_block_with_another_date_keeps_its_papers_under_the_first_date() -> None:
    lines = [
        *block("2024-10-18", ("2410.00001", "A", "1")),
        *block("2024-10-19", ("2410.00002", "B", "1")),
    ]
    assert lines[8] == "## Daily Papers (2024-10-19)"  # line 9
    d = parse_digest(doc(*lines), source="two.md")
    assert d.date == dt.date(2024, 10, 18)
    assert [p.arxiv_id for p in d.papers] == ["2410.00001", "2410.00002"]
    assert d.warnings == (
        ParseWarning(
            9,
            "a second date block for 2024-10-19 in a file for 2024-10-18: "
            "its papers are kept under 2024-10-18",
        ),
    )


def test_empty_trailing_block_is_allowed() -> None:
    text = doc(*block("2024-10-18", ("2410.00001", "A", "1")), "## Daily Papers (2024-10-18)")
    assert len(parse_digest(text).papers) == 1


# -- what is not a digest ----------------------------------------------------------------


def error_of(text: str | bytes) -> DigestFormatError:
    with pytest.raises(DigestFormatError) as info:
        parse_digest(text, source="s.md")
    assert info.value.source == "s.md"
    assert str(info.value).startswith(f"s.md:{info.value.line}: ")
    return info.value


def test_html_error_page() -> None:
    page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body></body>\n"
    assert error_of(page).line == 1


def test_html_page_is_refused_even_with_a_digest_inside() -> None:
    err = error_of("\n<!doctype html>\n" + BASIC)
    assert (err.line, err.problem) == (2, "an HTML page, not a digest")


@pytest.mark.parametrize(
    "text", ["", "   \n\n\t\n", "\ufeff", b"", b"\xef\xbb\xbf\r\n", b"\x00\x01\n", "\x7f \x1b"]
)
def test_empty(text: str | bytes) -> None:
    err = error_of(text)
    assert err.line == 1
    assert "empty" in err.problem


def test_binary_data_is_refused() -> None:
    err = error_of(bytes(range(256)) * 4)
    assert err.line == 1  # the first bad character, the NUL at offset 0
    assert err.problem == (
        "binary data, not text: 636 of 1024 characters are control characters or "
        "undecodable bytes"  # 32 C0 + DEL + 128 high bytes (0x80-0xff) - tab and LF = 159, x4
    )
    assert "binary data" in error_of(BASIC.encode("utf-16")).problem  # every other byte a NUL
    # too short to count as binary, and no header either
    png = error_of(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert png.problem == "no '## Daily Papers (date)' header: not a digest"


def test_a_few_control_characters_do_not_make_a_file_binary() -> None:
    # BASIC has 221 characters: 16 bad ones are few, 17 are more than 16 and 1 in 50
    text, warnings = technical(BASIC.replace("details.", "details." + "\x00" * 16))
    assert text == "details."
    (warning,) = warnings
    assert warning.line == 12
    assert warning.message.endswith("control character '\\x00' dropped; and 13 more")
    err = error_of(BASIC.replace("details.", "details." + "\x00" * 17))
    assert (err.line, err.problem.split(":")[0]) == (12, "binary data, not text")


def test_header_but_no_papers() -> None:
    err = error_of("\n\n## Daily Papers (2024-06-12)\n\n")
    assert err.line == 3
    assert err.problem == "a date header but no papers"


def test_header_and_only_papers_without_a_usable_link() -> None:
    err = error_of(doc(HEADER, "### [T](https://example.org/x)", "- 요약.", "### Untitled"))
    assert (err.line, err.problem) == (
        1,
        "a date header but no papers with a usable arXiv link (2 skipped)",
    )


def test_no_header_at_all() -> None:
    err = error_of("just some words\n" + heading() + "\n- 요약.\n")
    assert (err.line, err.problem) == (1, "no '## Daily Papers (date)' header: not a digest")


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("## Daily Papers (2024-13-01)", "not a date in header '## Daily Papers (2024-13-01)'"),
        ("## Daily Papers (2024-02-30)", "not a date in header '## Daily Papers (2024-02-30)'"),
        (
            "## Daily Papers (24-06-12)",
            "date header is not '## Daily Papers (YYYY-MM-DD)': '## Daily Papers (24-06-12)'",
        ),
        (
            "## Daily Papers 2024-06-12",
            "date header is not '## Daily Papers (YYYY-MM-DD)': '## Daily Papers 2024-06-12'",
        ),
        ("## Weekly Papers (2024-06-12)", "no '## Daily Papers (date)' header: not a digest"),
        ("# Daily Papers (2024-06-12)", "no '## Daily Papers (date)' header: not a digest"),
        ("#### Something", "no '## Daily Papers (date)' header: not a digest"),
    ],
)
def test_bad_headers(header: str, problem: str) -> None:
    err = error_of(doc(header, heading()))
    assert (err.line, err.problem) == (1, problem)


def test_a_bad_header_before_a_good_one_is_skipped() -> None:
    d = parse_digest("## Daily Papers (2024-13-45)\n" + BASIC)
    assert d.date == dt.date(2024, 6, 12)
    assert len(d.papers) == 1
    assert warnings_of(d) == [(1, "not a date in header '## Daily Papers (2024-13-45)': skipped")]


def test_hash_without_space_is_prose() -> None:
    d = parse_digest(BASIC + "#해시태그\n")
    assert d.papers[0].sections[-1].text == "details.\n#해시태그"
    assert d.warnings == ()


# -- repairs: each one a warning, never a refused day ------------------------------------
#
# BASIC, by line: 1 header, 3 heading, 5 image, 7 "Vote: 7", 9 "Authors: ...",
# 11 "- **What's New**: new things.", 12 "- **Technical Details**: details.", 13 and 14 blank.

LATEX_NOTE = " (LaTeX backslashes the generator's JSON decoding turned into control characters)"
MAGIC_MP4 = UPLOADS + "QPqDXcHNhksZaqkYOjZNQ.mp4"
CUT_SHORT = (
    "the text does not end with a line break and may be cut short: "
    "the last paper ({}) is kept with what it has"
)


def warnings_of(d: Digest) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in d.warnings]


def sample_lines(name: str) -> list[str]:
    """A real digest's lines, to change in memory (the file itself is never edited)."""
    return (DIGESTS / name).read_text(encoding="utf-8").split("\n")


def test_warning_format() -> None:
    warning = ParseWarning(8, "repeated 'Vote:' line: ignored, the first one (line 7) wins")
    assert warning.format("2024/06/12.md") == (
        "2024/06/12.md:8: repeated 'Vote:' line: ignored, the first one (line 7) wins"
    )


def test_bare_video_tag_is_the_papers_video() -> None:
    lines = sample_lines("2023/11/22.md")
    assert lines[4] == f"[Watch Video]({MAGIC_MP4})"
    assert lines[5].startswith("<div><video controls src=")
    lines[4:6] = [f"<video src='{MAGIC_MP4}'></video>"]  # the earliest era's media line
    d = parse_digest("\n".join(lines))
    magic = d.papers[0]
    assert (magic.media_kind, magic.media_url) == ("video", MAGIC_MP4)
    check_authors(magic, 9, "Di Chang", "Mohammad Soleymani")
    assert len(magic.sections[0].text.split("\n")) == 7
    assert sum(p.media_kind == "video" for p in d.papers) == 4
    assert d.warnings == ()  # a form of the grammar, not an oddity


def test_watch_video_link_without_parentheses() -> None:
    lines = sample_lines("2023/11/22.md")
    lines[4] = f"[Watch Video]{MAGIC_MP4}"
    d = parse_digest("\n".join(lines))
    magic = d.papers[0]
    assert (magic.media_kind, magic.media_url) == ("video", MAGIC_MP4)
    check_authors(magic, 9, "Di Chang", "Mohammad Soleymani")
    assert magic.sections[0].text.startswith("본 연구에서는 도전적인 인간 댄스 비디오에 대한")
    assert warnings_of(d) == [(5, "'[Watch Video]' link without parentheses: read as the video")]


def test_control_characters_of_latex_are_restored() -> None:
    lines = sample_lines("2024/06/12.md")
    assert lines[10].startswith("- **What's New**: 최근 이미지 생성 분야에서")
    lines[10] = lines[10].replace("최근 ", "최근 \x08ench와 \x0cramework, $a \x09imes b$, ", 1)
    lines[12] = lines[12].replace("TiTok는 ", "TiTok는 $\rho$ ", 1)
    d = parse_digest("\n".join(lines))
    titok = d.papers[0]
    assert section_text(titok, WHATS_NEW).startswith(
        r"최근 \bench와 \framework, $a \times b$, 이미지 생성 분야에서"
    )
    assert section_text(titok, TECHNICAL).startswith(r"TiTok는 $\rho$ ViT (Vision Transformer)")
    assert warnings_of(d) == [
        (
            11,
            r"backspace '\x08' before 'ench' read as '\bench'; "
            r"form feed '\x0c' before 'ramework' read as '\framework'; "
            r"tab before 'imes' read as '\times'" + LATEX_NOTE,
        ),
        (13, r"carriage return '\r' before 'ho' read as '\rho'" + LATEX_NOTE),
    ]


def test_more_than_three_repairs_on_a_line_are_counted() -> None:
    text, warnings = technical(BASIC.replace("details.", "\x08eta \x08eta \x08eta \x0crac"))
    assert text == r"\beta \beta \beta \frac"
    assert warnings == (
        ParseWarning(
            12,
            r"backspace '\x08' before 'eta' read as '\beta'; "
            r"backspace '\x08' before 'eta' read as '\beta'; "
            r"backspace '\x08' before 'eta' read as '\beta'; and 1 more" + LATEX_NOTE,
        ),
    )


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ("details.\tmore", "details.\tmore"),  # not before a LaTeX command: a tab
        ("details.\n\t- sub\n\text{x}", "details.\n\t- sub\n\text{x}"),  # indentation
        ("details. \x0c 끝 \x08", "details.  끝"),  # not before a letter: dropped
    ],
)
def test_control_characters_that_are_not_latex(details: str, expected: str) -> None:
    text, warnings = technical(BASIC.replace("details.", details))
    assert text == expected
    dropped = [w.message for w in warnings]
    if "\x0c" in details:
        assert dropped == [r"control character '\x0c' dropped; control character '\x08' dropped"]
    else:
        assert dropped == []


def test_repeated_vote_and_authors_lines_the_first_wins() -> None:
    lines = sample_lines("2024/06/12.md")
    assert (lines[6], lines[8]) == ("Vote: 52", "Authors: " + ", ".join(TITOK_AUTHORS))
    lines[7] = "Vote: 99"  # the blank lines between them
    lines[9] = "Authors: Someone Else"
    d = parse_digest("\n".join(lines))
    titok = d.papers[0]
    assert titok.votes == 52
    assert titok.authors == TITOK_AUTHORS
    assert [s.name for s in titok.sections] == THREE
    assert warnings_of(d) == [
        (8, "repeated 'Vote:' line: ignored, the first one (line 7) wins"),
        (10, "repeated 'Authors:' line: ignored, the first one (line 9) wins"),
    ]


TITOK_AUTHORS = (
    "Xueqing Deng",
    "Liang-Chieh Chen",
    "Mark Weber",
    "Daniel Cremers",
    "Xiaohui Shen",
    "Qihang Yu",
)


def test_a_lost_heading_leaves_the_next_papers_metadata_ignored() -> None:
    # Why the first line wins: when a heading is lost, the next paper's metadata lands in
    # this one, and the first line is the one that belongs to it.
    lines = sample_lines("2024/06/12.md")
    assert lines[16].startswith("### [The Prompt Report")
    lines[16] = ""
    d = parse_digest("\n".join(lines))
    assert len(d.papers) == 15
    titok = d.papers[0]
    assert (titok.votes, titok.authors, titok.media_url) == (
        52,
        TITOK_AUTHORS,
        THUMBS + "2406.07550.png",
    )
    assert [s.name for s in titok.sections] == THREE + THREE  # the lost paper's text is kept
    assert warnings_of(d) == [
        (19, "repeated media line: ignored, the first one (line 5) wins"),
        (21, "repeated 'Vote:' line: ignored, the first one (line 7) wins"),
        (23, "repeated 'Authors:' line: ignored, the first one (line 9) wins"),
    ]


@pytest.mark.parametrize(
    ("original", "second", "what", "line"),
    [
        ("Vote: 7", "Vote: 8", "'Vote:'", 7),
        ("Authors: Ada Lovelace, Alan Turing", "Authors: Someone", "'Authors:'", 9),
        ("![](https://example.org/t.png)", "[Watch Video](https://e/v.mp4)", "media", 5),
        ("![](https://example.org/t.png)", "![]()", "media", 5),
    ],
)
def test_repeated_metadata_the_first_wins(original: str, second: str, what: str, line: int) -> None:
    d = parse_digest(BASIC.replace(original, f"{original}\n{second}"))
    (p,) = d.papers
    assert (p.media_kind, p.media_url, p.votes, p.authors) == (
        "image",
        "https://example.org/t.png",
        7,
        ("Ada Lovelace", "Alan Turing"),
    )
    assert warnings_of(d) == [
        (line + 1, f"repeated {what} line: ignored, the first one (line {line}) wins")
    ]


NO_METADATA = doc(HEADER, heading(), "", "- **What's New**: new things.")


@pytest.mark.parametrize(
    ("extra", "what", "field", "value"),
    [
        ("Vote: 9", "'Vote:'", "votes", 9),
        ("Authors: X, +", "'Authors:'", "authors", ("X",)),
        ("![](https://example.org/u.png)", "media", "media_url", "https://example.org/u.png"),
        ("[Watch Video](https://e/v.mp4)", "media", "media_url", "https://e/v.mp4"),
    ],
)
def test_metadata_after_the_summary_is_used(
    extra: str, what: str, field: str, value: object
) -> None:
    d = parse_digest(NO_METADATA + extra + "\n- 계속.\n")
    (p,) = d.papers
    assert getattr(p, field) == value
    assert [(s.name, s.text) for s in p.sections] == [("What's New", "new things.\n- 계속.")]
    assert warnings_of(d) == [(5, f"{what} line after the paper's summary: used for the paper")]


def test_video_player_after_the_summary_gives_the_video() -> None:
    d = parse_digest(NO_METADATA + "<div><video src='https://e/v.mp4'></video></div>\n")
    (p,) = d.papers
    assert (p.media_kind, p.media_url) == ("video", "https://e/v.mp4")
    assert warnings_of(d) == [(5, "video player after the paper's summary: its video is used")]


def test_metadata_moved_below_the_summary_in_a_sample() -> None:
    lines = sample_lines("2024/06/12.md")
    assert lines[6] == "Vote: 52"
    lines[6] = ""
    lines[11] = "Vote: 52"  # the blank line after What's New
    d = parse_digest("\n".join(lines))
    titok = d.papers[0]
    assert titok.votes == 52
    assert titok.rank == 1
    assert [s.name for s in titok.sections] == THREE
    assert warnings_of(d) == [(12, "'Vote:' line after the paper's summary: used for the paper")]


def test_indented_heading_image_and_vote_lines() -> None:
    lines = sample_lines("2024/06/12.md")
    lines[2] = "  " + lines[2]
    lines[4] = "\t" + lines[4]
    lines[6] = "    " + lines[6]
    d = parse_digest("\n".join(lines))
    assert len(d.papers) == 16
    titok = d.papers[0]
    assert titok.arxiv_id == "2406.07550"
    assert titok.title == "An Image is Worth 32 Tokens for Reconstruction and Generation"
    assert (titok.media_kind, titok.media_url) == ("image", THUMBS + "2406.07550.png")
    assert titok.votes == 52
    assert warnings_of(d) == [
        (3, "indented heading line: read without its indentation"),
        (5, "indented image line: read without its indentation"),
        (7, "indented 'Vote:' line: read without its indentation"),
    ]


def test_indented_bullet_before_the_summary_is_a_bullet() -> None:
    d = parse_digest(doc(HEADER, heading(), "  - **What's New**: 새로움.", "  - 하위 항목"))
    (p,) = d.papers
    assert [(s.name, s.text) for s in p.sections] == [("What's New", "새로움.\n  - 하위 항목")]
    assert warnings_of(d) == [(3, "indented bullet before the paper's summary: read as a bullet")]


def test_truncated_last_paper_is_kept_with_what_it_has() -> None:
    text = (DIGESTS / "2025/05/09.md").read_text(encoding="utf-8")
    cut = text.index("CoT) 토큰이", text.index("### [Chain-of-Thought")) + len("CoT) 토큰이")
    d = parse_digest(text[:cut])
    assert len(d.papers) == 20
    cot = d.papers[-1]
    assert cot.arxiv_id == "2505.04955"
    assert cot.votes == 1
    check_authors(cot, 3, "Zhifang Sui", "Peiyi Wang")
    assert [(s.name, s.text) for s in cot.sections] == [
        (WHATS_NEW, "이 논문에서는 체인-오브-생각(Chain-of-Thought; CoT) 토큰이")
    ]
    assert warnings_of(d) == [(239, CUT_SHORT.format("2505.04955"))]


def test_text_cut_inside_the_last_heading_skips_that_paper() -> None:
    text = (DIGESTS / "2025/05/09.md").read_text(encoding="utf-8")
    cut = text.index("### [Chain-of-Thought") + len("### [Chain-of-Thought Tokens")
    d = parse_digest(text[:cut])
    assert len(d.papers) == 19
    assert d.papers[-1].arxiv_id != "2505.04955"
    assert warnings_of(d) == [
        (
            231,
            "paper heading without a usable arXiv abstract link: "
            "'### [Chain-of-Thought Tokens': the paper is skipped",
        )
    ]


def test_no_final_line_break_is_reported() -> None:
    d = parse_digest(BASIC.rstrip("\n"))
    assert d.papers == parse_digest(BASIC).papers
    assert warnings_of(d) == [(12, CUT_SHORT.format("2406.00001"))]


def test_html_after_a_paper_is_skipped() -> None:
    d = parse_digest(BASIC + "<html><body>oops</body></html>\n<5% 오류\n")
    assert section_text(d.papers[0], TECHNICAL) == "details.\n<5% 오류"  # "<5%" is text
    assert warnings_of(d) == [(14, "HTML line skipped: '<html><body>oops</body></html>'")]


def test_text_before_the_first_header_is_skipped() -> None:
    d = parse_digest("\nHello\n\nWorld\n" + BASIC)
    assert d.papers == parse_digest(BASIC).papers
    assert warnings_of(d) == [
        (2, "text before the first '## Daily Papers (date)' header: 2 lines skipped")
    ]


def test_paper_before_the_first_header_is_kept() -> None:
    early = heading("2406.00009", "Early")
    d = parse_digest(f"{early}\n- 먼저.\n{early}\n" + BASIC)
    assert d.date == dt.date(2024, 6, 12)
    assert [(p.arxiv_id, p.title) for p in d.papers] == [
        ("2406.00009", "Early"),
        ("2406.00001", "A Paper"),
    ]
    assert d.papers[0].sections[0].text == "먼저."
    assert warnings_of(d) == [(1, "paper before the first '## Daily Papers (date)' header: kept")]


def test_text_between_header_and_first_paper_is_skipped() -> None:
    d = parse_digest(doc(HEADER, "", "- a stray bullet", "Vote: 3", heading()))
    (p,) = d.papers
    assert (p.votes, p.sections) == (None, ())
    assert warnings_of(d) == [(3, "text between a date header and the next paper: 2 lines skipped")]


@pytest.mark.parametrize(
    "bad",
    [
        "### Not a link",
        "### [Title](https://example.org/abs/2406.00001)",
        "### [Title](https://arxiv.org/pdf/2406.00001)",
        "### [Title](https://arxiv.org/abs/not-an-id)",
        "### [Title]()",
        "### [Title](https://arxiv.org/abs/2406.0",
        "###",
    ],
)
def test_heading_without_a_usable_arxiv_link_skips_that_paper(bad: str) -> None:
    text = doc(
        HEADER, heading("2406.00009"), "- ok", bad, "Vote: 3", "- lost", "", heading("2406.00010")
    )
    d = parse_digest(text)
    assert [p.arxiv_id for p in d.papers] == ["2406.00009", "2406.00010"]
    first = d.papers[0]
    assert (first.votes, first.sections[0].text) == (None, "ok")  # nothing of the lost one
    assert warnings_of(d) == [
        (
            4,
            f"paper heading without a usable arXiv abstract link: {bad!r}: "
            "the paper is skipped with its 2 lines",
        )
    ]


@pytest.mark.parametrize(
    "line",
    [
        "### [Title](https://arxiv.org/abs/2406.00001) trailing",
        '### [Title](https://arxiv.org/abs/2406.00001 "tip")',
        "###\t[Title](https://arxiv.org/abs/2406.00001)",
    ],
)
def test_heading_with_more_than_the_link_keeps_the_paper(line: str) -> None:
    d = parse_digest(doc(HEADER, line, "- 요약."))
    (p,) = d.papers
    assert (p.arxiv_id, p.title, p.url) == (
        "2406.00001",
        "Title",
        "https://arxiv.org/abs/2406.00001",
    )
    assert p.sections[0].text == "요약."
    assert warnings_of(d) == [
        (
            2,
            "paper heading has more than '### [title](link)': read as the title 'Title' "
            "and the link 'https://arxiv.org/abs/2406.00001'",
        )
    ]


@pytest.mark.parametrize("title", ["", "   "])
def test_paper_with_no_title_is_named_by_its_arxiv_id(title: str) -> None:
    d = parse_digest(doc(HEADER, f"### [{title}](https://arxiv.org/abs/2406.00001)", "- 요약."))
    (p,) = d.papers
    assert (p.arxiv_id, p.title, p.sections[0].text) == ("2406.00001", "2406.00001", "요약.")
    assert warnings_of(d) == [
        (2, "paper heading with no title: its arXiv id 2406.00001 is the title")
    ]


def test_other_heading_inside_a_paper_is_skipped() -> None:
    d = parse_digest(BASIC + "## Notes\n계속.\n")
    assert section_text(d.papers[0], TECHNICAL) == "details.\n계속."
    assert warnings_of(d) == [(14, "unexpected heading '## Notes': skipped")]


def test_prose_before_the_summary_starts_it() -> None:
    d = parse_digest(doc(HEADER, heading(), "Vote: 3", "Some stray prose.", "- summary"))
    (p,) = d.papers
    assert p.votes == 3
    assert [(s.name, s.text) for s in p.sections] == [
        (SUMMARY_SECTION, "Some stray prose.\nsummary")
    ]
    assert warnings_of(d) == [
        (4, "text before the paper's summary: 'Some stray prose.': read as the start of it")
    ]


def test_warnings_are_in_line_order() -> None:
    lines = sample_lines("2024/06/12.md")
    lines[2] = " " + lines[2]  # parser warning, line 3
    lines[7] = "Vote: 1"  # parser warning, line 8
    lines[10] += "\x1b"  # a repair of the text, made before the lines are read: line 11
    lines[0] = "\x00" + lines[0]  # line 1
    d = parse_digest("\n".join(lines))
    assert [w.line for w in d.warnings] == [1, 3, 8, 11]
    assert d.date == dt.date(2024, 6, 12)
    assert d.papers[0].votes == 52
