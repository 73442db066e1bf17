"""Deep links into the bot's private chat: every arXiv id form reads back to itself, and
what these links never hold is refused."""

from __future__ import annotations

import urllib.parse

import pytest

from digestbot.present import deeplinks
from digestbot.present.callbacks import PaperCallback, SimilarCallback


def payload_of(link: str) -> str:
    split = urllib.parse.urlsplit(link)
    assert (split.scheme, split.netloc, split.path) == ("https", "t.me", "/digest_test_bot")
    [payload] = urllib.parse.parse_qs(split.query)["start"]
    return payload


@pytest.mark.parametrize(
    "arxiv_id", ["2505.04921", "2505.04921v3", "0704.0001", "hep-th/9901001", "math.GT/0309136"]
)
def test_every_arxiv_id_form_goes_through_a_payload_and_back(arxiv_id: str) -> None:
    paper = payload_of(deeplinks.paper_link("digest_test_bot", arxiv_id))
    similar = payload_of(deeplinks.similar_link("digest_test_bot", arxiv_id))
    assert deeplinks.PAYLOAD.fullmatch(paper) and deeplinks.PAYLOAD.fullmatch(similar)
    assert deeplinks.parse_start(paper) == PaperCallback(arxiv_id)
    assert deeplinks.parse_start(similar) == SimilarCallback(arxiv_id)
    assert paper != similar


def test_the_payload_is_readable() -> None:
    assert payload_of(deeplinks.paper_link("digest_test_bot", "2505.04921")) == "p-2505_04921"
    assert payload_of(deeplinks.similar_link("digest_test_bot", "hep-th/9901001")) == (
        "r-hep-th__9901001"
    )


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "p-",
        "p",
        "x-2505_04921",  # an unknown kind
        "p-2505.04921",  # a dot is not a payload character
        "p-2505_04921_",  # not an arXiv id
        "p-2505__04921",  # "/" where new-style ids have a dot
        "p-2505_04921 extra",
        "p-" + "1" * 70,
        "p-<b>",
        "P-2505_04921",
    ],
)
def test_what_the_links_never_hold_is_refused(payload: str) -> None:
    with pytest.raises(ValueError):
        deeplinks.parse_start(payload)


@pytest.mark.parametrize(
    ("username", "arxiv_id"),
    [("", "2505.04921"), ("a b", "2505.04921"), ("digest_test_bot", "not an id")],
)
def test_a_link_is_only_made_of_a_username_and_an_arxiv_id(username: str, arxiv_id: str) -> None:
    with pytest.raises(ValueError):
        deeplinks.paper_link(username, arxiv_id)
