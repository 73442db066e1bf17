"""The chats and users the server knows, and who administers which group."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tests.support.botapi.wire import JSONDict

CHAT_TYPES = ("private", "group", "supergroup", "channel")
MEMBER_STATUSES = ("member", "left", "kicked")  # what getChatMember says of a non-admin

# the rights getChatMember reports for an administrator
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    is_forum: bool = False

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data


class Registry:
    def __init__(self, bot: User) -> None:
        self.bot = bot
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, User] = {bot.id: bot}
        self._admins: dict[int, list[int]] = {}
        self._creators: dict[int, int] = {}
        self._member_status: dict[tuple[int, int], str] = {}

    def add_chat(
        self, chat_id: int, type: str, title: str | None, username: str | None, is_forum: bool
    ) -> None:
        if type not in CHAT_TYPES:
            raise ValueError(f"unknown chat type {type!r}")
        if is_forum and type != "supergroup":
            raise ValueError("only supergroups can be forums")
        if type == "private":
            user = self.users.get(chat_id)
            self.chats[chat_id] = Chat(
                chat_id,
                type,
                username=username or (user.username if user else None),
                first_name=user.first_name if user else f"User {chat_id}",
            )
        else:
            title = title or f"Chat {chat_id}"
            self.chats[chat_id] = Chat(chat_id, type, title, username, is_forum=is_forum)

    def add_user(self, user: User) -> None:
        """Register a user and their private chat with the bot."""
        self.users[user.id] = user
        self.chats[user.id] = self._private_chat(user)

    def private_chat(self, user: User) -> Chat:
        """The user's private chat with the bot, registered on first use."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = self._private_chat(user)
        return chat

    @staticmethod
    def _private_chat(user: User) -> Chat:
        return Chat(user.id, "private", username=user.username, first_name=user.first_name)

    def ensure_user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, f"User {user_id}")
        return user

    def require_chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id}; call add_chat() first")
        return chat

    def chat_id_of(self, raw: object) -> int | None:
        """The id a ``chat_id`` parameter names: an integer or ``@username``."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == wanted:
                    return chat.id
        return None

    def set_admins(self, chat_id: int, user_ids: Iterable[int], creator: int | None) -> None:
        self.require_chat(chat_id)
        admins = list(user_ids)
        for user_id in [*admins, *([creator] if creator is not None else [])]:
            self.ensure_user(user_id)
        self._admins[chat_id] = [user_id for user_id in admins if user_id != creator]
        if creator is not None:
            self._creators[chat_id] = creator
        else:
            self._creators.pop(chat_id, None)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unsupported status {status!r}")
        self.ensure_user(user_id)
        self._member_status[(chat_id, user_id)] = status

    def migrate(self, old_id: int, new_id: int) -> None:
        """Group ``old_id`` became supergroup ``new_id``, with the same administrators."""
        old = self.chats.get(old_id)
        if new_id not in self.chats:
            title = old.title if old else f"Chat {new_id}"
            self.chats[new_id] = Chat(new_id, "supergroup", title)
        if old_id in self._admins and new_id not in self._admins:
            self._admins[new_id] = list(self._admins[old_id])
        if old_id in self._creators and new_id not in self._creators:
            self._creators[new_id] = self._creators[old_id]

    def member_json(self, chat_id: int, user_id: int) -> JSONDict:
        """The ChatMember getChatMember answers."""
        user = self.users[user_id].to_json()
        if self._creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self._admins.get(chat_id, ()):
            rights = {**_ADMIN_RIGHTS, "can_promote_members": user_id != self.bot.id}
            return {"status": "administrator", "user": user, **rights}
        status = self._member_status.get((chat_id, user_id), "member")
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}
