"""``/settings``: a message with buttons (push time, number of papers, sections,
language) that edits itself as they are pressed. Anyone may open a picker; a change in a
group or channel needs an administrator."""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, Update

from digestbot.bot import keyboards
from digestbot.bot.context import (
    Context,
    Turn,
    button,
    command,
    edit_or_ignore_unchanged,
    may_change_chat,
    reply,
)
from digestbot.config import LANGUAGES
from digestbot.present import args
from digestbot.present.callbacks import (
    SettingsAction,
    SettingsCallback,
    SettingsMenu,
    parse_settings,
)
from digestbot.present.html import esc, render_settings
from digestbot.present.i18n import t
from digestbot.services import subscriptions
from digestbot.services.subscriptions import SubscriptionView


async def _settings_view(turn: Turn) -> SubscriptionView:
    async with turn.res.sessions() as session:
        sub = await subscriptions.get_subscription(session, turn.chat.id, turn.thread_id)
    return sub or subscriptions.default_subscription(turn.res.settings)


def _settings_text(sub: SubscriptionView, lang: str, menu: SettingsMenu) -> str:
    text = render_settings(
        active=sub.active,
        push_time=sub.push_time,
        timezone=sub.timezone,
        top_n=sub.top_n,
        sections=sub.sections,
        lang=lang,
        full_sections=sub.full_sections,
        cadence=sub.cadence,
        follows_only=sub.follows_only,
    )
    prompt = {
        SettingsMenu.TIME: t(lang, "settings.pick_time", tz=esc(sub.timezone)),
        SettingsMenu.COUNT: t(lang, "settings.pick_count"),
        SettingsMenu.SECTIONS: t(lang, "settings.pick_sections"),
        SettingsMenu.LANGUAGE: t(lang, "settings.pick_language"),
        SettingsMenu.FULL: t(lang, "settings.pick_full"),
        SettingsMenu.CADENCE: t(lang, "settings.pick_cadence"),
    }.get(menu)
    return f"{text}\n\n{prompt}" if prompt else text


@command
async def settings_command(update: Update, context: Context, turn: Turn) -> None:
    sub = await _settings_view(turn)
    await reply(
        update,
        _settings_text(sub, turn.lang, SettingsMenu.MAIN),
        keyboards.settings_keyboard(SettingsMenu.MAIN, sub, turn.lang),
    )


@button(parse_settings)
async def on_settings_button(
    update: Update,
    context: Context,
    turn: Turn,
    query: CallbackQuery,
    action: SettingsCallback,
) -> None:
    if action.action is SettingsAction.MENU:
        menu = (
            SettingsMenu(action.value) if action.value in tuple(SettingsMenu) else SettingsMenu.MAIN
        )
        sub = await _settings_view(turn)
        await query.answer()
        await edit_or_ignore_unchanged(
            query,
            _settings_text(sub, turn.lang, menu),
            keyboards.settings_keyboard(menu, sub, turn.lang),
        )
        return
    if not await may_change_chat(update, context):
        await query.answer(t(turn.lang, "sub.admins_only"), show_alert=True)
        return
    change = settings_change(action)
    if change is None:
        await query.answer()
        return
    menu, values = change
    lang = turn.lang
    async with turn.res.sessions.begin() as session:
        if menu is SettingsMenu.LANGUAGE:
            lang = action.value
            await subscriptions.set_language(session, turn.chat.id, lang)
            sub = await subscriptions.get_subscription(
                session, turn.chat.id, turn.thread_id
            ) or subscriptions.default_subscription(turn.res.settings)
        else:
            sub = await subscriptions.change_subscription(
                session, turn.chat.id, turn.thread_id, turn.res.settings, **values
            )
    await query.answer(t(lang, "settings.saved"))
    await edit_or_ignore_unchanged(
        query, _settings_text(sub, lang, menu), keyboards.settings_keyboard(menu, sub, lang)
    )


def settings_change(action: SettingsCallback) -> tuple[SettingsMenu, dict[str, Any]] | None:
    """A settings button → (the picker to show again, the change to make); None if junk."""
    value = action.value
    if action.action is SettingsAction.TIME and value.isdigit() and len(value) == 4:
        try:
            hhmm = args.parse_time(f"{value[:2]}:{value[2:]}")
        except args.BadCommandArgument:
            return None
        if hhmm in subscriptions.TIME_CHOICES:
            return SettingsMenu.TIME, {"push_time": hhmm}
    if (
        action.action is SettingsAction.COUNT
        and value.isdigit()
        and int(value) in subscriptions.COUNT_CHOICES
    ):
        return SettingsMenu.COUNT, {"top_n": int(value)}
    if (
        action.action is SettingsAction.SECTION
        and value.isdigit()
        and int(value) < len(subscriptions.SECTION_CHOICES)
    ):
        return SettingsMenu.SECTIONS, {"toggle_section": subscriptions.SECTION_CHOICES[int(value)]}
    if action.action is SettingsAction.CADENCE and value in subscriptions.CADENCE_CHOICES:
        return SettingsMenu.CADENCE, {"cadence": value}
    if action.action is SettingsAction.FOLLOWS_ONLY and value in ("0", "1"):
        return SettingsMenu.MAIN, {"follows_only": value == "1"}
    if action.action is SettingsAction.LANGUAGE and value in LANGUAGES:
        return SettingsMenu.LANGUAGE, {}
    if action.action is SettingsAction.FULL and value in ("0", "1"):
        return SettingsMenu.FULL, {"full_sections": value == "1"}
    return None
