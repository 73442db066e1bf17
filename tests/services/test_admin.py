"""Admin argument parsing (``digestbot.services.admin``): pure, no network."""

from __future__ import annotations

import datetime as dt

import pytest

from digestbot.present.args import (
    ALL,
    BadCommandArgument,
    RepostRequest,
    parse_ingest,
    parse_repost,
)

TODAY = dt.date(2025, 5, 10)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], RepostRequest()),
        (["2025-05-09"], RepostRequest(dt.date(2025, 5, 9))),
        (["all"], RepostRequest(None, ALL)),
        (["2025-05-09", "-1001234567890"], RepostRequest(dt.date(2025, 5, 9), -1001234567890)),
        (["@papers_ko"], RepostRequest(None, "@papers_ko")),
        (["12345678"], RepostRequest(None, 12345678)),  # no date: a chat id
        # the date is given, so eight digits can only be the chat
        (["2025-05-09", "20250509"], RepostRequest(dt.date(2025, 5, 9), 20250509)),
    ],
)
def test_repost_arguments(args: list[str], expected: RepostRequest) -> None:
    assert parse_repost(args) == expected


def test_repost_of_a_date_without_dashes_is_explained_not_queued_to_a_chat() -> None:
    for args in (["20250509"], ["20250509", "all"]):
        with pytest.raises(BadCommandArgument) as info:
            parse_repost(args)
        assert info.value.key == "arg.date_like"
        assert str(info.value) == "20250509 looks like a date: write 2025-05-09."
        assert info.value.example == "/repost 2025-05-09"


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["2025-13-01"], "arg.bad_day"),
        (["everyone"], "arg.bad_chat"),
        (["all", "all"], "arg.too_many"),
    ],
)
def test_bad_repost_arguments(args: list[str], key: str) -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_repost(args)
    assert info.value.key == key


def test_ingest_arguments() -> None:
    assert parse_ingest([], TODAY) == TODAY
    assert parse_ingest(["2025-05-09"], TODAY) == dt.date(2025, 5, 9)
    with pytest.raises(BadCommandArgument) as info:
        parse_ingest(["yesterday"], TODAY)
    assert (info.value.key, info.value.example) == ("arg.bad_day", "/ingest 2025-05-09")
    assert str(info.value) == "yesterday is not a date: use YYYY-MM-DD."
    with pytest.raises(BadCommandArgument) as info:
        parse_ingest(["2025-05-09", "x" * 50], TODAY)
    assert info.value.params["value"] == "x" * 39 + "…"
