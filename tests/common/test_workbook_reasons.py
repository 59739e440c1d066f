"""A file that is not an .xlsx workbook is refused in kaohe's words, in both languages, not zipfile's English."""

from __future__ import annotations

import io
import zipfile

import pytest

from kaohe.i18n import localize
from services.common.errors import InvalidInput
from services.common.workbook import open_workbook


def _damaged() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook>" + "x" * 1000 + "</workbook>")
    data = bytearray(buffer.getvalue())
    start = data.index(b"PK\x03\x04") + 30 + len("xl/workbook.xml")  # the compressed bytes of the one part
    data[start:start + 8] = b"\xff" * 8
    return bytes(data)


@pytest.mark.parametrize(("data", "english", "chinese"), [
    (b"a,b\n1,2\n", "not a readable .xlsx workbook: not a zip archive", "不是可读取的 .xlsx 工作簿：不是 zip 压缩包"),
    (_damaged(), "not a readable .xlsx workbook: the archive is damaged", "不是可读取的 .xlsx 工作簿：压缩包已损坏"),
])
def test_an_unreadable_file_in_both_languages(data: bytes, english: str, chinese: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        open_workbook(data)
    assert (localize(caught.value.message, "en"), localize(caught.value.message, "zh-CN")) == (english, chinese)
