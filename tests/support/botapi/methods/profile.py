"""The bot's own profile: getMe and setMyCommands."""

from __future__ import annotations

import re

from tests.support.botapi.errors import bad
from tests.support.botapi.limits import MAX_COMMAND_DESCRIPTION, MAX_COMMANDS
from tests.support.botapi.methods.method import Method
from tests.support.botapi.params import json_field
from tests.support.botapi.state import State
from tests.support.botapi.wire import JSONDict

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


def get_me(state: State, params: JSONDict) -> JSONDict:
    return dict(state.bot_user)


def set_my_commands(state: State, params: JSONDict) -> bool:
    """Checks the menu as Telegram does; tests read what was set from ``calls()``."""
    commands = json_field(params, "commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad("too many commands")
    for command in commands:
        if not isinstance(command, dict):
            raise bad("can't parse BotCommand JSON object")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name.lstrip("/").lower()):
            raise bad("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    return True


METHODS = (
    Method("getMe", frozenset(), get_me),
    Method("setMyCommands", frozenset({"commands", "language_code"}), set_my_commands),
)
