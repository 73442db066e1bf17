"""The pure parts of ``digestbot.services.answers``."""

from __future__ import annotations

from digestbot.services.subscriptions import toggled_sections


def test_toggling_a_section_in_any_spelling() -> None:
    assert toggled_sections([], "Summary") == ["Summary"]
    assert toggled_sections(["Summary"], "What's New") == ["What's New", "Summary"]
    # stored with a curly apostrophe (the archive has both): the straight one removes it
    assert toggled_sections(["What\u2019s New", "Summary"], "What's New") == ["Summary"]
    # and never lists one section twice
    assert toggled_sections(["What\u2019s New", "What's New"], "Summary") == [
        "What's New",
        "Summary",
    ]
    assert toggled_sections(["Zeta", "Alpha"], "Technical Details") == [
        "Technical Details",
        "Alpha",
        "Zeta",
    ]
