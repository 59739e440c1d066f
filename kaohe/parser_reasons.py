"""What a parser of the standard library or PyYAML found wrong, in kaohe's own marked words (issue 22).

The parsers write English sentences of their own (`JSONDecodeError.msg`, PyYAML's `problem`, the ValueError of
`datetime.fromisoformat`); kaohe quotes none of them to a person. Each reason here is recognised by the start of
the library's sentence and answered with a marked message, in the reader's language; the position (line and
column) is the caller's to add. Standard library only (the engine and the CLI use it).
"""

from __future__ import annotations

from kaohe.i18n import N_, Text, _

# json's reasons (`JSONDecodeError.msg`) by how they start
JSON_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("Expecting value", N_("a value was expected")),
    ("Expecting property name", N_("a property name in double quotes was expected")),
    ("Expecting ':'", N_("':' was expected")),
    ("Expecting ','", N_("',' was expected")),
    ("Unterminated string", N_("a string is not closed")),
    ("Invalid control character", N_("a control character inside a string")),
    ("Invalid \\", N_("an escape sequence is not valid")),
    ("Extra data", N_("more text after the value")),
)
NOT_JSON = N_("not JSON")

CANNOT_START = N_("a character that cannot start a value here (a tab for indenting, or a character such as @ or ` "
                  "at the start of a value: quote it)")
ESCAPE = N_("an escape sequence is not valid")
ONE_DOCUMENT = N_("the text holds more than one document (a line ---)")
BLOCK_SCALAR = N_("the header of a block text (| or >) is not valid")
DIRECTIVE = N_("YAML directives are not allowed")
TAG = N_("tags (!name) are not allowed")
# PyYAML's problems (scanner, parser, composer, constructor of the safe loader) by how they start, in the order
# tried; `tests/engine/scoring/test_documents.py` reads PyYAML's source and fails on a problem not covered here.
YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("found character", CANNOT_START),
    ("could not find expected ':'", N_("':' was expected after a key")),
    ("mapping values are not allowed here",
     N_("'key: value' is not allowed here (check the indentation, or quote a value that holds ': ')")),
    ("sequence entries are not allowed here", N_("a list entry ('- ') is not allowed here (check the indentation)")),
    ("mapping keys are not allowed here", N_("a key is not allowed here (check the indentation)")),
    ("found unexpected end of stream", N_("the document ends inside a quoted string or a value")),
    ("found unexpected document separator", N_("a document separator (--- or ...) inside a value")),
    ("found unknown escape character", ESCAPE),
    ("expected escape sequence", ESCAPE),
    ("expected URI escape sequence", ESCAPE),
    ("expected alphabetic or numeric character", N_("an anchor, alias or tag name is not valid")),
    ("expected a comment or a line break", N_("only a comment or the end of the line may follow here")),
    ("expected <block end>", N_("the indentation does not match the lines above")),
    ("expected ',' or ']'", N_("',' or ']' was expected")),
    ("expected ',' or '}'", N_("',' or '}' was expected")),
    ("expected the node content", N_("a value was expected")),
    ("expected '<document start>'", ONE_DOCUMENT),
    ("but found another document", ONE_DOCUMENT),
    ("found unhashable key", N_("a key must be a single value, not a list or a mapping")),
    ("could not determine a constructor for the tag", TAG),
    ("expected chomping or indentation indicators", BLOCK_SCALAR),
    ("expected indentation indicator", BLOCK_SCALAR),
    ("found duplicate YAML directive", DIRECTIVE),
    ("found incompatible YAML document", DIRECTIVE),
    ("duplicate tag handle", DIRECTIVE),
    ("found undefined tag handle", DIRECTIVE),
    ("expected a digit", DIRECTIVE),
    ("expected ' '", DIRECTIVE),
    ("expected '!'", TAG),
    ("expected URI", TAG),
    ("expected '>'", TAG),
    ("found undefined alias", N_("YAML anchors and aliases are not allowed")),
)
NOT_YAML = N_("not valid YAML")


def _reason(problem: str | None, table: tuple[tuple[str, str], ...], otherwise: str) -> str:
    found = next((reason for start, reason in table if (problem or "").startswith(start)), otherwise)
    return Text(found, {})


def json_problem(message: str) -> str:
    """What Python's json decoder found wrong (its `JSONDecodeError.msg`)."""
    return _reason(message, JSON_PROBLEMS, NOT_JSON)


def yaml_problem(problem: str | None) -> str:
    """What PyYAML found wrong (a `MarkedYAMLError`'s `problem`)."""
    return _reason(problem, YAML_PROBLEMS, NOT_YAML)


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
