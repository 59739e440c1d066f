"""Reading a scheme or facts document (YAML or JSON, UTF-8): the engine's only file access."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import yaml

from .checks import pointer as json_pointer


class DocumentError(ValueError):
    """A document that cannot be read: bad YAML/JSON, not a mapping, or too large."""


def _read(source: str | bytes | pathlib.Path, max_bytes: int) -> bytes:
    if isinstance(source, pathlib.Path):
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise DocumentError(f"cannot read {source}: {exc.strerror}") from exc
        if size > max_bytes:
            raise DocumentError(f"document is too large ({size} bytes; the limit is {max_bytes})")
        return source.read_bytes()
    data = source.encode() if isinstance(source, str) else bytes(source)
    if len(data) > max_bytes:
        raise DocumentError(f"document is too large ({len(data)} bytes; the limit is {max_bytes})")
    return data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"document is not UTF-8 text (bad byte at offset {exc.start})") from exc


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc


def _parse_yaml(text: str, max_bytes: int) -> Any:
    # Aliases can expand a small file into a huge tree ("billion laughs"); a scheme never needs them.
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.AliasToken | yaml.AnchorToken):
                mark = token.start_mark
                raise DocumentError(
                    f"YAML anchors and aliases are not allowed (line {mark.line + 1}, column {mark.column + 1})"
                )
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise DocumentError(f"malformed YAML{where}: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise DocumentError(f"malformed YAML: {exc}") from exc


# JSON and YAML can escape half of a UTF-16 pair ("\\ud800"); such text has no UTF-8 form, so it can be
# neither hashed (inputs_sha256) nor stored. Only an escape can produce one, so the walk runs only then.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


def _lone_surrogate(value: Any, pointer: str) -> str | None:
    """The JSON pointer of the first text (key or value) holding a lone surrogate, or None."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return pointer or "/"
        return None
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        step = json_pointer(pointer, key)
        found = _lone_surrogate(key, step) if isinstance(key, str) else None
        found = found or _lone_surrogate(item, step)
        if found:
            return found
    return None


def load_document(source: str | bytes | pathlib.Path, *, max_bytes: int = 10 * 2**20) -> dict[str, Any]:
    """Read a YAML or JSON document (str/bytes are its text, a Path is read) into a dict; raises DocumentError."""
    text = _decode(_read(source, max_bytes))
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            try:  # YAML flow style also starts with "{"
                data = _parse_yaml(text, max_bytes)
            except DocumentError:
                data = _parse_json(text)  # report the JSON error: that is what was meant
    else:
        data = _parse_yaml(text, max_bytes)
    if _SURROGATE_ESCAPE.search(text):
        try:
            where = _lone_surrogate(data, "")
        except RecursionError as exc:
            raise DocumentError("the document is nested too deeply") from exc
        if where:
            where = where.encode("utf-8", "backslashreplace").decode()  # the message must be printable itself
            raise DocumentError(f"text at {where} holds a lone UTF-16 surrogate (\\ud800–\\udfff), not a character")
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise DocumentError(f"the document must be a mapping (key: value) at the top level, not {kind}")
    return data
