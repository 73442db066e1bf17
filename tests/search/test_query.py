"""The pure search semantics: query parsing, the brute-force matcher, index tokens,
match expressions and the ranking key. No database."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from digestbot.search.query import MAX_TERMS, Term, parse_query
from digestbot.search.reference import matches, matches_head
from digestbot.search.tokens import (
    SEPARATOR,
    encode_word,
    field_tokens,
    fields_tokens,
    fts5_expression,
    paper_id_of,
    sort_key,
    tsquery_expression,
    tsvector_literal,
)


def test_parse_query_terms() -> None:
    assert parse_query("DiT").terms == (Term(False, ("dit",)),)
    assert parse_query("GPT-4o").terms == (Term(False, ("gpt", "4o")),)
    assert parse_query("LLM을 모델").words == ("llm", "을", "모델")
    assert parse_query("ＧＰＴ").words == ("gpt",)  # NFKC: full-width letters
    assert parse_query("Straße").words == ("strasse",)  # case-folding
    assert parse_query("모델 모델 MODEL model").words == ("모델", "model")
    assert parse_query("a모델b").words == ("a", "모델", "b")


def test_hostile_queries_parse_to_plain_words() -> None:
    q = parse_query('" * NEAR ( ) OR AND -- ; DROP TABLE papers;')
    assert q.words == ("near", "or", "and", "drop", "table", "papers")
    assert not parse_query("🤖 😀 \" ' * ( ) -- ;")
    assert parse_query("").terms == ()
    long = parse_query("word " * 5000)
    assert long.words == ("word",)
    many = parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(many.terms) == MAX_TERMS
    assert len(parse_query("가" * 10_000).terms[0].parts[0]) == 256


def test_latin_words_match_as_word_or_prefix() -> None:
    dit = parse_query("DiT")
    assert matches(dit, ["DiT-XL/2 모델"])
    assert matches(dit, ["DiTs"])
    assert matches(dit, ["LDM 및 DiT와"])
    assert not matches(dit, ["Video Editing", "edit"])
    assert not matches(dit, ["VDiT"])
    assert matches(parse_query("3D"), ["3D Gaussian"])
    assert not matches(parse_query("3D"), ["13D"])
    assert matches(parse_query("o1"), ["OpenAI o1-preview"])


def test_latin_phrases() -> None:
    gpt4o = parse_query("GPT-4o")
    assert matches(gpt4o, ["GPT-4o"])
    assert matches(gpt4o, ["GPT 4o-mini"])
    assert not matches(gpt4o, ["GPT-4 and 4o"])
    assert not matches(gpt4o, ["ChatGPT-4o"])
    assert not matches(gpt4o, ["GPT모델4o"])  # a Hangul run breaks the sequence
    assert not matches(gpt4o, ["about GPT", "4o again"])  # never across fields


def test_korean_terms_match_as_substrings() -> None:
    assert matches(parse_query("모델"), ["대형 언어모델을 학습"])
    assert matches(parse_query("델"), ["모델을"])
    assert matches(parse_query("모델을"), ["언어모델을"])
    assert not matches(parse_query("모델을"), ["모델 을"])
    assert not matches(parse_query("모델"), ["모 델"])


def test_terms_are_anded_across_fields() -> None:
    q = parse_query("Sapiens 사람")
    assert matches(q, ["Sapiens: Foundation", "사람 중심의 모델"])
    assert not matches(q, ["Sapiens: Foundation", "동물"])
    assert not matches(parse_query("!!!"), ["anything"])
    assert matches_head(parse_query("shunyu yao"), "A Survey", ["Xun Liang", "Shunyu Yao"])
    assert not matches_head(parse_query("survey 모델"), "A Survey", ["Xun Liang"])


def test_index_tokens() -> None:
    assert field_tokens("모델을 학습") == ["모델", "델을", "을", "학습", "습"]
    assert field_tokens("GPT-4o 모델") == ["gpt", "4o", "모델", "델"]
    assert field_tokens("zoo Über") == ["zzoo", "zfczber"]
    assert fields_tokens(["a b", "c"]) == ["a", "b", SEPARATOR, "c"]
    assert encode_word("é") == "ze9z"


@given(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8))
def test_encoding_keeps_exactly_the_prefixes(a: str, b: str) -> None:
    assert encode_word(b).startswith(encode_word(a)) == b.startswith(a)


def test_match_expressions() -> None:
    q = parse_query('모 모델 데이터셋 GPT-4o "zeta"')
    assert fts5_expression(q) == (
        '"모"* AND "모델" AND "데이 이터 터셋" AND "gpt 4o"* AND "zzeta"*'
    )
    assert tsquery_expression(q) == (
        "'모':* & '모델':* & '데이터셋':* & ('gpt' <-> '4o':*) & ('zzeta':*)"
    )


def test_tsvector_literal() -> None:
    # gpt at 1, the run 모델 takes 2, gpt at 3, the field boundary 4, a at 5
    assert tsvector_literal(["GPT 모델 GPT", "a"]) == "'gpt':1,3 'a':5 '델' '모델'"


def test_sort_key_orders_votes_then_day_then_id() -> None:
    day, older = dt.date(2025, 5, 9), dt.date(2024, 1, 1)
    ordered = [
        sort_key(7, 300, older),
        sort_key(3, 10, day),
        sort_key(2, 10, older),
        sort_key(5, 10, older),
        sort_key(1, 0, day),
        sort_key(4, None, day),
        sort_key(6, None, None),
    ]
    assert ordered == sorted(ordered)
    assert paper_id_of(sort_key(12345, 3, day)) == 12345
    assert sort_key(2**23 - 1, 0, None) < 2**63
