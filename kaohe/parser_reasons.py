"""What a parser of the standard library or PyYAML found wrong, in kaohe's own marked words (issue 22).

The parsers write English sentences of their own (`JSONDecodeError.msg`, PyYAML's `problem`, the ValueError of
`datetime.fromisoformat`); kaohe quotes none of them to a person. Each reason here is recognised by the start of
the library's sentence and answered with a marked message, in the reader's language; the position (line and
column) is the caller's to add. Standard library only (the engine and the CLI use it).
"""

from __future__ import annotations

from kaohe.i18n import _


def json_problem(message: str) -> str:
    """What Python's json decoder found wrong (its `JSONDecodeError.msg`)."""
    if message.startswith("Expecting value"):
        return _("a value was expected")
    if message.startswith("Expecting property name"):
        return _("a property name in double quotes was expected")
    if message.startswith("Expecting ':'"):
        return _("':' was expected")
    if message.startswith("Expecting ','"):
        return _("',' was expected")
    if message.startswith("Unterminated string"):
        return _("a string is not closed")
    if message.startswith("Invalid control character"):
        return _("a control character inside a string")
    if message.startswith("Invalid \\"):
        return _("an escape sequence is not valid")
    if message.startswith("Extra data"):
        return _("more text after the value")
    return _("not JSON")


# PyYAML's problems (scanner, parser, composer, constructor of the safe loader) by how they start, in the order
# tried; `tests/engine/scoring/test_documents.py` reads PyYAML's source and fails on a problem not covered here.
YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("found character", "cannot start"),
    ("could not find expected ':'", "colon"),
    ("mapping values are not allowed here", "mapping value"),
    ("sequence entries are not allowed here", "sequence entry"),
    ("mapping keys are not allowed here", "mapping key"),
    ("found unexpected end of stream", "end of stream"),
    ("found unexpected document separator", "separator"),
    ("found unknown escape character", "escape"),
    ("expected escape sequence", "escape"),
    ("expected URI escape sequence", "escape"),
    ("expected alphabetic or numeric character", "name"),
    ("expected a comment or a line break", "line end"),
    ("expected <block end>", "block end"),
    ("expected ',' or ']'", "flow sequence"),
    ("expected ',' or '}'", "flow mapping"),
    ("expected the node content", "value"),
    ("expected '<document start>'", "one document"),
    ("but found another document", "one document"),
    ("found unhashable key", "key"),
    ("could not determine a constructor for the tag", "tag"),
    ("expected chomping or indentation indicators", "block scalar"),
    ("expected indentation indicator", "block scalar"),
    ("found duplicate YAML directive", "directive"),
    ("found incompatible YAML document", "directive"),
    ("duplicate tag handle", "directive"),
    ("found undefined tag handle", "directive"),
    ("expected a digit", "directive"),
    ("expected ' '", "directive"),
    ("expected '!'", "tag"),
    ("expected URI", "tag"),
    ("expected '>'", "tag"),
    ("found undefined alias", "alias"),
)


def yaml_problem(problem: str | None) -> str:
    """What PyYAML found wrong (a `MarkedYAMLError`'s `problem`)."""
    kind = next((kind for start, kind in YAML_PROBLEMS if (problem or "").startswith(start)), None)
    if kind == "cannot start":
        return _("a character that cannot start a value here (a tab for indenting, or a character such as @ or ` "
                 "at the start of a value: quote it)")
    if kind == "colon":
        return _("':' was expected after a key")
    if kind == "mapping value":
        return _("'key: value' is not allowed here (check the indentation, or quote a value that holds ': ')")
    if kind == "sequence entry":
        return _("a list entry ('- ') is not allowed here (check the indentation)")
    if kind == "mapping key":
        return _("a key is not allowed here (check the indentation)")
    if kind == "end of stream":
        return _("the document ends inside a quoted string or a value")
    if kind == "separator":
        return _("a document separator (--- or ...) inside a value")
    if kind == "escape":
        return _("an escape sequence is not valid")
    if kind == "name":
        return _("an anchor, alias or tag name is not valid")
    if kind == "line end":
        return _("only a comment or the end of the line may follow here")
    if kind == "block end":
        return _("the indentation does not match the lines above")
    if kind == "flow sequence":
        return _("',' or ']' was expected")
    if kind == "flow mapping":
        return _("',' or '}' was expected")
    if kind == "value":
        return _("a value was expected")
    if kind == "one document":
        return _("the text holds more than one document (a line ---)")
    if kind == "key":
        return _("a key must be a single value, not a list or a mapping")
    if kind == "tag":
        return _("tags (!name) are not allowed")
    if kind == "block scalar":
        return _("the header of a block text (| or >) is not valid")
    if kind == "directive":
        return _("YAML directives are not allowed")
    if kind == "alias":
        return _("YAML anchors and aliases are not allowed")
    return _("not valid YAML")


def yaml_reader_problem(character: object) -> str:
    """PyYAML's reader refusing a character (a `ReaderError`: a control character YAML does not allow)."""
    if isinstance(character, int):
        code = "U+%04X" % character  # noqa: UP031 (an f-string here is taken for a message by the extractor)
        return _("the character %(character)s is not allowed in YAML", character=code)
    return _("a character that is not allowed in YAML")


def iso_date_problem(kind: str) -> str:
    """Why a date, time or date and time is not read (the ValueError of `fromisoformat` or dateutil's `isoparse`
    says it in Python's English): what kaohe expects instead, a sentence of its own."""
    if kind == "Date":
        return _("Expected a date such as 2026-03-31.")
    if kind == "Time":
        return _("Expected a time such as 17:30.")
    return _("Expected a date and time such as 2026-03-31T17:30:00+08:00.")
