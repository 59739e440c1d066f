"""Reading an uploaded xlsx without letting it decide how much memory, time or text it gets.

An xlsx is a zip of XML parts. A small upload whose one cell unzipped to hundreds of MiB took seconds
and gigabytes of memory and came back as an error message as long as the cell; an XML entity (external,
or the billion laughs) made the parser raise an error nobody caught (issue 21, item 23). Here: the zip's
parts are measured before anything is parsed (declared sizes first, then the real bytes while looking
for a DOCTYPE, which no spreadsheet program writes), every failure of the zip or XML readers is bad
input, every cell is at most Excel's own 32,767 characters, and a message quotes at most a short excerpt
of any value.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from typing import Any

from openpyxl import load_workbook

from kaohe.i18n import _
from services.common.errors import DomainError, InvalidInput

log = logging.getLogger("kaohe.workbook")

MAX_UNZIPPED = 50 * 2**20  # every part of the workbook together, unzipped
MAX_PARTS = 1_000
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
EXCERPT_CHARS = 40
_CHUNK = 2**20
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A value for a message: its text, or its first `limit` characters and how long it is."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _bad(reason: str) -> InvalidInput:
    return InvalidInput(_("not a readable .xlsx workbook: %(reason)s", reason=reason), details={"field": "file"})


def _check_parts(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _bad(_("more than %(parts)s parts", parts=MAX_PARTS))
        declared = sum(part.file_size for part in parts)
        if declared > MAX_UNZIPPED:
            raise _bad(_("it unzips to %(size)s MiB; at most %(limit)s MiB are read", size=declared // 2**20,
                           limit=MAX_UNZIPPED // 2**20))
        for part in parts:
            # the real bytes, never more than declared (zipfile stops there and checks the CRC)
            tail = b""
            with archive.open(part) as stream:
                while chunk := stream.read(_CHUNK):
                    window = tail + chunk
                    if any(marker in window for marker in _FORBIDDEN):
                        raise _bad(_("%(part)s declares XML entities (a DOCTYPE)", part=excerpt(part.filename)))
                    tail = window[-16:]
    except DomainError:
        raise
    except Exception as exc:  # a broken zip in any of the ways zipfile and zlib report it
        log.info("unreadable workbook: %s", type(exc).__name__)
        raise _bad(_("not a zip archive") if isinstance(exc, zipfile.BadZipFile)
                   else _("the archive is damaged")) from None  # zipfile's and zlib's English stays in the log


def open_workbook(data: bytes) -> Any:
    """The workbook, read-only with cached values, after its parts were measured."""
    _check_parts(data)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DomainError:
        raise
    except Exception as exc:  # openpyxl and the XML parser fail in many ways: each is a bad file
        log.info("unreadable workbook: %s", type(exc).__name__)
        raise _bad(_("not a zip archive") if isinstance(exc, zipfile.BadZipFile)
                   else _("the archive is damaged")) from None  # zipfile's and zlib's English stays in the log


def rows(sheet: Any, min_row: int = 1) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of a read-only sheet, parsed as it goes: a parse error or a cell over
    32,767 characters is bad input naming the row."""
    number = min_row - 1
    try:
        for number, values in enumerate(sheet.iter_rows(min_row=min_row, values_only=True), start=min_row):
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    raise InvalidInput(
                        _("row %(number)s, column %(column)s: a cell of %(length)s characters; at most "
                          "%(max_cell_chars)s are read (%(excerpt)s)", number=number, column=column,
                          length=len(value), max_cell_chars=MAX_CELL_CHARS, excerpt=excerpt(value)),
                        details={"field": "file", "line": number, "column": column})
            yield number, values
    except DomainError:
        raise
    except Exception as exc:
        log.info("unreadable workbook: %s", type(exc).__name__)
        raise InvalidInput(_("row %(row)s: not a readable .xlsx sheet: %(excerpt)s",
                             row=number + 1, excerpt=excerpt(exc, 120)),
                           details={"field": "file", "line": number + 1}) from None
