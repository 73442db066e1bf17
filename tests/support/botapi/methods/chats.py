"""What the bot asks about chats: getChat and getChatMember."""

from __future__ import annotations

from tests.support.botapi.errors import bad
from tests.support.botapi.methods.method import Method
from tests.support.botapi.params import req_int
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict

# fields a ChatFullInfo must have (python-telegram-bot requires them)
_FULL_INFO = {
    "accent_color_id": 0,
    "max_reaction_count": 11,
    "accepted_gift_types": {
        "unlimited_gifts": False,
        "limited_gifts": False,
        "unique_gifts": False,
        "premium_subscription": False,
        "gifts_from_channels": False,
    },
}


def get_chat(state: State, params: JSONDict) -> JSONDict:
    chat = state.target_chat(params, posting=False)
    return {**chat.to_json(), **_FULL_INFO}


def get_chat_member(state: State, params: JSONDict) -> JSONDict:
    chat = state.target_chat(params, posting=False)
    user_id = req_int(params, "user_id")
    if user_id not in state.registry.users:
        raise bad("user not found")
    if chat.type == "private" and user_id not in (chat.id, state.registry.bot.id):
        raise bad("user not found")
    return state.registry.member_json(chat.id, user_id)


METHODS = (
    Method("getChat", frozenset({"chat_id"}), get_chat),
    Method("getChatMember", frozenset({"chat_id", "user_id"}), get_chat_member),
)
