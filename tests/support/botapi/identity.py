"""Who the test bot is: its token and the user getMe reports."""

from __future__ import annotations

from tests.support.botapi.wire import JSONDict

TOKEN = "123456:TEST-token-not-secret-AAAAAAAAAAAAAAAA"
BOT_ID = 123456
BOT_USERNAME = "digest_test_bot"
BOT_FIRST_NAME = "Digest Test Bot"


def bot_id_of(token: str) -> int:
    return int(token.split(":", 1)[0])


def get_me_json(bot_id: int) -> JSONDict:
    """The answer to getMe."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }
