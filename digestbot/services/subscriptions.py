"""Chats and their subscriptions, without Telegram: /subscribe, /unsubscribe, /settings
and the language. Shared by the bot and the CLI; none of them commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from digestbot.clock import EPOCH
from digestbot.config import Settings
from digestbot.present.html import section_key
from digestbot.store import chats
from digestbot.store import models as m

# The sections a subscriber can pick in /settings (every other name is shown when
# "all" is chosen); the order is the order of the buttons and their callback index.
SECTION_CHOICES: tuple[str, ...] = (
    "What's New",
    "Technical Details",
    "Performance Highlights",
    "Summary",
)
COUNT_CHOICES: tuple[int, ...] = (1, 3, 5, 10, 15, 20)
TIME_CHOICES: tuple[str, ...] = (
    "06:00",
    "07:00",
    "08:00",
    "09:00",
    "10:00",
    "12:00",
    "18:00",
    "21:00",
)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    active: bool
    push_time: str
    timezone: str
    top_n: int
    sections: tuple[str, ...]
    full_sections: bool = False  # the push with every section in full
    cadence: str = m.Cadence.DAILY
    follows_only: bool = False


CADENCE_CHOICES: tuple[str, ...] = tuple(m.Cadence)


def _view(sub: m.Subscription) -> SubscriptionView:
    return SubscriptionView(
        sub.active,
        sub.push_time,
        sub.timezone,
        sub.top_n,
        tuple(sub.sections),
        bool(sub.full_sections),
        sub.cadence or m.Cadence.DAILY,
        bool(sub.follows_only),
    )


def default_subscription(settings: Settings) -> SubscriptionView:
    return SubscriptionView(False, settings.push_time, settings.timezone, settings.top_n, ())


async def chat_language(
    session: AsyncSession, chat_id: int, chat_type: str, title: str, default: str
) -> str:
    """The language a chat is answered in; a chat seen for the first time is stored with
    ``default`` (and one that had blocked the bot is reachable again)."""
    chat = await chats.ensure_chat(session, chat_id, chat_type, title, default)
    return chat.language


async def set_language(session: AsyncSession, chat_id: int, language: str) -> None:
    await chats.set_language(session, chat_id, language)


async def get_subscription(
    session: AsyncSession, chat_id: int, thread_id: int
) -> SubscriptionView | None:
    sub = await chats.find_subscription(session, chat_id, thread_id)
    return _view(sub) if sub else None


async def _get_or_create(
    session: AsyncSession, chat_id: int, thread_id: int, settings: Settings
) -> m.Subscription:
    sub = await chats.find_subscription(session, chat_id, thread_id)
    if sub is None:
        sub = m.Subscription(
            chat_id=chat_id,
            thread_id=thread_id,
            active=False,
            next_push_at=None,
            push_time=settings.push_time,
            timezone=settings.timezone,
            top_n=settings.top_n,
            sections=[],
            full_sections=False,
            cadence=m.Cadence.DAILY,
            follows_only=False,
        )
        session.add(sub)
    return sub


async def subscribe(
    session: AsyncSession,
    chat_id: int,
    thread_id: int,
    settings: Settings,
    *,
    push_time: str | None = None,
    top_n: int | None = None,
    timezone: str | None = None,
    cadence: str | None = None,
    follows_only: bool | None = None,
) -> SubscriptionView:
    """Start (or restart) the push; given values replace the stored ones (``timezone``: an
    IANA name, checked by the caller; ``cadence``: a ``Cadence``)."""
    sub = await _get_or_create(session, chat_id, thread_id, settings)
    sub.active = True
    sub.next_push_at = EPOCH  # the next push tick works the moment out
    return await _apply(
        session,
        sub,
        push_time=push_time,
        top_n=top_n,
        timezone=timezone,
        cadence=cadence,
        follows_only=follows_only,
    )


async def unsubscribe(session: AsyncSession, chat_id: int, thread_id: int) -> bool:
    """Stop the push and keep the settings; False when there was nothing to stop."""
    sub = await chats.find_subscription(session, chat_id, thread_id)
    if sub is None or not sub.active:
        return False
    sub.active = False
    sub.next_push_at = None
    await session.flush()
    return True


async def change_subscription(
    session: AsyncSession,
    chat_id: int,
    thread_id: int,
    settings: Settings,
    *,
    push_time: str | None = None,
    top_n: int | None = None,
    toggle_section: str | None = None,
    full_sections: bool | None = None,
    cadence: str | None = None,
    follows_only: bool | None = None,
) -> SubscriptionView:
    """Change one setting; a chat without a subscription gets an inactive one holding it."""
    sub = await _get_or_create(session, chat_id, thread_id, settings)
    if full_sections is not None:
        sub.full_sections = full_sections
    return await _apply(
        session,
        sub,
        push_time=push_time,
        top_n=top_n,
        toggle_section=toggle_section,
        cadence=cadence,
        follows_only=follows_only,
    )


async def _apply(
    session: AsyncSession,
    sub: m.Subscription,
    *,
    push_time: str | None = None,
    top_n: int | None = None,
    timezone: str | None = None,
    toggle_section: str | None = None,
    cadence: str | None = None,
    follows_only: bool | None = None,
) -> SubscriptionView:
    """Store the settings that were given; None leaves one as it is."""
    if cadence is not None:
        sub.cadence = m.Cadence(cadence)
    if follows_only is not None:
        sub.follows_only = follows_only
    if push_time is not None:
        sub.push_time = push_time
    if top_n is not None:
        sub.top_n = top_n
    if timezone is not None:
        sub.timezone = timezone
    if sub.active and (push_time is not None or timezone is not None):
        sub.next_push_at = EPOCH  # a new time: the next push tick works it out again
    if toggle_section is not None:
        sub.sections = toggled_sections(sub.sections, toggle_section)
    await session.flush()
    return _view(sub)


def toggled_sections(chosen: Sequence[str], name: str) -> list[str]:
    """``chosen`` with ``name`` added, or removed when there (in any spelling: ``What’s
    New`` is ``What's New``); in the order of SECTION_CHOICES, so the stored list is
    stable, then any other names sorted. Known names are stored as SECTION_CHOICES
    spells them, and each section once."""
    canonical = {section_key(s): s for s in SECTION_CHOICES}
    keys: dict[str, str] = {}
    for section in chosen:
        keys.setdefault(section_key(section), canonical.get(section_key(section), section))
    key = section_key(name)
    if key in keys:
        del keys[key]
    else:
        keys[key] = canonical.get(key, name)
    known = [s for s in SECTION_CHOICES if section_key(s) in keys]
    return known + sorted(v for k, v in keys.items() if k not in canonical)
