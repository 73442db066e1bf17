"""Where digests come from. Today: the Korean archive's files (a URL template over HTTP, a
local folder, one file); each source is a module here."""

from __future__ import annotations

from digestbot.digest.sources.archive import (
    DigestSource,
    Fetched,
    FileSource,
    FolderSource,
    HttpSource,
    fill_template,
    make_source,
)

__all__ = [
    "DigestSource",
    "Fetched",
    "FileSource",
    "FolderSource",
    "HttpSource",
    "fill_template",
    "make_source",
]
