"""Request parameters: decoded from the body (form or JSON) and read with Telegram's checks.

python-telegram-bot sends ``application/x-www-form-urlencoded`` bodies with JSON-encoded
objects; a JSON body works too.  A ``multipart/form-data`` body (a file upload: what the
bot sends with sendDocument) gives its text fields as text and each file part as an
``UploadedFile`` (name, bytes, type).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from tests.support.botapi.errors import bad
from tests.support.botapi.wire import JSONDict, UploadedFile

# the types of the fields of the modelled methods (form values all arrive as text)
_JSON_FIELDS = frozenset({"reply_markup", "results", "commands", "link_preview_options", "button"})
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "message_thread_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "max_connections",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset({"show_alert", "drop_pending_updates", "allow_paid_broadcast"})


def decode_params(content_type: str, body: bytes) -> JSONDict:
    """The parameters of a request; ValueError if the body cannot be decoded."""
    raw: JSONDict = {}
    if body:
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind == "application/json":
            loaded = json.loads(body)
            if not isinstance(loaded, dict):
                raise ValueError("JSON body must be an object")
            raw.update(loaded)
        elif kind == "multipart/form-data":
            raw.update(_multipart(content_type, body))
        else:  # application/x-www-form-urlencoded
            raw.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {key: _coerce(key, value) for key, value in raw.items()}


def _multipart(content_type: str, body: bytes) -> JSONDict:
    """The fields of a multipart/form-data body (RFC 7578); ValueError if malformed."""
    if "boundary=" not in content_type:
        raise ValueError("multipart body without a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    fields: JSONDict = {}
    for part in message.iter_parts():
        if part.get_content_disposition() != "form-data":
            raise ValueError("a multipart part that is not form-data")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise ValueError("a form-data part without a name")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        file_name = part.get_filename()
        if file_name is not None:
            fields[name] = UploadedFile(file_name, data, part.get_content_type())
        else:
            fields[name] = data.decode("utf-8")
    return fields


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value) if value else value
        if name in _INT_FIELDS:
            return int(value)
        if name in _FLOAT_FIELDS:
            number = float(value)
            return int(number) if number.is_integer() else number
    except ValueError:
        return value  # left as text; the method handler reports the problem
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def opt_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    return value


def opt_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f'field "{name}" must be of type Integer')
    return value


def req_int(params: Mapping[str, Any], name: str) -> int:
    value = opt_int(params, name)
    if value is None:
        raise bad(f"{name} is empty")
    return value


def opt_bool(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) is True


def json_field(params: Mapping[str, Any], name: str, error: str) -> Any:
    """A JSON-object field, None when absent; a field that did not decode is ``error``."""
    value = params.get(name)
    if isinstance(value, str):
        if value == "":
            return None
        raise bad(error)
    return value
