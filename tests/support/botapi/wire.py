"""What goes back on the wire: Telegram's JSON answers and the reply to one request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file sent in a multipart/form-data request (sendDocument)."""

    file_name: str
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    drop: bool = False  # close the connection instead of answering


def ok_body(result: Any) -> bytes:
    return _dumps({"ok": True, "result": result})


def error_body(status: int, description: str, parameters: JSONDict | None = None) -> bytes:
    data: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        data["parameters"] = parameters
    return _dumps(data)


def _dumps(data: JSONDict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
