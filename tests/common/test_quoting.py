"""User input quoted in messages is shown with its control and bidirectional-formatting characters escaped
(services/common/quoting.py, applied by kaohe.i18n to every marked message's text parameters)."""

from __future__ import annotations

import pytest

from kaohe.i18n import _, localize
from services.common.quoting import visible


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain 甲街道 text", "plain 甲街道 text"),
    ("gnp\u202eexe", "gnp\\u202eexe"),  # RIGHT-TO-LEFT OVERRIDE
    ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),  # embeddings, pop, left-to-right override
    ("a\u2066b\u2067c\u2068d\u2069", "a\\u2066b\\u2067c\\u2068d\\u2069"),  # isolates
    ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),  # the marks
    ("\x00\x07\t\n\r\x1b[31m\x7f", "\\u0000\\u0007\\u0009\\u000a\\u000d\\u001b[31m\\u007f"),  # C0 and DEL
    ("\x80\x85\x9f", "\\u0080\\u0085\\u009f"),  # C1
    ("\u2028\u2029", "\\u2028\\u2029"),  # line and paragraph separators
    ("\u200d\u00a0\u3000", "\u200d\u00a0\u3000"),  # a joiner and spaces are text, left as they are
])
def test_visible_escapes_controls_and_bidi_formatting(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_a_marked_message_escapes_its_text_parameters_in_both_languages() -> None:
    message = _("unit %(unit_id)s does not exist", unit_id="u\u202eexe.txt")
    assert message == "unit u\\u202eexe.txt does not exist"
    assert localize(message, "zh-CN") == "单位 u\\u202eexe.txt 不存在"
    assert message.params == {"unit_id": "u\u202eexe.txt"}  # the input itself is kept (stored texts re-render it)


def test_repr_placeholders_and_nested_messages_are_not_escaped_twice() -> None:
    assert _("indicator %(indicator)r is not in the period's scheme", indicator="a\u202eb") == (
        "indicator 'a\\u202eb' is not in the period's scheme")
    inner = _("unit %(unit_id)s does not exist", unit_id="x\x1b")
    outer = _("webhook URL refused: %(exc)s", exc=inner)
    assert outer == "webhook URL refused: unit x\\u001b does not exist"
    assert localize(outer, "zh-CN") == "Webhook 地址被拒绝：单位 x\\u001b 不存在"


def test_an_exceptions_words_are_escaped() -> None:
    assert _("malformed notice: %(exc)s", exc=KeyError("k")) == "malformed notice: 'k'"
    assert _("malformed notice: %(exc)s", exc=ValueError("bad \u2067value")) == "malformed notice: bad \\u2067value"
