"""parse_digest on the nine real digests and on small inline texts, one per drift rule.

The expectations about the real files were written by reading the files, not by saving
the parser's output.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digestbot.digest.model import SUMMARY_SECTION, Digest, Paper
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
    check_authors(mm1, 23, "Doug Kang", "Brandon McKinzie")
    assert mm1.authors[3] == "+"  # kept: it is what the file says
    assert [s.name for s in mm1.sections] == [SUMMARY_SECTION]
    assert mm1.sections[0].text.startswith("이 연구에서는 성능이 좋은 복합모달")
    assert mm1.sections[0].text.endswith("가능하다는 장점을 갖습니다.")

    glyph = d.papers[-1]
    assert glyph.arxiv_id == "2403.09622"
    assert glyph.title == "Glyph-ByT5: A Customized Text Encoder for Accurate Visual Text Rendering"
    assert glyph.votes == 5
    assert glyph.position == 14
    check_authors(glyph, 7, "Zhanhao Liang", "Ji Li")
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
    check_authors(jamba, 23, "Haim Rozenblum", "Ben Aviram")
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
        BASIC.rstrip("\n"),  # no final newline
    ]
    for variant in variants:
        assert parse_digest(variant, source="x") == expected


def test_undecodable_bytes_name_their_line() -> None:
    data = BASIC.encode().replace(b"details.", b"det\xffails.")
    with pytest.raises(DigestFormatError) as info:
        parse_digest(data, source="bad.md")
    assert info.value.source == "bad.md"
    assert info.value.line == 12
    assert "UTF-8" in info.value.problem


def test_binary_junk_is_rejected() -> None:
    junk = bytes(range(256)) * 4
    with pytest.raises(DigestFormatError) as info:
        parse_digest(junk)
    assert info.value.line == 2  # byte 0x80 comes after the b"\n" at offset 10
    with pytest.raises(DigestFormatError):
        parse_digest(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_control_character_in_otherwise_fine_text() -> None:
    text = BASIC.replace("details.", "det\x00ails.")
    with pytest.raises(DigestFormatError) as info:
        parse_digest(text)
    assert info.value.line == 12
    assert "binary character" in info.value.problem


def test_surrogate_escaped_bytes_in_text_are_junk() -> None:
    text = BASIC.encode().replace(b"details.", b"d\xffetails.").decode("utf-8", "surrogateescape")
    with pytest.raises(DigestFormatError) as info:
        parse_digest(text)
    assert info.value.line == 12


def test_lone_carriage_return_inside_a_line_is_junk() -> None:
    with pytest.raises(DigestFormatError) as info:
        parse_digest(BASIC.replace("details.", "det\rails."))
    assert info.value.line == 12


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


def test_bad_vote_is_an_error() -> None:
    with pytest.raises(DigestFormatError) as info:
        parse_digest(BASIC.replace("Vote: 7", "Vote: seven"))
    assert info.value.line == 7
    with pytest.raises(DigestFormatError):
        parse_digest(BASIC.replace("Vote: 7", "Vote: 1" + "0" * 5000))


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
        ("Authors: A, B, +, C", ("A", "B", "+", "C")),
        ("Authors: A,, B ,", ("A", "B")),
        ("Authors:", ()),
    ],
)
def test_authors(line: str, expected: tuple[str, ...]) -> None:
    (p,) = parse_digest(BASIC.replace("Authors: Ada Lovelace, Alan Turing", line)).papers
    assert p.authors == expected


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


def test_blocks_with_different_dates_are_an_error() -> None:
    lines = [
        *block("2024-10-18", ("2410.00001", "A", "1")),
        *block("2024-10-19", ("2410.00002", "B", "1")),
    ]
    with pytest.raises(DigestFormatError) as info:
        parse_digest(doc(*lines), source="two.md")
    assert info.value.line == lines.index("## Daily Papers (2024-10-19)") + 1
    assert "2024-10-19" in info.value.problem


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


def test_html_after_a_paper() -> None:
    err = error_of(BASIC + "<html><body>oops</body></html>\n")
    assert err.line == 14
    assert "HTML" in err.problem


@pytest.mark.parametrize("text", ["", "   \n\n\t\n", "\ufeff", b"", b"\xef\xbb\xbf\r\n"])
def test_empty(text: str | bytes) -> None:
    err = error_of(text)
    assert err.line == 1
    assert "empty" in err.problem


def test_header_but_no_papers() -> None:
    err = error_of("\n\n## Daily Papers (2024-06-12)\n\n")
    assert err.line == 3
    assert "no papers" in err.problem


def test_no_header_at_all() -> None:
    assert error_of("just some words\n").line == 1


def test_text_before_the_first_header() -> None:
    assert error_of("\nHello\n" + BASIC).line == 2


def test_paper_before_the_first_header() -> None:
    assert error_of("\n" + heading() + "\n" + BASIC).line == 2


def test_text_between_header_and_first_paper() -> None:
    assert error_of(doc(HEADER, "", "- a stray bullet", heading())).line == 3


@pytest.mark.parametrize(
    "bad",
    [
        "### Not a link",
        "### [Title](https://example.org/abs/2406.00001)",
        "### [Title](https://arxiv.org/pdf/2406.00001)",
        "### [Title](https://arxiv.org/abs/not-an-id)",
        "### [Title](https://arxiv.org/abs/2406.00001) trailing",
        "### [Title]()",
        '### [Title](https://arxiv.org/abs/2406.00001 "tip")',
    ],
)
def test_bad_paper_heading_names_its_line(bad: str) -> None:
    text = doc(HEADER, heading("2406.00009"), "- ok", bad, "- more")
    assert error_of(text).line == 4


@pytest.mark.parametrize("title", ["", "   "])
def test_paper_with_no_title(title: str) -> None:
    err = error_of(doc(HEADER, f"### [{title}](https://arxiv.org/abs/2406.00001)"))
    assert err.line == 2
    assert "no title" in err.problem


@pytest.mark.parametrize(
    "header",
    [
        "## Daily Papers (2024-13-01)",
        "## Daily Papers (2024-02-30)",
        "## Daily Papers (24-06-12)",
        "## Daily Papers 2024-06-12",
        "## Weekly Papers (2024-06-12)",
        "# Daily Papers (2024-06-12)",
        "#### Something",
    ],
)
def test_bad_headers(header: str) -> None:
    assert error_of(doc(header, heading())).line == 1


def test_bad_heading_inside_a_paper() -> None:
    assert error_of(BASIC + "## Notes\n").line == 14


def test_hash_without_space_is_prose() -> None:
    (p,) = parse_digest(BASIC + "#해시태그\n").papers
    assert p.sections[-1].text == "details.\n#해시태그"


def test_prose_before_the_summary_is_an_error() -> None:
    err = error_of(doc(HEADER, heading(), "Vote: 3", "Some stray prose.", "- summary"))
    assert err.line == 4


@pytest.mark.parametrize(
    "extra",
    ["Vote: 9", "Authors: X", "![](https://example.org/u.png)", "[Watch Video](https://e/v.mp4)"],
)
def test_metadata_after_the_summary_is_an_error(extra: str) -> None:
    assert error_of(BASIC + extra + "\n").line == 14


@pytest.mark.parametrize(
    ("original", "second"),
    [
        ("Vote: 7", "Vote: 8"),
        ("Authors: Ada Lovelace, Alan Turing", "Authors: Someone"),
        ("![](https://example.org/t.png)", "[Watch Video](https://e/v.mp4)"),
    ],
)
def test_repeated_metadata_is_an_error(original: str, second: str) -> None:
    err = error_of(BASIC.replace(original, f"{original}\n{second}"))
    assert "second" in err.problem
