"""Reading a scheme or facts document (YAML or JSON, UTF-8): the engine's only file access."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import yaml

from kaohe.i18n import _
from kaohe.parser_reasons import json_problem, yaml_problem, yaml_reader_problem

from .checks import pointer as json_pointer


class DocumentError(ValueError):
    """A document that cannot be read: bad YAML/JSON, not a mapping, or too large. Its one argument is a marked
    message (kaohe.i18n), rendered in the caller's language where it is shown."""


class DocumentLimit(DocumentError):
    """A document past a structural limit, found before parsing: `pointer` says where, the text why."""

    def __init__(self, pointer: str, sentence: str) -> None:
        super().__init__(_("%(pointer)s: %(sentence)s", pointer=pointer or "/", sentence=sentence))
        self.pointer = pointer
        self.sentence = sentence


# Checked on the text before any parser builds a tree (issue 21, item 22): parsers recurse (Python's
# json and yaml fail near a thousand levels), PyYAML's scanner goes quadratic on deep flow nesting, and
# int() refuses more than 4,300 digits. A scheme is a handful of levels deep (a tree of five indicator
# levels is about twelve) and its numbers a few digits.
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100


def _too_deep(path: list[str | int]) -> DocumentLimit:
    return DocumentLimit(_pointer(path), _("nested deeper than %(depth)s levels", depth=MAX_DEPTH))


def _too_long(path: list[str | int], length: int) -> DocumentLimit:
    return DocumentLimit(_pointer(path), _("a number of %(length)s characters; at most %(most)s are read",
                                           length=length, most=MAX_NUMBER_CHARS))


def _pointer(path: list[str | int]) -> str:
    out = ""
    for key in path:
        out = json_pointer(out, key)
    return out


# JSON text as tokens: a string, a structural character, a number; anything else is skipped
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|-?[0-9][0-9.eE+-]*')


def _check_json(text: str) -> None:
    """Depth and number length of JSON text, one regular-expression pass (no tree is built)."""
    path: list[str | int] = []  # per open container: the key (object) or index (array) being read
    objects: list[bool] = []
    key_next = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            if key_next and objects and objects[-1]:
                try:
                    path[-1] = json.loads(token)
                except ValueError:
                    path[-1] = token[1:-1]
                key_next = False
        elif first in "[{":
            if len(path) >= MAX_DEPTH:
                raise _too_deep(path)
            objects.append(first == "{")
            path.append("" if first == "{" else 0)
            key_next = first == "{"
        elif first in "]}":
            if path:
                path.pop()
                objects.pop()
            key_next = False
        elif first == ",":
            if objects and objects[-1]:
                key_next = True
            elif path:
                index = path[-1]
                path[-1] = index + 1 if isinstance(index, int) else 0
        elif first == ":":
            key_next = False
        elif len(token) > MAX_NUMBER_CHARS:
            raise _too_long(path, len(token))


# a plain YAML scalar that the loader would turn into an int or a float (any base, sexagesimal, exponent)
_YAML_NUMBER = re.compile(r"[-+]?(?:[0-9][0-9_:.eE+-]*|\.[0-9][0-9_eE+-]*|0[xob][0-9a-fA-F_]+)")


class _Walk:
    """The JSON pointer of where a YAML token stream is, and its depth, kept token by token."""

    def __init__(self) -> None:
        self.path: list[str | int] = []
        self.kinds: list[str] = []  # "map", "seq", or "bare" (a block sequence without its own start token)
        self.key_next = False

    def open(self, kind: str) -> None:
        if len(self.path) >= MAX_DEPTH:
            raise _too_deep(self.path)
        self.kinds.append(kind)
        self.path.append("" if kind == "map" else -1 if kind == "seq" else 0)
        self.key_next = False

    def close(self) -> None:
        if self.kinds and self.kinds[-1] == "bare":
            self.kinds.pop()
            self.path.pop()
        if self.kinds:
            self.kinds.pop()
            self.path.pop()

    def token(self, token: Any) -> None:
        if isinstance(token, yaml.BlockMappingStartToken | yaml.FlowMappingStartToken):
            self.open("map")
        elif isinstance(token, yaml.BlockSequenceStartToken):
            self.open("seq")
        elif isinstance(token, yaml.FlowSequenceStartToken):
            self.open("seq")
            self.path[-1] = 0
        elif isinstance(token, yaml.BlockEndToken | yaml.FlowMappingEndToken | yaml.FlowSequenceEndToken):
            self.close()
        elif isinstance(token, yaml.KeyToken):
            if self.kinds and self.kinds[-1] == "bare":  # a key of the mapping ends its bare sequence
                self.kinds.pop()
                self.path.pop()
            self.key_next = True
        elif isinstance(token, yaml.ValueToken):
            self.key_next = False
        elif isinstance(token, yaml.BlockEntryToken):
            if self.kinds and self.kinds[-1] == "map":
                self.open("bare")
            elif self.path and isinstance(self.path[-1], int):
                self.path[-1] += 1
        elif isinstance(token, yaml.FlowEntryToken):
            if self.kinds and self.kinds[-1] == "seq" and isinstance(self.path[-1], int):
                self.path[-1] += 1
        elif isinstance(token, yaml.ScalarToken):
            if self.key_next and self.kinds and self.kinds[-1] == "map":
                self.path[-1] = token.value
                self.key_next = False
            elif token.plain and len(token.value) > MAX_NUMBER_CHARS and _YAML_NUMBER.fullmatch(token.value):
                raise _too_long(self.path, len(token.value))


def _read(source: str | bytes | pathlib.Path, max_bytes: int) -> bytes:
    if isinstance(source, pathlib.Path):
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise DocumentError(_("cannot read %(source)s: %(reason)s", source=source, reason=exc.strerror)) from exc
        if size > max_bytes:
            raise DocumentError(_("document is too large (%(size)s bytes; the limit is %(limit)s)", size=size,
                                  limit=max_bytes))
        return source.read_bytes()
    data = source.encode() if isinstance(source, str) else bytes(source)
    if len(data) > max_bytes:
        raise DocumentError(_("document is too large (%(size)s bytes; the limit is %(limit)s)", size=len(data),
                              limit=max_bytes))
    return data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(_("document is not UTF-8 text (bad byte at offset %(offset)s)", offset=exc.start)) from exc


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(_("malformed JSON at line %(line)s, column %(column)s: %(reason)s", line=exc.lineno,
                              column=exc.colno, reason=json_problem(exc.msg))) from exc


def _parse_yaml(text: str, max_bytes: int) -> Any:
    # Aliases can expand a small file into a huge tree ("billion laughs"); a scheme never needs them.
    # The scan (no tree, no recursion) also measures depth and numbers before the parser runs.
    walk = _Walk()
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.AliasToken | yaml.AnchorToken):
                mark = token.start_mark
                raise DocumentError(_("YAML anchors and aliases are not allowed (line %(line)s, column %(column)s)",
                                      line=mark.line + 1, column=mark.column + 1))
            walk.token(token)
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        reason = yaml_problem(exc.problem)  # kaohe's words, not PyYAML's English
        if mark is None:
            raise DocumentError(_("malformed YAML: %(reason)s", reason=reason)) from exc
        raise DocumentError(_("malformed YAML at line %(line)s, column %(column)s: %(reason)s", line=mark.line + 1,
                              column=mark.column + 1, reason=reason)) from exc
    except yaml.reader.ReaderError as exc:
        raise DocumentError(_("malformed YAML: %(reason)s", reason=yaml_reader_problem(exc.character))) from exc
    except yaml.YAMLError as exc:
        raise DocumentError(_("malformed YAML: %(reason)s", reason=yaml_problem(None))) from exc


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
        _check_json(text)
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
            raise DocumentError(_("the document is nested too deeply")) from exc
        if where:
            where = where.encode("utf-8", "backslashreplace").decode()  # the message must be printable itself
            raise DocumentError(_("text at %(where)s holds a lone UTF-16 surrogate (\\ud800–\\udfff), not a character",
                                  where=where))
    if not isinstance(data, dict):
        kind = _("empty") if data is None else type(data).__name__
        raise DocumentError(_("the document must be a mapping (key: value) at the top level, not %(kind)s", kind=kind))
    return data
