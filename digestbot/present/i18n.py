"""The bot's words, in Korean (the default) and English. Pure: ``t(lang, key, **params)``.

Values are HTML templates: parameters are escaped by the caller
(``digestbot.present.html.esc``) when they come from users or the archive."""

from __future__ import annotations

from typing import Final

from digestbot.config import LANGUAGES, Language

DEFAULT_LANGUAGE: Final = Language.KO

# (command, example) in the order /help lists them
COMMANDS: Final = (
    ("today", "/today"),
    ("top", "/top 10 week"),
    ("search", "/search diffusion"),
    ("paper", "/paper 2502.11089"),
    ("subscribe", "/subscribe 08:00 5 Asia/Seoul"),
    ("follow", "/follow diffusion"),
    ("following", "/following"),
    ("unfollow", "/unfollow 1"),
    ("unsubscribe", "/unsubscribe"),
    ("saved", "/saved"),
    ("similar", "/similar 2502.11089"),
    ("settings", "/settings"),
    ("help", "/help"),
)

_KO: dict[str, str] = {
    # command descriptions (setMyCommands and /help)
    "cmd.start": "봇 소개",
    "cmd.help": "명령어 목록과 예시",
    "cmd.today": "가장 최근 다이제스트의 인기 논문",
    "cmd.top": "기간별 추천 수 상위 논문 (N, 날짜, week, month)",
    "cmd.search": "제목·저자·요약 전문 검색",
    "cmd.paper": "논문 하나 자세히 보기 (arXiv id 또는 오늘 순위)",
    "cmd.subscribe": "매일 아침 상위 N편 받기 (HH:MM N 시간대)",
    "cmd.unsubscribe": "아침 알림 중지 (설정은 유지)",
    "cmd.settings": "알림 시간, 편수, 섹션, 언어 설정",
    "help.intro": (
        "<b>Hugging Face Daily Papers 한국어 요약 봇</b>\n"
        "매일 가장 많은 추천을 받은 논문을 한국어 요약과 함께 전해 드립니다. "
        "구독하면 매일 아침 받아볼 수 있고, 아래 명령어로 지난 논문도 찾아볼 수 있습니다."
    ),
    "help.commands": "<b>명령어</b>",
    "help.inline": "아무 채팅에서나 <code>@{bot} 검색어</code> 로 논문을 찾아 보낼 수 있습니다.",
    # lists and cards
    "digest.header": "📰 <b>Daily Papers {day}</b> · 상위 {shown}/{total}편",
    "digest.header_all": "📰 <b>Daily Papers {day}</b> · {shown}편",
    "top.header": "🏆 <b>추천 수 상위 논문</b> · {period} · {first}–{last} / {total}",
    "top.period.day": "{day}",
    "top.period.week": "최근 1주 ({start} ~ {end})",
    "top.period.month": "최근 1개월 ({start} ~ {end})",
    "search.header": "🔎 <b>검색</b> “{query}” · {first}–{last} / {total}",
    "search.none": "🔎 “{query}”에 해당하는 논문을 찾지 못했습니다. 다른 단어로 검색해 보세요.",
    "search.expired": "이 검색 결과는 만료되었습니다. /search 로 다시 검색해 주세요.",
    "paper.votes": "추천",
    "paper.authors": "저자",
    "paper.date": "다이제스트",
    "paper.hf": "Hugging Face",
    "paper.more_authors": "외 {n}명",
    "paper.more_authors_plus": "외 {n}명 이상",
    "paper.et_al": "외",
    "paper.project": "프로젝트",
    "paper.origin.archive": "📚 요약: daily_papers_ko 아카이브",
    "paper.origin.model": "🤖 요약: {model} 자동 생성",
    "paper.ai_summary": "🤗 HF AI 요약 (영문)",
    "paper.abstract": "영문 초록 (한국어 요약 준비 중)",
    "paper.none": "논문 {ref}을(를) 찾지 못했습니다. 예: <code>/paper 2502.11089</code>",
    "archive.empty": "아직 저장된 다이제스트가 없습니다.",
    "top.empty": "{period} 기간에 저장된 논문이 없습니다.",
    "button.prev": "◀ 이전",
    "button.next": "다음 ▶",
    # subscriptions and settings
    "sub.done": "✅ 구독했습니다: 매일 {time} ({tz})에 상위 {n}편을 보내 드립니다.",
    "sub.stopped": (
        "🔕 구독을 중지했습니다. 설정은 그대로 남아 있어 /subscribe 로 다시 시작할 수 있습니다."
    ),
    "sub.none": "구독하고 있지 않습니다. /subscribe 로 구독할 수 있습니다.",
    "sub.admins_only": "이 그룹의 구독은 그룹 관리자만 바꿀 수 있습니다.",
    "settings.header": (
        "⚙️ <b>설정</b>\n"
        "구독: {state}\n"
        "알림 시간: {time} ({tz})\n"
        "편수: {n}\n"
        "섹션: {sections}\n"
        "언어: {language}"
    ),
    "settings.on": "켜짐",
    "settings.off": "꺼짐",
    "settings.all_sections": "모두",
    "settings.time": "⏰ 시간",
    "settings.count": "🔢 편수",
    "settings.sections": "📑 섹션",
    "settings.language": "🌐 언어",
    "settings.back": "↩ 뒤로",
    "settings.pick_time": "알림 시간을 고르세요 ({tz}):",
    "settings.pick_count": "매일 받을 논문 수를 고르세요:",
    "settings.pick_sections": "알림에 보일 섹션을 고르세요 (아무것도 고르지 않으면 모두):",
    "settings.pick_language": "언어를 고르세요:",
    "settings.saved": "저장했습니다",
    "lang.name": "한국어",
    # admin commands (DIGESTBOT_ADMINS)
    "admin.refused": "이 명령어는 봇 관리자만 쓸 수 있습니다.",
    "admin.no_digest": "{day}에 저장된 다이제스트가 없습니다. 먼저 /ingest {day} 를 해 보세요.",
    "admin.chat_unknown": "채팅 {chat}을(를) 찾지 못했습니다: {reason}",
    "admin.repost.confirm": "🔁 {day} 다이제스트를 구독 {n}곳 모두에 다시 보낼까요?",
    "admin.repost.queued": "🔁 {day} 다이제스트를 {n}곳에 보내도록 대기열에 넣었습니다.",
    "admin.broadcast.confirm": "📣 아래 메시지를 구독 {n}곳 모두에 보낼까요?\n\n{text}",
    "admin.broadcast.queued": "📣 메시지를 {n}곳에 보내도록 대기열에 넣었습니다.",
    "admin.button.confirm": "✅ 보내기",
    "admin.button.cancel": "✖ 취소",
    "admin.cancelled": "취소했습니다.",
    "admin.expired": "이 확인 요청은 만료되었거나 이미 처리되었습니다.",
    "admin.ingest.started": "⏳ {day}: 다이제스트를 가져오는 중입니다. 끝나면 알려 드립니다.",
    "admin.ingest.stored": "📥 {day}: 논문 {n}편을 저장했습니다.",
    "admin.ingest.missing": "📭 {day}: 아직 다이제스트가 없습니다 ({message}).",
    "admin.ingest.failed": "⚠️ {day}: 가져오지 못했습니다: {message}",
    "admin.ingest.warnings": "수정·건너뛴 부분 {n}건:",
    "admin.ingest.more_warnings": "… 외 {n}건 (digestbot ingest 또는 /stats)",
    "admin.ingest.problem": "⚠️ 일부 출처 실패: {problem}",
    "admin.ingest.summaries": (
        "🤖 요약: 작성 {written} · 실패 {failed} · 대기 {pending} (토큰 {tokens})"
    ),
    "admin.ingest.scheduled_warnings": (
        "📥 {day} 자동 수집: 논문 {n}편 저장, 수정·건너뛴 부분 {count}건"
    ),
    "admin.stats": (
        "📊 <b>통계</b>\n"
        "구독: 활성 {active} · 비활성 {inactive}\n"
        "채팅: {chats} (차단·탈퇴로 비활성 {deactivated})\n"
        "최근 다이제스트: {newest}\n"
        "마지막 수집: {ingest}\n"
        "오늘({today}) 전송: 완료 {sent} · 대기 {pending} · 실패 {failed}"
    ),
    "admin.stats.ingest": "{day} {status}, 논문 {papers}편 ({at})",
    "admin.stats.none": "없음",
    "admin.archive_silent": (
        "📭 아카이브(daily_papers_ko)가 {day} 이후 평일 이틀 넘게 새 다이제스트를 내지 않았습니다. "
        "Hugging Face 목록과 자동 요약으로 계속 보냅니다."
    ),
    "admin.stats.warnings": "최근 다이제스트에서 수정·건너뛴 부분: {n}건",
    "admin.stats.paid": "⭐ 오늘(UTC) 유료 발송 {messages}건 = {stars} Stars (하루 한도 {cap}건)",
    "admin.stats.source": "출처 {name}: 마지막 성공 {ok}, 최신 날짜 {newest}",
    "admin.stats.llm": (
        "🤖 오늘 요약 요청 {requests}건 (성공 {summaries}), 토큰 {tokens}; "
        "최근 다이제스트의 요약 대기 {pending}편"
    ),
    "source.archive": "아카이브",
    "source.huggingface": "Hugging Face",
    "admin.status.stored": "저장됨",
    "admin.status.missing": "아직 없음",
    "admin.status.failed": "실패",
    "admin.alert": "⚠️ 전송 실패 ({kind}): 채팅 <code>{chat}</code>, 전송 #{delivery}\n{reason}",
    # errors
    "error.unknown_command": (
        "알 수 없는 명령어입니다. 명령어 목록은 /help 를 보세요. 예: {example}"
    ),
    "error.internal": "죄송합니다. 처리 중 오류가 났습니다. 잠시 후 다시 시도해 주세요.",
    "error.example": "예: {example}",
    "error.slow_down": "잠시만요, 요청이 너무 많습니다. 몇 초 뒤에 다시 보내 주세요.",
    # argument errors (BadCommandArgument keys)
    "arg.bad_date": "{value}은(는) 날짜가 아닙니다. YYYY-MM-DD, week, month 중 하나를 쓰세요.",
    "arg.bad_count": "{value}: 편수는 {low}에서 {high} 사이의 숫자여야 합니다.",
    "arg.too_many": "인자가 너무 많습니다: {value}",
    "arg.bad_paper": "{value}은(는) arXiv id나 오늘 다이제스트의 순위가 아닙니다.",
    "arg.no_paper": "어떤 논문인지 알려 주세요.",
    "arg.bad_rank": "오늘 다이제스트에는 {value}위가 없습니다 (1–{high}위).",
    "arg.bad_time": "{value}은(는) 시각이 아닙니다. HH:MM 형식으로 쓰세요.",
    "arg.bad_timezone": (
        "{value}은(는) 시간대가 아닙니다. Asia/Seoul, Europe/Berlin, UTC 같은 이름을 쓰세요."
    ),
    "arg.no_query": "검색어를 입력해 주세요.",
    "arg.bad_day": "{value}은(는) 날짜가 아닙니다. YYYY-MM-DD 형식으로 쓰세요.",
    "arg.bad_chat": "{value}은(는) 채팅 id(숫자), @채널, all 중 어느 것도 아닙니다.",
    "arg.no_text": "보낼 메시지를 입력해 주세요.",
    "arg.date_like": "{value}은(는) 날짜처럼 보입니다. 날짜는 {day}처럼 쓰세요.",
    # the compact push, bookmarks, similar papers
    "cmd.saved": "저장한 논문 (bibtex: .bib 파일로 받기)",
    "cmd.similar": "비슷한 논문 찾기 (arXiv id 또는 오늘 순위)",
    "push.followed": "📌 <b>팔로우한 논문</b>",
    "push.hint": "<i>번호를 누르면 논문 전체 요약이 열립니다 · 🔖 로 저장</i>",
    "button.save": "🔖 저장",
    "button.saved": "✅ 저장됨",
    "button.similar": "🔗 비슷한 논문",
    "bookmark.added": "🔖 저장했습니다. /saved 에서 볼 수 있습니다.",
    "bookmark.removed": "저장을 취소했습니다.",
    "bookmark.already": "이미 저장한 논문입니다. /saved 에서 보거나 ✕ 로 지울 수 있습니다.",
    "bookmark.unknown": "이 논문은 더 이상 저장되어 있지 않습니다.",
    "saved.header": "🔖 <b>저장한 논문</b> · {first}–{last} / {total}",
    "saved.empty": "저장한 논문이 없습니다. 논문 카드의 🔖 버튼으로 저장해 보세요.",
    "saved.bibtex": "🔖 저장한 논문 {n}편 (BibTeX)",
    "similar.header": "🔗 <b>비슷한 논문</b> · {title}",
    "similar.none": "{title}와(과) 비슷한 논문을 찾지 못했습니다.",
    "similar.unknown": "논문 {ref}을(를) 찾지 못했습니다. 예: <code>/similar 2502.11089</code>",
    "settings.full": "📜 전체 섹션",
    "settings.full_line": "전체 섹션으로 받기: {state}",
    "settings.pick_full": (
        "켜면 알림이 예전처럼 모든 섹션을 전부 보여 줍니다 (메시지가 여러 개가 될 수 있습니다)."
    ),
    "arg.bad_saved": "{value}: /saved 뒤에는 bibtex 만 쓸 수 있습니다.",
    # follows and the weekly digest
    "cmd.follow": "검색어(또는 author:이름)를 팔로우: 맞는 새 논문이 아침 알림에 함께 옵니다",
    "cmd.following": "팔로우 목록 (✕ 로 해제)",
    "cmd.unfollow": "팔로우 해제 (번호 또는 단어)",
    "digest.followed": "📌 <b>팔로우한 논문</b>",
    "digest.header_follows": "📌 <b>Daily Papers {day}</b> · 팔로우한 논문 {n}편",
    "weekly.header": "🗓 <b>주간 Daily Papers</b> · {start} ~ {end} · 상위 {shown}/{total}편",
    "weekly.header_all": "🗓 <b>주간 Daily Papers</b> · {start} ~ {end} · {shown}편",
    "weekly.header_follows": (
        "🗓 <b>주간 Daily Papers</b> · {start} ~ {end} · 📌 팔로우한 논문 {shown}편"
    ),
    "follow.added": (
        "📌 팔로우했습니다: “{query}” ({n}/{max}). 이 "
        "검색과 맞는 새 논문이 아침 알림에 함께 옵니다."
    ),
    "follow.not_subscribed": "알림을 받으려면 /subscribe 하세요.",
    "follow.exists": "이미 팔로우하고 있습니다: “{query}”. 목록은 /following 으로 볼 수 있습니다.",
    "follow.removed": "팔로우를 해제했습니다: “{query}”.",
    "follow.removed_short": "해제했습니다",
    "follow.gone": "이미 해제된 팔로우입니다",
    "follow.list_header": "📌 <b>팔로우 목록</b> ({n}/{max})",
    "follow.list_hint": "✕ 를 누르거나 <code>/unfollow 번호</code> 로 해제할 수 있습니다.",
    "follow.list_empty": (
        "팔로우한 검색이 없습니다. 예: <code>/follow diffusion</code>, "
        "<code>/follow author:Yann LeCun</code>"
    ),
    "follow.admins_only": "이 그룹의 팔로우는 그룹 관리자만 바꿀 수 있습니다.",
    "cadence.daily": "매일",
    "cadence.weekly": "매주 월요일 (지난주 상위)",
    "cadence.both": "매일 + 매주 월요일",
    "settings.header_follow": "주기: {cadence}\n팔로우한 논문만: {follows_only}",
    "settings.cadence": "🗓 주기",
    "settings.follows_only": "📌 팔로우만",
    "settings.pick_cadence": "알림 주기를 고르세요 (주간: 월요일 같은 시각에 지난주 상위 논문):",
    "sub.done_weekly": (
        "✅ 구독했습니다: 매주 월요일 {time} ({tz})에 지난주 상위 {n}편을 보내 드립니다."
    ),
    "sub.done_both": (
        "✅ 구독했습니다: 매일 {time} ({tz})에 상위 {n}편을, 매주 월요일에는 지난주 상위 {n}편도 "
        "보내 드립니다."
    ),
    "sub.follows_only": (
        "📌 아침 알림에는 팔로우한 논문만 옵니다 (맞는 논문이 없는 날은 보내지 않습니다)."
    ),
    "arg.no_follow": "팔로우할 단어를 적어 주세요.",
    "arg.follow_too_long": "팔로우는 {max}자까지입니다 ({n}자).",
    "arg.follow_too_many": (
        "팔로우는 한 채팅에 {max}개까지입니다. /unfollow 로 하나를 지운 뒤 다시 해 주세요."
    ),
    "arg.follow_nothing": "{value}에는 검색할 단어가 없어 어떤 논문과도 맞지 않습니다.",
    "arg.no_unfollow": "해제할 팔로우의 번호나 단어를 적어 주세요.",
    "arg.unknown_follow_number": (
        "{value}번 팔로우가 없습니다 (팔로우 {high}개). /following 으로 목록을 보세요."
    ),
    "arg.unknown_follow": "“{value}”은(는) 팔로우 목록에 없습니다. /following 으로 목록을 보세요.",
}

_EN: dict[str, str] = {
    "cmd.start": "what this bot does",
    "cmd.help": "commands and examples",
    "cmd.today": "the newest digest's top papers",
    "cmd.top": "top-voted papers (N, a date, week, month)",
    "cmd.search": "full-text search over titles, authors, summaries",
    "cmd.paper": "one paper in full (arXiv id or today's rank)",
    "cmd.subscribe": "get the top N every morning (HH:MM N time zone)",
    "cmd.unsubscribe": "stop the morning push (settings are kept)",
    "cmd.settings": "push time, count, sections, language",
    "help.intro": (
        "<b>Hugging Face Daily Papers, summarised in Korean</b>\n"
        "Every day's most-upvoted papers with Korean summaries. Subscribe to get them every "
        "morning, or look through the archive with the commands below."
    ),
    "help.commands": "<b>Commands</b>",
    "help.inline": "In any chat, type <code>@{bot} words</code> to find and share a paper.",
    "digest.header": "📰 <b>Daily Papers {day}</b> · top {shown} of {total}",
    "digest.header_all": "📰 <b>Daily Papers {day}</b> · {shown} papers",
    "top.header": "🏆 <b>Top-voted papers</b> · {period} · {first}–{last} of {total}",
    "top.period.day": "{day}",
    "top.period.week": "past week ({start} – {end})",
    "top.period.month": "past month ({start} – {end})",
    "search.header": "🔎 <b>Search</b> “{query}” · {first}–{last} of {total}",
    "search.none": "🔎 Nothing found for “{query}”. Try other words.",
    "search.expired": "This search has expired; send /search again.",
    "paper.votes": "votes",
    "paper.authors": "Authors",
    "paper.date": "Digest",
    "paper.hf": "Hugging Face",
    "paper.more_authors": "and {n} more",
    "paper.more_authors_plus": "and {n}+ more",
    "paper.et_al": "et al.",
    "paper.project": "project",
    "paper.origin.archive": "📚 Summary: the daily_papers_ko archive",
    "paper.origin.model": "🤖 Summary written by {model}",
    "paper.ai_summary": "🤗 HF AI summary (English)",
    "paper.abstract": "Abstract (Korean summary pending)",
    "paper.none": "No paper {ref} in the archive. Example: <code>/paper 2502.11089</code>",
    "archive.empty": "No digest has been stored yet.",
    "top.empty": "No papers stored for {period}.",
    "button.prev": "◀ Previous",
    "button.next": "Next ▶",
    "sub.done": "✅ Subscribed: the top {n} every day at {time} ({tz}).",
    "sub.stopped": "🔕 Unsubscribed. Your settings are kept; /subscribe starts again.",
    "sub.none": "This chat is not subscribed. /subscribe starts the morning push.",
    "sub.admins_only": "Only the group's administrators can change its subscription.",
    "settings.header": (
        "⚙️ <b>Settings</b>\n"
        "Subscription: {state}\n"
        "Push time: {time} ({tz})\n"
        "Papers: {n}\n"
        "Sections: {sections}\n"
        "Language: {language}"
    ),
    "settings.on": "on",
    "settings.off": "off",
    "settings.all_sections": "all",
    "settings.time": "⏰ Time",
    "settings.count": "🔢 Papers",
    "settings.sections": "📑 Sections",
    "settings.language": "🌐 Language",
    "settings.back": "↩ Back",
    "settings.pick_time": "Pick the push time ({tz}):",
    "settings.pick_count": "How many papers every morning:",
    "settings.pick_sections": "Sections the push shows (none picked = all):",
    "settings.pick_language": "Pick a language:",
    "settings.saved": "Saved",
    "lang.name": "English",
    "admin.refused": "This command is for the bot's admins only.",
    "admin.no_digest": "No digest is stored for {day}; try /ingest {day} first.",
    "admin.chat_unknown": "Cannot find chat {chat}: {reason}",
    "admin.repost.confirm": "🔁 Re-send the digest of {day} to all {n} subscriptions?",
    "admin.repost.queued": "🔁 Queued the digest of {day} for {n} chat(s).",
    "admin.broadcast.confirm": "📣 Send this message to all {n} subscriptions?\n\n{text}",
    "admin.broadcast.queued": "📣 Queued the message for {n} chat(s).",
    "admin.button.confirm": "✅ Send",
    "admin.button.cancel": "✖ Cancel",
    "admin.cancelled": "Cancelled.",
    "admin.expired": "This confirmation has expired or was already handled.",
    "admin.ingest.started": "⏳ {day}: fetching the digest; I will report when it is done.",
    "admin.ingest.stored": "📥 {day}: stored {n} papers.",
    "admin.ingest.missing": "📭 {day}: no digest yet ({message}).",
    "admin.ingest.failed": "⚠️ {day}: could not fetch it: {message}",
    "admin.ingest.warnings": "{n} repaired or skipped:",
    "admin.ingest.more_warnings": "… and {n} more (digestbot ingest, or /stats)",
    "admin.ingest.problem": "⚠️ a source failed: {problem}",
    "admin.ingest.summaries": (
        "🤖 Summaries: {written} written · {failed} failed · {pending} pending ({tokens} tokens)"
    ),
    "admin.ingest.scheduled_warnings": (
        "📥 Scheduled ingest of {day}: {n} papers stored, {count} repaired or skipped"
    ),
    "admin.stats": (
        "📊 <b>Stats</b>\n"
        "Subscriptions: {active} active · {inactive} inactive\n"
        "Chats: {chats} ({deactivated} deactivated: blocked or left)\n"
        "Newest digest: {newest}\n"
        "Last ingest: {ingest}\n"
        "Today ({today}) deliveries: {sent} sent · {pending} pending · {failed} failed"
    ),
    "admin.stats.ingest": "{day} {status}, {papers} papers ({at})",
    "admin.stats.none": "none",
    "admin.archive_silent": (
        "📭 The archive (daily_papers_ko) has published nothing since {day} for two "
        "weekdays or more; the push goes on from Hugging Face's list and generated summaries."
    ),
    "admin.stats.warnings": "Newest digest: {n} repaired or skipped",
    "admin.stats.paid": "⭐ Paid broadcasts today (UTC): {messages} messages = {stars} Stars "
    "(daily cap {cap})",
    "admin.stats.source": "Source {name}: last success {ok}, newest day {newest}",
    "admin.stats.llm": (
        "🤖 Summaries today: {requests} requests ({summaries} written), {tokens} tokens; "
        "{pending} papers of the newest digest still pending"
    ),
    "source.archive": "archive",
    "source.huggingface": "Hugging Face",
    "admin.status.stored": "stored",
    "admin.status.missing": "missing",
    "admin.status.failed": "failed",
    "admin.alert": (
        "⚠️ Delivery failed ({kind}): chat <code>{chat}</code>, delivery #{delivery}\n{reason}"
    ),
    "error.unknown_command": "Unknown command; /help lists them all. Example: {example}",
    "error.internal": "Sorry, something went wrong. Please try again in a moment.",
    "error.example": "Example: {example}",
    "error.slow_down": "Slow down, please: too many requests. Try again in a few seconds.",
    "arg.bad_date": "{value} is not a date: use YYYY-MM-DD, week or month.",
    "arg.bad_count": "{value}: the number of papers must be between {low} and {high}.",
    "arg.too_many": "Too many arguments: {value}",
    "arg.bad_paper": "{value} is neither an arXiv id nor a rank in today's digest.",
    "arg.no_paper": "Which paper? Give an arXiv id or a rank.",
    "arg.bad_rank": "Today's digest has no rank {value} (1–{high}).",
    "arg.bad_time": "{value} is not a time: use HH:MM.",
    "arg.bad_timezone": (
        "{value} is not a time zone: use a name such as Asia/Seoul, Europe/Berlin or UTC."
    ),
    "arg.no_query": "What should I search for?",
    "arg.bad_day": "{value} is not a date: use YYYY-MM-DD.",
    "arg.bad_chat": "{value} is not a chat id, a @channel or all.",
    "arg.no_text": "What should I send?",
    "arg.date_like": "{value} looks like a date: write {day}.",
    "cmd.saved": "your saved papers (bibtex: as a .bib file)",
    "cmd.similar": "papers like this one (arXiv id or today's rank)",
    "push.followed": "📌 <b>From your follows</b>",
    "push.hint": "<i>Tap a number for the paper's full summary · 🔖 to save it</i>",
    "button.save": "🔖 Save",
    "button.saved": "✅ Saved",
    "button.similar": "🔗 Similar",
    "bookmark.added": "🔖 Saved. /saved lists your saved papers.",
    "bookmark.removed": "Removed from your saved papers.",
    "bookmark.already": "Already saved. /saved lists it, and its ✕ removes it.",
    "bookmark.unknown": "This paper is no longer saved.",
    "saved.header": "🔖 <b>Saved papers</b> · {first}–{last} / {total}",
    "saved.empty": "No saved papers yet: press 🔖 on a paper card to save one.",
    "saved.bibtex": "🔖 {n} saved papers (BibTeX)",
    "similar.header": "🔗 <b>Similar papers</b> · {title}",
    "similar.none": "Found no papers like {title}.",
    "similar.unknown": "No paper {ref} in the archive. Example: <code>/similar 2502.11089</code>",
    "settings.full": "📜 Full sections",
    "settings.full_line": "Every section in full: {state}",
    "settings.pick_full": (
        "On: the push shows every section in full, as before (it may take several messages)."
    ),
    "arg.bad_saved": "{value}: /saved takes nothing or bibtex.",
    "cmd.follow": "follow words (or author:Name): matching new papers join the morning push",
    "cmd.following": "your follows (✕ removes one)",
    "cmd.unfollow": "stop following (a number or the words)",
    "digest.followed": "📌 <b>From your follows</b>",
    "digest.header_follows": "📌 <b>Daily Papers {day}</b> · {n} from your follows",
    "weekly.header": "🗓 <b>Weekly Daily Papers</b> · {start} – {end} · top {shown} of {total}",
    "weekly.header_all": "🗓 <b>Weekly Daily Papers</b> · {start} – {end} · {shown} papers",
    "weekly.header_follows": (
        "🗓 <b>Weekly Daily Papers</b> · {start} – {end} · 📌 {shown} from your follows"
    ),
    "follow.added": (
        "📌 Following “{query}” ({n}/{max}): new papers matching it join the morning push."
    ),
    "follow.not_subscribed": "/subscribe to get the push.",
    "follow.exists": "Already following “{query}”. /following lists your follows.",
    "follow.removed": "Stopped following “{query}”.",
    "follow.removed_short": "Removed",
    "follow.gone": "That follow was already removed",
    "follow.list_header": "📌 <b>Your follows</b> ({n}/{max})",
    "follow.list_hint": "Press ✕ or send <code>/unfollow number</code> to remove one.",
    "follow.list_empty": (
        "No follows yet. Example: <code>/follow diffusion</code>, "
        "<code>/follow author:Yann LeCun</code>"
    ),
    "follow.admins_only": "Only the group's administrators can change its follows.",
    "cadence.daily": "daily",
    "cadence.weekly": "weekly on Monday (last week's top)",
    "cadence.both": "daily + weekly on Monday",
    "settings.header_follow": "Cadence: {cadence}\nOnly papers I follow: {follows_only}",
    "settings.cadence": "🗓 Cadence",
    "settings.follows_only": "📌 Only follows",
    "settings.pick_cadence": (
        "How often (weekly: Mondays at the push time, last week's top papers):"
    ),
    "sub.done_weekly": "✅ Subscribed: last week's top {n} every Monday at {time} ({tz}).",
    "sub.done_both": (
        "✅ Subscribed: the top {n} every day at {time} ({tz}), and last week's top {n} on Mondays."
    ),
    "sub.follows_only": "📌 The push holds only papers you follow (no push on a day without any).",
    "arg.no_follow": "What should I follow? Give some words.",
    "arg.follow_too_long": "A follow is at most {max} characters (this one has {n}).",
    "arg.follow_too_many": "A chat can follow at most {max} searches; /unfollow one first.",
    "arg.follow_nothing": "{value} has no word to search for, so it could never match a paper.",
    "arg.no_unfollow": "Which follow? Give its number or its words.",
    "arg.unknown_follow_number": (
        "There is no follow number {value} ({high} follows). /following lists them."
    ),
    "arg.unknown_follow": "You are not following “{value}”. /following lists your follows.",
}

CATALOG: Final[dict[str, dict[str, str]]] = {Language.KO: _KO, Language.EN: _EN}


def normalize(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(lang: str | None, key: str, **params: object) -> str:
    """The text for ``key`` in ``lang`` (falling back to Korean), with ``params`` filled in."""
    template = CATALOG[normalize(lang)].get(key) or _KO[key]
    return template.format(**params) if params else template
