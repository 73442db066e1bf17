"""The ``digestbot`` command: the one place where settings, database, source and bot
are wired together. ``main`` is the console script; the subcommands register themselves
on the Typer app of ``digestbot.cli.app`` when their modules are imported, here."""

from __future__ import annotations

from digestbot.cli import answers, archive, health, ops
from digestbot.cli.app import main

__all__ = ["main"]

_COMMANDS = (answers, archive, health, ops)
