"""Search ids kept in memory and the /settings keyboard: pure, no network."""

from __future__ import annotations

import re

from digestbot.bot import keyboards
from digestbot.bot.memory import QueryMemory
from digestbot.present import callbacks
from digestbot.services.subscriptions import SECTION_CHOICES, SubscriptionView


def test_search_ids_differ_between_processes_and_are_not_counters() -> None:
    # two processes (or a restart): each starts with an empty memory
    first, second = QueryMemory(), QueryMemory()
    mine = first.remember("diffusion")
    theirs = second.remember("private query")
    assert mine != theirs
    assert second.recall(mine) is None  # an old button never recalls another's query
    assert first.recall(mine) == "diffusion"
    ids = {first.remember(f"q{i}") for i in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{12}", i) for i in ids)
    assert not any(i.isdigit() for i in ids)
    for query_id in ids:
        data = callbacks.search_data(query_id, 9999)
        assert len(data.encode()) <= 64
        assert callbacks.parse_callback(data) == callbacks.SearchCallback(query_id, 9999)


def test_memory_forgets_the_oldest() -> None:
    memory = QueryMemory(capacity=2)
    a, b, c = memory.remember("a"), memory.remember("b"), memory.remember("c")
    assert (memory.recall(a), memory.recall(b), memory.recall(c)) == (None, "b", "c")


def test_a_curly_stored_section_is_ticked_once() -> None:
    sub = SubscriptionView(True, "08:00", "Asia/Seoul", 5, ("What\u2019s New",))
    markup = keyboards.settings_keyboard(callbacks.SettingsMenu.SECTIONS, sub, "en")
    labels = [b.text for row in markup.inline_keyboard for b in row][: len(SECTION_CHOICES)]
    assert labels == [
        "✓ What's New",
        "· Technical Details",
        "· Performance Highlights",
        "· Summary",
    ]
