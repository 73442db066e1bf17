"""/follow, /following (and its ✕ buttons), /unfollow, and /subscribe's cadence and
follows-only words, through the real bot against the local Bot API server."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from digestbot.store import models as m
from digestbot.store.db import session_factory
from tests.bot.conftest import ADMIN, GROUP, MEMBER, USER, Driver, buttons
from tests.bot.test_commands import one, subscription


async def follow_rows(engine: AsyncEngine, chat_id: int = USER) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(m.Follow.query, m.Follow.text)
            .where(m.Follow.chat_id == chat_id)
            .order_by(m.Follow.id)
        )
        return [(q, t) for q, t in rows.tuples()]


async def test_follow_list_remove_by_button_words_and_number(
    bot: Driver, engine: AsyncEngine
) -> None:
    assert one(await bot.send("/follow Diffusion  GPT-4o")) == (
        "📌 팔로우했습니다: “Diffusion GPT-4o” (1/20). 이 검색과 맞는 새 논문이 아침 알림에 "
        "함께 옵니다. 알림을 받으려면 /subscribe 하세요."
    )
    # the same follow in another order and case is the same follow
    assert one(await bot.send("/follow gpt-4O diffusion")) == (
        "이미 팔로우하고 있습니다: “Diffusion GPT-4o”. 목록은 /following 으로 볼 수 있습니다."
    )
    await bot.send("/follow 확산 모델")
    await bot.send("/follow author:Yann LeCun")
    assert await follow_rows(engine) == [
        ("diffusion gpt-4o", "Diffusion GPT-4o"),
        ("모델 확산", "확산 모델"),
        ("author:lecun yann", "author:Yann LeCun"),
    ]
    [listing] = await bot.send("/following")
    assert listing.text.startswith(
        "📌 <b>팔로우 목록</b> (3/20)\n1. Diffusion GPT-4o\n2. 확산 모델\n"
    )
    rows = await follow_rows(engine)
    data = [d for _, d in buttons(listing)]
    assert [text for text, _ in buttons(listing)][1] == "✕ 2. 확산 모델"
    assert all(d.startswith("f:x:") for d in data) and len(data) == 3
    # ✕ on the second: gone, and the list is edited in place
    answer, _ = await bot.press(listing, data[1])
    assert answer.text == "해제했습니다"
    assert await follow_rows(engine) == [rows[0], rows[2]]
    assert "확산" not in bot.current(listing)["text"]
    assert len(buttons(bot.current(listing))) == 2
    # a second press of the same (stale) button removes nothing
    answer, _ = await bot.press(listing, data[1], strict=False)
    assert answer.text == "이미 해제된 팔로우입니다"
    # by words (any spelling), then by number
    assert one(await bot.send("/unfollow gpt-4o DIFFUSION")) == (
        "팔로우를 해제했습니다: “Diffusion GPT-4o”."
    )
    assert one(await bot.send("/unfollow 1")) == "팔로우를 해제했습니다: “author:Yann LeCun”."
    assert await follow_rows(engine) == []
    assert one(await bot.send("/following")).startswith("팔로우한 검색이 없습니다.")


async def test_bad_follow_input_gets_one_friendly_line(bot: Driver, engine: AsyncEngine) -> None:
    assert one(await bot.send("/follow")) == (
        "팔로우할 단어를 적어 주세요. 예: <code>/follow diffusion</code>"
    )
    assert one(await bot.send("/follow " + "a" * 101)) == (
        "팔로우는 100자까지입니다 (101자). 예: <code>/follow diffusion</code>"
    )
    assert one(await bot.send("/follow !!! ???")) == (
        "!!! ???에는 검색할 단어가 없어 어떤 논문과도 맞지 않습니다. "
        "예: <code>/follow diffusion</code>"
    )
    for i in range(20):
        await bot.send(f"/follow word{i}")
    assert one(await bot.send("/follow one more")) == (
        "팔로우는 한 채팅에 20개까지입니다. /unfollow 로 하나를 지운 뒤 다시 해 주세요. "
        "예: <code>/unfollow 1</code>"
    )
    assert len(await follow_rows(engine)) == 20
    assert one(await bot.send("/unfollow 21")) == (
        "21번 팔로우가 없습니다 (팔로우 20개). /following 으로 목록을 보세요. "
        "예: <code>/unfollow 1</code>"
    )
    assert one(await bot.send("/unfollow nothing here")).startswith(
        "“nothing here”은(는) 팔로우 목록에 없습니다."
    )
    assert one(await bot.send("/unfollow")).startswith("해제할 팔로우의 번호나 단어를 적어 주세요.")
    assert len(await follow_rows(engine)) == 20
    # forged button data: answered silently, nothing removed
    [listing] = await bot.send("/following")
    for junk in ("f:x:0", "f:x:abc", "f:y:1", "f:x:1:2"):
        answer, replies = await bot.press(listing, junk, strict=False)
        assert answer.text is None and replies == []
    assert len(await follow_rows(engine)) == 20


async def test_in_groups_only_admins_change_follows(bot: Driver, engine: AsyncEngine) -> None:
    refused = one(await bot.send("/follow lego", chat_id=GROUP, user_id=MEMBER))
    assert refused == "이 그룹의 팔로우는 그룹 관리자만 바꿀 수 있습니다."
    assert await follow_rows(engine, GROUP) == []
    assert one(await bot.send("/follow lego", chat_id=GROUP, user_id=ADMIN)).startswith(
        "📌 팔로우했습니다: “lego” (1/20)."
    )
    # anyone may look; only admins may press ✕ or /unfollow
    [listing] = await bot.send("/following", chat_id=GROUP, user_id=MEMBER)
    [(_, data)] = buttons(listing)
    answer, _ = await bot.press(listing, data, user_id=MEMBER)
    assert answer.text == "이 그룹의 팔로우는 그룹 관리자만 바꿀 수 있습니다." and answer.show_alert
    assert one(await bot.send("/unfollow 1", chat_id=GROUP, user_id=MEMBER)).startswith(
        "이 그룹의 팔로우는"
    )
    assert await follow_rows(engine, GROUP) == [("lego", "lego")]
    answer, _ = await bot.press(listing, data, user_id=ADMIN)
    assert answer.text == "해제했습니다"
    assert await follow_rows(engine, GROUP) == []


async def test_subscribe_cadence_and_follows_only_words_in_any_order(
    bot: Driver, engine: AsyncEngine
) -> None:
    assert one(await bot.send("/subscribe weekly 07:30 3")) == (
        "✅ 구독했습니다: 매주 월요일 07:30 (Asia/Seoul)에 지난주 상위 3편을 보내 드립니다."
    )
    sub = await subscription(engine, USER)
    assert (sub.cadence, sub.push_time, sub.top_n, sub.follows_only) == (
        "weekly",
        "07:30",
        3,
        False,
    )
    assert one(await bot.send("/subscribe follows UTC both")) == (
        "✅ 구독했습니다: 매일 07:30 (UTC)에 상위 3편을, 매주 월요일에는 지난주 상위 3편도 "
        "보내 드립니다.\n📌 아침 알림에는 팔로우한 논문만 옵니다 "
        "(맞는 논문이 없는 날은 보내지 않습니다)."
    )
    sub = await subscription(engine, USER)
    assert (sub.cadence, sub.timezone, sub.follows_only) == ("both", "UTC", True)
    await bot.send("/subscribe daily top")
    sub = await subscription(engine, USER)
    assert (sub.cadence, sub.follows_only, sub.top_n) == ("daily", False, 3)
    assert one(await bot.send("/subscribe weekly daily")).startswith("인자가 너무 많습니다: daily")


async def test_settings_cadence_and_follows_only(bot: Driver, engine: AsyncEngine) -> None:
    [message] = await bot.send("/settings")
    await bot.press(message, "c:m:cad")
    assert ("매주 월요일 (지난주 상위)", "c:w:weekly") in buttons(bot.current(message))
    answer, _ = await bot.press(message, "c:w:weekly")
    assert answer.text == "저장했습니다"
    assert ("✓ 매주 월요일 (지난주 상위)", "c:w:weekly") in buttons(bot.current(message))
    await bot.press(message, "c:m:main")
    await bot.press(message, "c:o:1")
    assert "팔로우한 논문만: 켜짐" in bot.current(message)["text"]
    assert ("✓ 📌 팔로우만", "c:o:0") in buttons(bot.current(message))
    sub = await subscription(engine, USER)
    assert (sub.cadence, sub.follows_only) == ("weekly", True)
    await bot.press(message, "c:w:monthly", strict=False)  # junk: nothing changes
    assert (await subscription(engine, USER)).cadence == "weekly"
