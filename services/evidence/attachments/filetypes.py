"""What an attachment's bytes are, told by puremagic's signatures (head and tail of the file), against
the type the client declared (issue 21, item 7): HTML declared `image/png` or an executable declared
`application/pdf` is refused, and so is an empty file.

Signatures are puremagic's; what is written here is only which detected formats each allowed type may
be. Office files are containers: every OOXML, ODF and OFD file is a zip and every legacy Office or WPS
file an OLE compound file, whose signatures do not tell a document from a spreadsheet, so those types
accept their container. Plain text has no signature: a text type accepts bytes puremagic does not
recognise, that hold no NUL and read as UTF-8 or GB18030, and never markup a browser would run.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import puremagic

from kaohe.i18n import _

SNIFF_BYTES = 64 * 1024

_ZIP = frozenset({".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"})
_OLE = frozenset({".doc", ".xls", ".ppt", ".wps", ".et", ".dps", ".msg"})
EXPECTED: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({".pdf"}),
    "image/png": frozenset({".png"}),
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "image/tiff": frozenset({".tif", ".tiff"}),
    "image/bmp": frozenset({".bmp", ".dib"}),
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/vnd.ms-powerpoint": _OLE,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ZIP,
    "application/vnd.oasis.opendocument.text": _ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": _ZIP,
    "application/wps-office.wps": _OLE | _ZIP,  # WPS writes both its legacy and the OOXML container
    "application/wps-office.et": _OLE | _ZIP,
    "application/wps-office.dps": _OLE | _ZIP,
    "application/kswps": _OLE | _ZIP,
    "application/ofd": _ZIP,  # OFD (GB/T 33190) is a zip of XML parts
}
TEXT_TYPES = frozenset({"text/plain", "text/csv"})
# what a browser or an office suite may run: never accepted as text whatever the declaration
_ACTIVE = frozenset({"text/html", "image/svg+xml", "application/xml", "text/xml", "application/xhtml+xml",
                     "application/javascript", "text/javascript"})


def _detected(path: Path) -> list[puremagic.PureMagicWithConfidence]:
    try:
        return list(puremagic.magic_file(path))
    except (puremagic.PureError, ValueError):
        return []


def _name(found: list[puremagic.PureMagicWithConfidence]) -> str:
    """The most likely match that has a MIME type (the strongest signatures are often obscure formats)."""
    named = next((f for f in found if f.mime_type), found[0])
    return named.mime_type or f"{named.name} ({named.extension})"


def _reads_as_text(path: Path) -> bool:
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:  # incremental: the sniffed head may end inside a character
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def mismatch(path: Path, declared: str) -> str | None:
    """None when the bytes at `path` may be `declared`, else what they look like (for the message)."""
    found = _detected(path)
    if declared in TEXT_TYPES:
        active = [f for f in found if f.mime_type in _ACTIVE]
        if active:
            return str(active[0].mime_type)
        if not _reads_as_text(path):
            return _("binary data, not text")
        return None
    if not found:
        return _("not a recognised format")
    if {f.extension.lower() for f in found} & EXPECTED.get(declared, frozenset()):
        return None
    return _name(found)
