"""Files shipped inside the package (``importlib.resources``), so they are found wherever
digestbot is installed: the documented default configuration and the sample digests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["default_config_file", "sample_digests"]


def _data(name: str) -> Path:
    # an installed package lives on the file system (wheels are unpacked), so the
    # traversable is a real path; a zipped install would need resources.as_file
    return Path(str(resources.files("digestbot") / "data" / name))


def default_config_file() -> Path:
    """``digestbot.toml``: every setting with its default and what it means."""
    return _data("digestbot.toml")


def sample_digests() -> Path:
    """Nine real digests (CC BY-NC-ND, see the README beside them) in the archive's
    ``YYYY/MM/DD.md`` layout: what ``digestbot run`` shows without a token."""
    return _data("samples")
