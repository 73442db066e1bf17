"""Admin commands through the fake Bot API: refusals, /repost (one chat, all with a
confirmation button), /broadcast, /ingest, /stats, alerts; and the CLI's repost/stats."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import TypeHandler
from typer.testing import CliRunner

from digestbot.bot.app import build_application, running
from digestbot.cli.app import app as cli
from digestbot.delivery.outbox import NewDelivery, add_deliveries
from digestbot.store import models as m
from digestbot.store.db import session_factory
from digestbot.store.models import DeliveryKind
from tests.bot.conftest import ADMIN, GROUP, USER, Driver, bot_settings, buttons
from tests.conftest import DIGESTS, FAST_LIMITS
from tests.support.botapi import TOKEN, FakeBotAPI, SentMessage
from tests.support.digest_server import DigestServer

BOSS = 3001  # in DIGESTBOT_ADMINS
BOSS2 = 3002  # also an admin
FAST = FAST_LIMITS
REFUSED = "이 명령어는 봇 관리자만 쓸 수 있습니다."


@pytest.fixture
async def admin_bot(botapi: FakeBotAPI, db_url: str, archive: AsyncEngine) -> AsyncIterator[Driver]:
    botapi.add_user(BOSS, "Boss", "boss")
    botapi.add_user(BOSS2, "Boss Two", "boss2")
    async with admin_driver(botapi, db_url, admins=f"{BOSS},{BOSS2}") as driver:
        yield driver
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def admin_driver(botapi: FakeBotAPI, db_url: str, **overrides: Any) -> AsyncIterator[Driver]:
    """A running bot for admin tests; no scheduled ingest while the test runs (its runs
    would change /stats)."""
    values: dict[str, Any] = {"ingest_time": "00:00", "ingest_cutoff": "00:00", **FAST}
    app = build_application(bot_settings(botapi, db_url, **{**values, **overrides}))
    driver = Driver(botapi, app)
    app.add_handler(TypeHandler(Update, driver._count_handled), group=99)
    async with running(app, poll_interval=0.0, poll_timeout=1):
        yield driver


def one(replies: list[SentMessage]) -> SentMessage:
    assert len(replies) == 1, [r.text[:80] for r in replies]
    return replies[0]


async def kinds(engine: AsyncEngine, kind: str) -> list[tuple[int, int, str]]:
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(m.Delivery.chat_id, m.Delivery.thread_id, m.Delivery.dedupe_key)
            .where(m.Delivery.kind == kind)
            .order_by(m.Delivery.id)
        )
        return [(c, t, k) for c, t, k in rows.tuples()]


async def test_everyone_else_is_refused_and_told_why(admin_bot: Driver) -> None:
    for command in ("/stats", "/repost all", "/ingest", "/broadcast hello"):
        assert one(await admin_bot.send(command)).text == REFUSED, command
    # a group administrator is not a bot admin either
    assert one(await admin_bot.send("/stats", chat_id=GROUP, user_id=ADMIN)).text == REFUSED
    assert admin_bot.server.calls("sendMessage")[-1].params["chat_id"] == GROUP


async def test_repost_to_one_chat_sends_at_once_and_again_when_asked_again(
    admin_bot: Driver, archive: AsyncEngine
) -> None:
    reply = one(await admin_bot.send(f"/repost 2025-02-19 {USER}", chat_id=BOSS))
    assert reply.text == "🔁 2025-02-19 다이제스트를 1곳에 보내도록 대기열에 넣었습니다."
    first = (await admin_bot.server.wait_for_messages(USER, 1))[0]  # more parts may follow
    header = "📰 <b>Daily Papers 2025-02-19</b> · 상위 5/68편\n\n"
    assert first.text.startswith(header)
    one(await admin_bot.send(f"/repost 2025-02-19 {USER}", chat_id=BOSS))
    await admin_bot.server.wait_for(
        lambda: len([s for s in admin_bot.server.sent_to(USER) if s.text.startswith(header)]) == 2
    )
    # no chat named: the admin's own chat, newest digest
    here = (await admin_bot.send("/repost", chat_id=BOSS))[0]  # the push may follow at once
    assert here.text == "🔁 2025-05-09 다이제스트를 1곳에 보내도록 대기열에 넣었습니다."
    await admin_bot.server.wait_for(
        lambda: [
            s
            for s in admin_bot.server.sent_to(BOSS)
            if s.text.startswith("📰 <b>Daily Papers 2025-05-09</b> · 상위 5/20편")
        ]
    )
    assert [(c, t) for c, t, _ in await kinds(archive, "repost")] == [
        (USER, 0),
        (USER, 0),
        (BOSS, 0),
    ]


async def test_repost_arguments_are_checked(admin_bot: Driver) -> None:
    cases = {
        "/repost 2025-13-01": (
            "2025-13-01은(는) 날짜가 아닙니다. YYYY-MM-DD 형식으로 쓰세요. "
            "예: <code>/repost 2025-05-09 all</code>"
        ),
        "/repost everyone": (
            "everyone은(는) 채팅 id(숫자), @채널, all 중 어느 것도 아닙니다. "
            "예: <code>/repost 2025-05-09 all</code>"
        ),
        "/repost 2024-01-01 all": (
            "2024-01-01에 저장된 다이제스트가 없습니다. 먼저 /ingest 2024-01-01 를 해 보세요."
        ),
        "/broadcast": (
            "보낼 메시지를 입력해 주세요. 예: <code>/broadcast 오늘은 점검이 있습니다</code>"
        ),
    }
    for command, expected in cases.items():
        assert one(await admin_bot.send(command, chat_id=BOSS)).text == expected, command


async def test_repost_to_all_waits_for_the_button_and_sends_once(
    admin_bot: Driver, archive: AsyncEngine
) -> None:
    await admin_bot.send("/subscribe")
    await admin_bot.send("/subscribe", chat_id=GROUP, user_id=ADMIN)
    before_user = len(admin_bot.server.sent_to(USER))
    before_group = len(admin_bot.server.sent_to(GROUP))

    ask = one(await admin_bot.send("/repost 2025-02-19 all", chat_id=BOSS))
    assert ask.text == "🔁 2025-02-19 다이제스트를 구독 2곳 모두에 다시 보낼까요?"
    [(send_label, ok), (cancel_label, no)] = buttons(ask)
    assert (send_label, cancel_label) == ("✅ 보내기", "✖ 취소")
    assert re.fullmatch(r"a:ok:[0-9a-f]{12}", ok) and no == "a:no:" + ok[5:]
    await asyncio.sleep(0.2)
    assert await kinds(archive, "repost") == []  # nothing before the press

    refused, _ = await admin_bot.press(ask, ok, user_id=USER)  # not an admin
    assert (refused.text, refused.show_alert) == (REFUSED, True)
    _, edits = await admin_bot.press(ask, ok)
    assert admin_bot.current(ask)["text"] == (
        "🔁 2025-02-19 다이제스트를 2곳에 보내도록 대기열에 넣었습니다."
    )
    assert [e.method for e in edits] == ["editMessageText"]
    user_push = (await admin_bot.server.wait_for_messages(USER, before_user + 1))[-1]
    group_push = (await admin_bot.server.wait_for_messages(GROUP, before_group + 1))[-1]
    for pushed in (user_push, group_push):
        assert pushed.text.startswith("📰 <b>Daily Papers 2025-02-19</b>")

    # pressed again (a stale client still showing the button)
    admin_bot._queued += 1
    query_id = admin_bot.server.press_button(BOSS, BOSS2, ask.message_id, ok, strict=False)
    await admin_bot.settle()
    again = await admin_bot.server.wait_for_answer(query_id)
    assert again.text == "이 확인 요청은 만료되었거나 이미 처리되었습니다."
    await asyncio.sleep(0.2)
    assert sorted((c, t) for c, t, _ in await kinds(archive, "repost")) == [(GROUP, 0), (USER, 0)]


async def test_broadcast_with_confirmation_and_cancel(
    admin_bot: Driver, archive: AsyncEngine
) -> None:
    await admin_bot.send("/subscribe")
    await admin_bot.send("/subscribe", chat_id=GROUP, user_id=ADMIN)
    before = len(admin_bot.server.sent_to(USER))

    ask = one(await admin_bot.send("/broadcast 점검 안내 <b>&", chat_id=BOSS))
    assert ask.text == "📣 아래 메시지를 구독 2곳 모두에 보낼까요?\n\n점검 안내 &lt;b&gt;&amp;"
    _, no = buttons(ask)[1]
    await admin_bot.press(ask, no)
    assert admin_bot.current(ask)["text"] == "취소했습니다."
    await asyncio.sleep(0.2)
    assert await kinds(archive, "broadcast") == []

    ask = one(await admin_bot.send("/broadcast 내일 09:00 점검\n두 번째 줄", chat_id=BOSS))
    _, ok = buttons(ask)[0]
    await admin_bot.press(ask, ok)
    assert admin_bot.current(ask)["text"] == "📣 메시지를 2곳에 보내도록 대기열에 넣었습니다."
    got = (await admin_bot.server.wait_for_messages(USER, before + 1))[-1]
    assert got.text == "내일 09:00 점검\n두 번째 줄"
    group = await admin_bot.server.wait_for(
        lambda: [s for s in admin_bot.server.sent_to(GROUP) if s.text.startswith("내일 09:00")]
    )
    assert len(group) == 1


async def ingest(driver: Driver, command: str) -> tuple[str, str]:
    """/ingest: the reply at once, then the outcome when the background fetch is done."""
    before = len(driver.server.sent_to(BOSS))
    await driver.send(command, chat_id=BOSS)  # a fast source may be done already
    sent = await driver.server.wait_for_messages(BOSS, before + 2)
    assert len(sent) == before + 2, [s.text[:40] for s in sent[before:]]
    return sent[before].text, sent[before + 1].text


async def test_ingest_now(admin_bot: Driver) -> None:
    started, stored = await ingest(admin_bot, "/ingest 2025-05-09")
    assert started == "⏳ 2025-05-09: 다이제스트를 가져오는 중입니다. 끝나면 알려 드립니다."
    assert stored == "📥 2025-05-09: 논문 20편을 저장했습니다."
    _, missing = await ingest(admin_bot, "/ingest 2024-03-16")
    assert missing.startswith("📭 2024-03-16: 아직 다이제스트가 없습니다 (no digest: ")
    bad = one(await admin_bot.send("/ingest yesterday", chat_id=BOSS))
    assert bad.text == (
        "yesterday은(는) 날짜가 아닙니다. YYYY-MM-DD 형식으로 쓰세요. "
        "예: <code>/ingest 2025-05-09</code>"
    )


async def test_a_slow_ingest_does_not_hold_up_other_users(
    botapi: FakeBotAPI, db_url: str, archive: AsyncEngine
) -> None:
    with DigestServer(DIGESTS) as source:
        source.delay = 1.5  # every answer of the digest server takes this long
        settings = bot_settings(
            botapi,
            db_url,
            admins=str(BOSS),
            source=source.url + "/{YYYY}/{MM}/{DD}.md",
            source_retries=0,
            ingest_time="00:00",
            ingest_cutoff="00:00",
            **FAST,
        )
        app = build_application(settings)
        driver = Driver(botapi, app)
        app.add_handler(TypeHandler(Update, driver._count_handled), group=99)
        async with running(app, poll_interval=0.0, poll_timeout=1):
            driver._queued += 1
            botapi.send_text(BOSS, BOSS, "/ingest 2025-05-09")
            helped = one(await driver.send("/help"))  # another user, right after
            assert helped.text.startswith("<b>Hugging Face Daily Papers 한국어 요약 봇</b>")
            # /help was answered while the fetch was still under way
            assert [s.text for s in botapi.sent_to(BOSS)] == [
                "⏳ 2025-05-09: 다이제스트를 가져오는 중입니다. 끝나면 알려 드립니다."
            ]
            done = await botapi.wait_for_messages(BOSS, 2)
            assert done[1].text == "📥 2025-05-09: 논문 20편을 저장했습니다."
            assert done[1].at - helped.at >= 1.0
            assert source.requests["2025/05/09.md"] == 1


async def test_repost_of_eight_digits_that_make_a_date_is_explained(
    admin_bot: Driver, archive: AsyncEngine
) -> None:
    reply = one(await admin_bot.send("/repost 20250509", chat_id=BOSS))
    assert reply.text == (
        "20250509은(는) 날짜처럼 보입니다. 날짜는 2025-05-09처럼 쓰세요. "
        "예: <code>/repost 2025-05-09</code>"
    )
    await asyncio.sleep(0.2)
    assert await kinds(archive, "repost") == []


async def test_the_outcome_reaches_the_admin_when_the_confirmation_cannot_be_edited(
    admin_bot: Driver, archive: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await admin_bot.send("/subscribe")
    ask = one(await admin_bot.send("/repost 2025-02-19 all", chat_id=BOSS))
    _, ok = buttons(ask)[0]
    admin_bot.server.fail_next("editMessageText", 1, 400, "Bad Request: message can't be edited")
    _, sent = await admin_bot.press(ask, ok)
    assert [(s.method, s.text) for s in sent] == [
        ("sendMessage", "🔁 2025-02-19 다이제스트를 1곳에 보내도록 대기열에 넣었습니다.")
    ]
    assert admin_bot.current(ask)["text"].startswith("🔁 2025-02-19 다이제스트를 구독 1곳")
    warned = [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("message can't be edited" in r.getMessage().lower() for r in warned)
    assert [c for c, _, _ in await kinds(archive, "repost")] == [USER]


async def seed_stats(engine: AsyncEngine) -> None:
    """Three chats besides the admin's: one subscribed, one stopped, one that blocked the
    bot; deliveries made today (sent, pending, sending, failed) and one yesterday."""
    sessions = session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(days=1)
    async with sessions.begin() as session:
        session.add_all(
            [
                m.Chat(id=5001, type="private", title="a"),
                m.Chat(id=5002, type="private", title="b"),
                m.Chat(id=5003, type="private", title="c", active=False, inactive_reason="x"),
            ]
        )
        await session.flush()
        session.add_all(
            [
                m.Subscription(chat_id=5001, thread_id=0),
                m.Subscription(chat_id=5002, thread_id=0, active=False),
                m.Subscription(chat_id=5003, thread_id=0),
            ]
        )
        await add_deliveries(
            session,
            [
                NewDelivery(f"k{i}", DeliveryKind.PUSH, 5001, 0, ["x"], due_at=later)
                for i in range(5)
            ],
        )
        rows = {d.dedupe_key: d for d in await session.scalars(select(m.Delivery))}
        rows["k0"].state = "sent"
        rows["k1"].state = "sending"
        rows["k1"].claimed_by = "elsewhere"
        rows["k1"].lease_until = later
        rows["k3"].state = "failed"
        rows["k4"].state = "sent"
        rows["k4"].created_at = now - dt.timedelta(days=2)


async def test_stats(admin_bot: Driver, archive: AsyncEngine) -> None:
    await seed_stats(archive)
    text = one(await admin_bot.send("/stats", chat_id=BOSS)).text
    lines = text.split("\n")
    assert lines[0] == "📊 <b>통계</b>"
    assert lines[1] == "구독: 활성 1 · 비활성 2"
    assert lines[2] == "채팅: 4 (차단·탈퇴로 비활성 1)"  # the admin's own chat counts
    assert lines[3] == "최근 다이제스트: 2025-05-09"
    assert re.fullmatch(
        r"마지막 수집: 2025-05-09 저장됨, 논문 20편 \(\d{4}-\d\d-\d\d \d\d:\d\d\)", lines[4]
    )
    assert re.fullmatch(r"오늘\(\d{4}-\d\d-\d\d\) 전송: 완료 1 · 대기 2 · 실패 1", lines[5])


def alerts_to(botapi: FakeBotAPI, chat_id: int) -> list[SentMessage]:
    return [s for s in botapi.sent_to(chat_id) if s.text.startswith("⚠️")]


async def test_admins_hear_about_a_message_telegram_refused(
    admin_bot: Driver, botapi: FakeBotAPI
) -> None:
    botapi.add_chat(-100777, "supergroup", "Broken")
    botapi.fail_chat(-100777, 400, "Bad Request: message is too long")
    one(await admin_bot.send("/repost 2025-05-09 -100777", chat_id=BOSS))
    for admin in (BOSS, BOSS2):
        alerts = await botapi.wait_for(functools.partial(alerts_to, botapi, admin))
        assert alerts[0].text.startswith(
            "⚠️ 전송 실패 (bad message): 채팅 <code>-100777</code>, 전송 #"
        )
        assert alerts[0].text.endswith("\nBadRequest: Message is too long")


# --------------------------------------------------------------------------- CLI


def test_cli_repost_and_stats(botapi: FakeBotAPI, db_url: str, archive: AsyncEngine) -> None:
    env = {
        "DIGESTBOT_TOKEN": TOKEN,
        "DIGESTBOT_API_URL": botapi.url,
        "DIGESTBOT_DATABASE_URL": db_url,
        "DIGESTBOT_RATE_PRIVATE_PER_SECOND": "200",
        "DIGESTBOT_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()
    done = runner.invoke(
        cli, ["repost", "--date", "2025-02-19", "--chat", str(USER), "-q"], env=env
    )
    assert done.exit_code == 0, done.output
    assert "queued 1; sent 1; failed 0" in done.output
    pushed = botapi.sent_to(USER)[0]
    assert pushed.text.startswith("📰 <b>Daily Papers 2025-02-19</b> · 상위 5/68편")

    asked = runner.invoke(cli, ["repost", "--all", "-q"], env=env, input="n\n")
    assert "Re-send the digest of 2025-05-09 to all 0 subscriptions?" in asked.output
    assert asked.exit_code == 1
    both = runner.invoke(cli, ["repost", "--all", "--chat", "1"], env=env)
    assert both.exit_code == 2 and "give --chat ID or --all" in both.output

    no_token = runner.invoke(cli, ["repost", "--all", "--yes"], env={**env, "DIGESTBOT_TOKEN": ""})
    assert no_token.exit_code == 2
    assert "DIGESTBOT_TOKEN" in no_token.output

    shown = runner.invoke(cli, ["stats"], env={**env, "DIGESTBOT_TOKEN": ""})
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "📊 통계"
    assert lines[1] == "구독: 활성 0 · 비활성 0"
    assert lines[3] == "최근 다이제스트: 2025-05-09"
    assert re.fullmatch(r"오늘\(\d{4}-\d\d-\d\d\) 전송: 완료 1 · 대기 0 · 실패 0", lines[5])


def repaired_copy(folder: Path, day: dt.date, sample: str = "2025/05/09.md") -> Path:
    """The real sample, dated ``day``, with two recoverable oddities: a repeated
    ``Vote:`` line, and a second media line (a ``[Watch Video]`` link without
    parentheses) for a paper that has its thumbnail."""
    text = (DIGESTS / sample).read_text(encoding="utf-8")
    text = text.replace("## Daily Papers (2025-05-09)", f"## Daily Papers ({day.isoformat()})")
    text = text.replace("Vote: 54\n", "Vote: 54\nVote: 55\n", 1)
    text = text.replace("Vote: 34\n", "Vote: 34\n[Watch Video]https://example.org/v.mp4\n", 1)
    target = folder / f"{day:%Y/%m/%d}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


async def test_ingest_lists_what_the_parser_repaired_and_stats_counts_it(
    botapi: FakeBotAPI, db_url: str, archive: AsyncEngine, tmp_path: Path
) -> None:
    repaired_copy(tmp_path, dt.date(2025, 5, 9))
    async with admin_driver(botapi, db_url, admins=str(BOSS), source=str(tmp_path)) as driver:
        _, stored = await ingest(driver, "/ingest 2025-05-09")
        lines = stored.split("\n")
        assert lines[0] == "📥 2025-05-09: 논문 20편을 저장했습니다."
        assert lines[1] == "수정·건너뛴 부분 2건:"
        assert re.fullmatch(
            r"• <code>.*2025/05/09\.md:\d+: repeated 'Vote:' line: ignored, "
            r"the first one \(line \d+\) wins</code>",
            lines[2],
        ), lines[2]
        assert "repeated media line: ignored, the first one" in lines[3], lines[3]
        stats = one(await driver.send("/stats", chat_id=BOSS)).text
    assert "최근 다이제스트에서 수정·건너뛴 부분: 2건" in stats.split("\n")
    async with session_factory(archive)() as session:
        run = await session.scalar(select(m.IngestRun).order_by(m.IngestRun.id.desc()).limit(1))
    assert run is not None and run.status == "stored" and len(run.warnings) == 2
    assert all(w.startswith(str(tmp_path)) for w in run.warnings)


async def test_a_scheduled_ingest_with_warnings_tells_the_admins_once(
    botapi: FakeBotAPI, db_url: str, archive: AsyncEngine, tmp_path: Path
) -> None:
    botapi.add_user(BOSS, "Boss", "boss")
    today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo("Asia/Seoul")).date()
    repaired_copy(tmp_path, today)
    settings = bot_settings(
        botapi,
        db_url,
        admins=str(BOSS),
        source=str(tmp_path),
        ingest_time="00:00",
        ingest_cutoff="23:59",
        ingest_retry_minutes=1,
        **FAST,
    )
    app = build_application(settings)
    async with running(app, poll_interval=0.0, poll_timeout=1):
        [told] = await botapi.wait_for_messages(BOSS, 1, timeout=10.0)
        await asyncio.sleep(0.5)  # nothing else follows
        assert len(botapi.sent_to(BOSS)) == 1
    lines = told.text.split("\n")
    assert lines[0] == (f"📥 {today.isoformat()} 자동 수집: 논문 20편 저장, 수정·건너뛴 부분 2건")
    assert lines[1] == "수정·건너뛴 부분 2건:" and len(lines) == 4
