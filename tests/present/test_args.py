"""Command arguments and callback data: pure parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from digestbot.errors import BadArgument
from digestbot.present import callbacks
from digestbot.present.args import (
    BadCommandArgument,
    Period,
    SubscribeRequest,
    TopRequest,
    date_in_digits,
    parse_date,
    parse_paper_ref,
    parse_search,
    parse_subscribe,
    parse_top,
)
from digestbot.present.i18n import t


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], TopRequest(10, Period("day", None))),
        (["5"], TopRequest(5, Period("day", None))),
        (["week"], TopRequest(10, Period("week", None))),
        (["3", "month"], TopRequest(3, Period("month", None))),
        (["2024-06-12", "20"], TopRequest(20, Period("day", dt.date(2024, 6, 12)))),
        (["WEEK"], TopRequest(10, Period("week", None))),
        (["주간"], TopRequest(10, Period("week", None))),
    ],
)
def test_top_arguments(args: list[str], expected: TopRequest) -> None:
    assert parse_top(args) == expected


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["0"], "arg.bad_count"),
        (["-3"], "arg.bad_count"),
        (["21"], "arg.bad_count"),
        (["2024-13-01"], "arg.bad_date"),
        (["yesterday"], "arg.bad_date"),
        (["5", "6"], "arg.too_many"),
        (["week", "month"], "arg.too_many"),
    ],
)
def test_bad_top_arguments(args: list[str], key: str) -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_top(args)
    assert info.value.key == key
    assert info.value.example.startswith("/top ")
    assert isinstance(info.value, BadArgument)


def test_period_days() -> None:
    end = dt.date(2025, 5, 9)
    assert Period("day").days(end) == (end, end)
    assert Period("week").days(end) == (dt.date(2025, 5, 3), end)
    assert Period("month").days(end) == (dt.date(2025, 4, 10), end)
    assert Period("week", dt.date(2024, 6, 12)).days(end) == (
        dt.date(2024, 6, 6),
        dt.date(2024, 6, 12),
    )


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("2502.11089", "2502.11089"),
        ("2502.11089v2", "2502.11089"),
        ("https://arxiv.org/abs/2502.11089", "2502.11089"),
        ("https://arxiv.org/pdf/2502.11089v1.pdf", "2502.11089"),
        ("huggingface.co/papers/2311.12983", "2311.12983"),
        ("arXiv:2502.11089", "2502.11089"),
        ("ARXIV:2502.11089v3", "2502.11089"),
        ("https://arxiv.org/abs/2502.11089v2", "2502.11089"),
        ("https://huggingface.co/papers/2502.11089", "2502.11089"),
        ("https://huggingface.co/papers/2502.11089?utm_source=x#comments", "2502.11089"),
        ("https://hf.co/papers/2502.11089/", "2502.11089"),
        ("http://export.arxiv.org/abs/2502.11089", "2502.11089"),
        ("https://arxiv.org/html/2502.11089v1", "2502.11089"),
        ("HTTPS://ARXIV.ORG/ABS/2502.11089", "2502.11089"),
        ("<https://arxiv.org/abs/2502.11089>", "2502.11089"),
        ("3", 3),
        ("12", 12),
    ],
)
def test_paper_reference(arg: str, expected: str | int) -> None:
    assert parse_paper_ref([arg]) == expected


@pytest.mark.parametrize(
    "arg",
    [
        "nonsense",
        "0",
        "2502",
        "-1",
        "1.5",
        "'; DROP TABLE papers;--",
        "arXiv:",
        "arxiv:nonsense",
        "https://example.com/abs/2502.11089",
        "https://arxiv.org/abs/2502.11089/extra",
    ],
)
def test_bad_paper_reference(arg: str) -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_paper_ref([arg])
    assert info.value.key == "arg.bad_paper"
    assert info.value.example == "/paper 2502.11089"


def test_paper_reference_with_a_space_after_the_arxiv_prefix() -> None:
    assert parse_paper_ref(["arXiv:", "2502.11089"]) == "2502.11089"


def test_paper_needs_exactly_one_argument() -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_paper_ref([])
    assert info.value.key == "arg.no_paper"
    with pytest.raises(BadCommandArgument):
        parse_paper_ref(["1", "2"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], SubscribeRequest()),
        (["7:30"], SubscribeRequest("07:30")),
        (["21:05", "3"], SubscribeRequest("21:05", 3)),
        (["10", "06:00"], SubscribeRequest("06:00", 10)),
        (["Europe/Berlin"], SubscribeRequest(timezone="Europe/Berlin")),
        (["america/new_york"], SubscribeRequest(timezone="America/New_York")),
        (["utc"], SubscribeRequest(timezone="UTC")),
        (["07:30", "5", "Europe/Berlin"], SubscribeRequest("07:30", 5, "Europe/Berlin")),
        (["Asia/Tokyo", "07:30", "5"], SubscribeRequest("07:30", 5, "Asia/Tokyo")),
        (["5", "asia/kolkata", "6:15"], SubscribeRequest("06:15", 5, "Asia/Kolkata")),
    ],
)
def test_subscribe_arguments(args: list[str], expected: SubscribeRequest) -> None:
    assert parse_subscribe(args) == expected


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["25:00"], "arg.bad_time"),
        (["8pm"], "arg.bad_time"),
        (["0"], "arg.bad_count"),
        (["99"], "arg.bad_count"),
        (["08:00", "5", "6"], "arg.too_many"),
        (["Mars/Olympus_Mons"], "arg.bad_timezone"),
        (["Seoul"], "arg.bad_timezone"),
        (["localtime"], "arg.bad_timezone"),
        (["Europe/Berlin", "UTC"], "arg.too_many"),
        (["08:00", "09:00"], "arg.too_many"),
        (["08:00", "5", "Asia/Seoul", "6"], "arg.too_many"),
    ],
)
def test_bad_subscribe_arguments(args: list[str], key: str) -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_subscribe(args)
    assert info.value.key == key


def test_a_bad_time_zone_is_explained_with_an_example() -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_subscribe(["08:00", "Mars/Olympus_Mons"])
    assert str(info.value.params["value"]) == "Mars/Olympus_Mons"
    assert info.value.example == "/subscribe 08:00 5 Asia/Seoul"


def test_search_words() -> None:
    assert parse_search("  diffusion \n models ") == "diffusion models"
    assert len(parse_search("x" * 10_000)) == 500
    with pytest.raises(BadCommandArgument) as info:
        parse_search("   ")
    assert info.value.key == "arg.no_query"


def test_messages_exist_in_both_languages() -> None:
    error = BadCommandArgument("arg.bad_date", "/top 2025-05-09", value="2025-99-99")
    assert str(error) == "2025-99-99 is not a date: use YYYY-MM-DD, week or month."
    assert t("ko", "arg.bad_date", value="x").startswith("x은(는) 날짜가 아닙니다")


def test_callback_data_round_trip_and_size() -> None:
    data = callbacks.top_data("month", dt.date(2025, 5, 9), 20, 12345)
    assert data == "t:m:20250509:20:12345"
    assert callbacks.parse_callback(data) == callbacks.TopCallback(
        "month", dt.date(2025, 5, 9), 20, 12345
    )
    assert callbacks.parse_callback(callbacks.search_data("AbC-_9xyz012", 7)) == (
        callbacks.SearchCallback("AbC-_9xyz012", 7)
    )
    assert callbacks.parse_callback("p:2502.11089") == callbacks.PaperCallback("2502.11089")
    assert callbacks.parse_callback("c:t:0800") == callbacks.SettingsCallback(
        callbacks.SettingsAction.TIME, "0800"
    )
    longest = callbacks.paper_data("x" * 32)
    assert len(longest.encode()) <= 64
    with pytest.raises(ValueError):
        callbacks.paper_data("x" * 70)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "t:q:20250509:5:0",
        "t:d:2025:5:0",
        "t:d:20250509:0:0",
        "s::1",
        "s:a b:1",
        "s:abc:-1",
        "s:" + "a" * 33 + ":1",
        "zz",
        "c:q:1",
    ],
)
def test_junk_callback_data(data: str) -> None:
    with pytest.raises(ValueError):
        callbacks.parse_callback(data)


def test_an_eight_digit_date_is_not_read_as_a_count() -> None:
    with pytest.raises(BadCommandArgument) as info:
        parse_top(["20250509"])
    assert (info.value.key, info.value.params["day"]) == ("arg.date_like", "2025-05-09")
    assert str(info.value) == "20250509 looks like a date: write 2025-05-09."
    assert info.value.example == "/top 2025-05-09"
    # eight digits that make no date are still a (bad) count
    with pytest.raises(BadCommandArgument) as info:
        parse_top(["20251399"])
    assert info.value.key == "arg.bad_count"


def test_date_in_digits() -> None:
    assert date_in_digits("20250509") == dt.date(2025, 5, 9)
    assert date_in_digits(" 20240229 ") == dt.date(2024, 2, 29)
    for value in ("20250230", "12345678", "2025050", "202505091", "-20250509", "2025-05-09"):
        assert date_in_digits(value) is None, value


def test_parse_date_names_its_explanation() -> None:
    assert parse_date("2025-05-09", "/top 2025-05-09") == dt.date(2025, 5, 9)
    with pytest.raises(BadCommandArgument) as info:
        parse_date("2025-02-30", "/ingest 2025-05-09", "arg.bad_day")
    assert (info.value.key, info.value.example) == ("arg.bad_day", "/ingest 2025-05-09")
    with pytest.raises(BadCommandArgument) as info:
        parse_date("soon", "/top 2025-05-09")
    assert info.value.key == "arg.bad_date"


def test_the_bookmark_similar_and_saved_callbacks_round_trip() -> None:
    assert callbacks.parse_callback(callbacks.bookmark_data("2505.04921")) == (
        callbacks.BookmarkCallback("2505.04921")
    )
    assert callbacks.parse_callback(callbacks.similar_data("hep-th/9901001")) == (
        callbacks.SimilarCallback("hep-th/9901001")
    )
    assert callbacks.parse_callback(callbacks.saved_data(3)) == callbacks.SavedCallback(3)
    assert callbacks.parse_callback(callbacks.unsave_data(2, "2505.04921v2")) == (
        callbacks.SavedCallback(2, "2505.04921v2")
    )


@pytest.mark.parametrize(
    "data",
    ["b:", "b:2505", "b:2505.04921:x", "r:<b>", "v:", "v:-1", "v:1:2", "v: 1", "u:1:",
     "u::2505.04921", "u:x:2505.04921", "p:", "p:x y", "p:../etc"],
)  # fmt: skip
def test_junk_paper_callback_data(data: str) -> None:
    with pytest.raises(ValueError):
        callbacks.parse_callback(data)


def test_saved_arguments() -> None:
    from digestbot.present.args import BadCommandArgument, parse_saved

    assert parse_saved([]) is False
    assert parse_saved(["BibTeX"]) is True
    with pytest.raises(BadCommandArgument):
        parse_saved(["csv"])
