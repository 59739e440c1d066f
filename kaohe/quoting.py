"""User input quoted in a message, made visible: control and bidirectional-formatting characters are written as
escapes (`\\u202e`) instead of being echoed raw.

A name, code or id typed by a caller and echoed in an error ("unit \u202egnp.exe does not exist") could otherwise
reverse the rest of the line on the reader's screen, hide text, or break a log line or a terminal. The characters
escaped are the C0 controls and DEL, the C1 controls, the bidirectional marks, embeddings, overrides and isolates
(U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators (U+2028, U+2029).

Every marked message applies it to its parameters (`kaohe.i18n`): a parameter that is plain text (not itself a
marked message) is shown through `visible` wherever it is quoted with `%(name)s`; `%(name)r` quotes it through
Python's `repr`, which escapes these characters already (docs/decisions.md, "Probe defects: scope first, quoting,
webhooks"). It lives beside `kaohe.i18n` because the engine's messages quote input too (a scheme's codes) and the
engine loads no service module; the services and the gateway reach it as `services.common.quoting`."""

from __future__ import annotations

import re

INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def visible(text: str) -> str:
    """`text` with every control and bidirectional-formatting character written as `\\uXXXX`."""
    return INVISIBLE.sub(_escape, text) if INVISIBLE.search(text) else text


def needs_escaping(text: str) -> bool:
    """Whether `visible` would change `text`."""
    return INVISIBLE.search(text) is not None
