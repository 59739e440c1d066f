"""The messages graphql-core and strawberry write themselves (a query that does not parse or validate, a variable
that cannot be coerced, strawberry's HTTP refusals), in the request's language.

The libraries write English sentences without a catalogue id. Each sentence they can give a client is here as a
catalogue message whose English is the library's template, `%(name)s` where the library puts a value; a message
is recognised by matching those templates (anchored, in order) and becomes a `Text` whose English value is the
library's own sentence, so English answers are unchanged. Parts that are themselves library sentences (the reason
after "Syntax Error: ", a coercion error inside "Variable '$x' has invalid value: …", the conflict of two fields)
are recognised in turn; lists of names ("'a', 'b', or 'c'") and the words the libraries insert (token kinds,
operation types) are rendered in the language too. A sentence no template matches stays as the library wrote it.

`tests/gateway/test_library_messages.py` reads the installed graphql-core and strawberry and fails when one of
their message texts matches no template here, so a new library version cannot add an English-only message
unnoticed (docs/decisions.md, issue 22).
"""

from __future__ import annotations

from kaohe.i18n import N_, Text
from kaohe.parser_reasons import iso_date_problem
from services.common.i18n import name_list, or_list
from services.common.templates import MAX_MESSAGE, PLACEHOLDER, Templates

__all__ = ["MAX_MESSAGE", "MESSAGES", "PLACEHOLDER", "library_text"]

# Templates, most particular first (a sentence with a suggestion before the generic suggestion forms).
MESSAGES: tuple[str, ...] = (
    # parsing (graphql.language.lexer, graphql.language.parser, graphql.error.syntax_error)
    N_("Syntax Error: %(syntax)s"),
    N_("Unterminated string."),
    N_("Invalid Unicode escape sequence: '%(sequence)s'."),
    N_("Invalid character escape sequence: '%(sequence)s'."),
    N_("Unexpected single quote character ('), did you mean to use a double quote (\")?"),
    N_("Invalid number, expected digit but got: %(character)s."),
    N_("Unexpected character: %(character)s."),
    N_("Invalid character: %(character)s."),
    N_("Invalid character within String: %(character)s."),
    N_("Invalid number, unexpected digit after 0: %(character)s."),
    N_("Unexpected '..', did you mean '...'?"),
    N_("Invalid number, expected digit before '.', did you mean '0.%(digits)s'?"),
    N_("Document contains more than %(count)s tokens. Parsing aborted."),
    N_("Document contains more than %(count)s comments. Parsing aborted."),
    N_("Document contains more than %(count)s tokens."),
    N_("Source contains more than %(count)s code points. Parsing aborted."),
    N_("Document is nested too deeply. Parsing aborted."),
    N_("Unexpected description, descriptions are not supported on shorthand queries."),
    N_("Unexpected description, only GraphQL definitions support descriptions."),
    N_("Unexpected variable '$%(variable)s' in constant value."),
    N_("%(found)s is reserved and cannot be used for an enum value."),
    N_("Expected '%(punctuator)s', found %(found)s."),
    N_("Expected %(expected)s, found %(found)s."),
    N_("Unexpected %(found)s."),
    # validation (graphql.validation: the rules of `specified_rules`, introspection off, the error limit)
    N_("Too many validation errors, error limit reached. Validation aborted."),
    N_("Validation aborted."),
    N_("Field '%(field)s' of type '%(type)s' must have a selection of subfields. Did you mean "
       "'%(suggested)s { ... }'?"),
    N_("Field '%(field)s' must not have a selection since type '%(type)s' has no subfields."),
    N_("Field '%(field)s' of type '%(type)s' must have at least one field selected."),
    N_("Cannot query field '%(field)s' on type '%(type)s'."),
    N_("Unknown argument '%(argument)s' on field '%(type)s.%(field)s'."),
    N_("Unknown argument '%(argument)s' on fragment '%(fragment)s'."),
    N_("Unknown argument '%(argument)s' on directive '@%(directive)s'."),
    N_("Argument '@%(directive)s(%(argument)s:)' of type '%(type)s' is required, but it was not provided."),
    N_("Argument '%(argument)s' of type '%(type)s' is required, but it was not provided."),
    N_("Fragment '%(fragment)s' argument '%(argument)s' of type '%(type)s' is required, but it was not provided."),
    N_("There can be only one argument named '%(argument)s'."),
    N_("Unknown directive '@%(directive)s'."),
    N_("Directive '@%(directive)s' may not be used on %(location)s."),
    N_("The directive '@%(directive)s' can only be used once at this location."),
    N_("Unknown fragment '%(fragment)s'."),
    N_("Fragment '%(fragment)s' is never used."),
    N_("There can be only one fragment named '%(fragment)s'."),
    N_("Fragment cannot condition on non composite type '%(type)s'."),
    N_("Fragment '%(fragment)s' cannot condition on non composite type '%(type)s'."),
    N_("Fragment cannot be spread here as objects of type '%(parent)s' can never be of type '%(type)s'."),
    N_("Fragment '%(fragment)s' cannot be spread here as objects of type '%(parent)s' can never be of type "
       "'%(type)s'."),
    N_("Cannot spread fragment '%(fragment)s' within itself via %(via)s."),
    N_("Cannot spread fragment '%(fragment)s' within itself."),
    N_("Unknown type '%(type)s'."),
    N_("The %(definition)s definition is not executable."),
    N_("The %(operation)s operation is not supported by the schema."),
    N_("This anonymous operation must be the only defined operation."),
    N_("There can be only one operation named '%(operation)s'."),
    N_("Anonymous Subscription must not use `@skip` or `@include` directives in the top level selection."),
    N_("Anonymous Subscription must select one top level field."),
    N_("Anonymous Subscription must select only one top level field."),
    N_("Anonymous Subscription must not select an introspection top level field."),
    N_("Subscription '%(operation)s' must not use `@skip` or `@include` directives in the top level selection."),
    N_("Subscription '%(operation)s' must select one top level field."),
    N_("Subscription '%(operation)s' must select only one top level field."),
    N_("Subscription '%(operation)s' must not select an introspection top level field."),
    N_("Variable '$%(variable)s' is not defined by operation '%(operation)s'."),
    N_("Variable '$%(variable)s' is not defined."),
    N_("Variable '$%(variable)s' is never used in fragment '%(fragment)s'."),
    N_("Variable '$%(variable)s' is never used in operation '%(operation)s'."),
    N_("Variable '$%(variable)s' is never used."),
    N_("There can be only one variable named '$%(variable)s'."),
    N_("Variable '$%(variable)s' cannot be non-input type '%(type)s'."),
    N_("Variable '$%(variable)s' of type '%(type)s' used in position expecting type '%(expected_type)s'."),
    N_("Variable '$%(variable)s' is of type '%(type)s' but must be non-nullable to be used for OneOf Input "
       "Object '%(parent)s'."),
    N_("There can be only one input field named '%(field)s'."),
    N_("Fields '%(field)s' conflict because %(conflict)s. Use different aliases on the fields to fetch both if "
       "this was intentional."),
    N_("Spreads '%(fragment)s' conflict because %(first)s and %(second)s have different fragment arguments."),
    N_("%(conflict)s and subfields '%(field)s' conflict because %(subconflict)s"),
    N_("subfields '%(field)s' conflict because %(subconflict)s"),
    N_("'%(field)s' and '%(other)s' are different fields"),
    N_("they have differing arguments"),
    N_("they have overlapping stream directives. See https://github.com/graphql/defer-stream-wg/discussions/100"),
    N_("they have overlapping stream directives"),
    N_("they return conflicting types '%(type)s' and '%(other)s'"),
    N_("Defer/Stream directive label argument must be unique."),
    N_("%(directive)s directive label argument must be a static string."),
    N_("Stream directive cannot be used on root %(operation)s type '%(type)s'."),
    N_("Defer directive cannot be used on root %(operation)s type '%(type)s'."),
    N_("Defer directive not supported on subscription operations. Disable `@defer` by setting the `if` argument "
       "to `false`."),
    N_("Stream directive not supported on subscription operations. Disable `@stream` by setting the `if` argument "
       "to `false`."),
    N_("Stream directive cannot be used on non-list field '%(field)s' on type '%(type)s'."),
    N_("Stream directive cannot be used on non-list field on type '%(type)s'."),
    N_("Unexpected error in directive."),
    N_("Maximum introspection depth exceeded"),
    N_("GraphQL introspection has been disabled, but the requested query contained the field '%(field)s'."),
    # values: literals in the query and variables (graphql.utilities.validate_input_value, graphql.execution.values,
    # graphql.type.scalars and the enum types of graphql.type.definition, strawberry's scalars)
    N_("Variable '$%(variable)s' defined by fragment '%(fragment)s' has invalid value%(path)s: %(reason)s"),
    N_("Variable '$%(variable)s' defined by fragment '%(fragment)s' has invalid default value%(path)s: %(reason)s"),
    N_("Variable '$%(variable)s' defined by fragment '%(fragment)s' of required type '%(type)s' was not provided."),
    N_("Variable '$%(variable)s' has invalid value%(path)s: %(reason)s"),
    N_("Variable '$%(variable)s' has invalid default value%(path)s: %(reason)s"),
    N_("Variable '$%(variable)s' expected value of type '%(type)s' which cannot be used as an input type."),
    N_("Argument '%(argument)s' has invalid value%(path)s: %(reason)s"),
    N_("Argument '%(argument)s' has invalid default value%(path)s: %(reason)s"),
    N_("Argument '%(argument)s' of required type '%(type)s' was not provided."),
    N_("Invalid argument"),
    N_("Too many errors processing variables, error limit reached. Execution aborted."),
    N_("Variable values are nested too deeply."),
    N_(" at %(location)s"),
    N_("Expected a value of non-null type '%(type)s' to be provided."),
    N_("Expected value of non-null type '%(type)s' not to be None."),
    N_("Expected value of type '%(type)s' to be an object, found: %(value)s."),
    N_("Expected value of type '%(type)s' to include required field '%(field)s', found: %(value)s."),
    N_("Expected value of type '%(type)s' not to include unknown field '%(field)s'. Did you mean %(suggestions)s? "
       "Found: %(value)s."),
    N_("Expected value of type '%(type)s' not to include unknown field '%(field)s', found: %(value)s."),
    N_("Expected value of type '%(type)s', but encountered error '%(error)s'; found: %(value)s."),
    N_("Expected value of type '%(type)s', found: %(value)s."),
    N_("Expected value of type '%(type)s' to be valid, found: %(value)s."),
    N_("Expected variable '$%(variable)s' provided to type '%(type)s' to provide a runtime value."),
    N_("Expected variable '$%(variable)s' provided to non-null type '%(type)s' not to be None."),
    N_("Expected variable '$%(variable)s' provided to field '%(field)s' for OneOf Input Object type '%(type)s' to "
       "provide a runtime value."),
    N_("Expected variable '$%(variable)s' provided to field '%(field)s' for OneOf Input Object type '%(type)s' not "
       "to be None."),
    N_("Within OneOf Input Object type '%(type)s', exactly one field must be specified, and the value for that "
       "field must be non-null."),
    N_("Int cannot represent non-integer value: %(value)s"),
    N_("Int cannot represent non 32-bit signed integer value: %(value)s"),
    N_("Float cannot represent non numeric value: %(value)s (value would lose precision)"),
    N_("Float cannot represent non numeric value: %(value)s (value is too large)"),
    N_("Float cannot represent non numeric value: %(value)s"),
    N_("String cannot represent a non string value: %(value)s"),
    N_("String cannot represent value: %(value)s"),
    N_("Boolean cannot represent a non boolean value: %(value)s"),
    N_("ID cannot represent a non-string and non-integer value: %(value)s"),
    N_("ID cannot represent value: %(value)s"),
    N_("Value '%(value)s' does not exist in '%(type)s' enum. Did you mean the enum value %(suggestions)s?"),
    N_("Value '%(value)s' does not exist in '%(type)s' enum."),
    N_("Enum '%(type)s' cannot represent non-string value: %(value)s. Did you mean the enum value "
       "%(suggestions)s?"),
    N_("Enum '%(type)s' cannot represent non-string value: %(value)s."),
    N_("Enum '%(type)s' cannot represent non-enum value: %(value)s. Did you mean the enum value %(suggestions)s?"),
    N_("Enum '%(type)s' cannot represent non-enum value: %(value)s."),
    N_("Enum '%(type)s' cannot represent value: %(value)s"),
    N_("Value cannot represent a %(type)s: \"%(value)s\". Expected a string."),
    N_("Value cannot represent a %(type)s: \"%(value)s\". %(error)s"),
    N_("Value cannot represent a %(type)s: \"%(value)s\"."),
    # choosing the operation (graphql.execution, strawberry.schema)
    N_("Must provide operation name if query contains multiple operations."),
    N_("Unknown operation named '%(operation)s'."),
    N_("Unknown operation named \"%(operation)s\"."),
    N_("Must provide an operation."),
    N_("Can't get GraphQL operation type"),
    N_("%(operations)s are not allowed when using %(method)s"),
    N_("%(operations)s are not allowed"),
    # strawberry's HTTP refusals
    N_("Not Found"),
    N_("No GraphQL query found in the request"),
    N_("Unable to parse request body as JSON"),
    N_("Unable to parse the multipart body"),
    N_("File(s) missing in form data"),
    N_("Unsupported content type"),
    N_("GraphQL only supports GET and POST requests."),
    N_("The GraphQL operation's `query` must be a string or null, if provided."),
    N_("The GraphQL operation's `variables` must be an object or null, if provided."),
    N_("The GraphQL operation's `extensions` must be an object or null, if provided."),
    N_("Batching is not enabled"),
    N_("Too many operations"),
    N_("Subprotocol not acceptable"),
    N_("Incremental delivery (@defer and @stream) is not supported with synchronous execution, use "
       "`Schema.execute` instead."),
    # suggestions after any of the above (graphql.pyutils.did_you_mean)
    N_("%(message)s Did you mean to use an inline fragment on %(suggestions)s?"),
    N_("%(message)s Did you mean the enum value %(suggestions)s?"),
    N_("%(message)s Did you mean %(suggestions)s?"),
)

# Parameters that are library sentences themselves, recognised in turn.
SENTENCES = frozenset({"syntax", "reason", "conflict", "subconflict", "message", "path", "error"})
# Parameters that are lists of names: "'a' or 'b'", "'a', 'b', or 'c'" (ALTERNATIVES), "'a', 'b'" (NAMES).
ALTERNATIVES = frozenset({"suggestions"})
NAMES = frozenset({"via"})
# Parameters that are a token as the parser describes it: `<EOF>`, `Name 'x'`, `'{'`.
TOKENS = frozenset({"expected", "found"})
# Parameters that are one of a few words the libraries insert.
WORDS = frozenset({"operation", "operations", "definition"})

TOKEN_KINDS = {"<SOF>": N_("<SOF>"), "<EOF>": N_("<EOF>"), "Name": N_("Name"), "Int": N_("Int"),
               "Float": N_("Float"), "String": N_("String"), "BlockString": N_("BlockString"),
               "Comment": N_("Comment")}
KIND_AND_VALUE = N_("%(kind)s '%(value)s'")
WORD_TEXTS = {"query": N_("query"), "mutation": N_("mutation"), "subscription": N_("subscription"),
              "queries": N_("queries"), "mutations": N_("mutations"), "subscriptions": N_("subscriptions"),
              "schema": N_("schema")}


SCALAR_ERROR = MESSAGES[MESSAGES.index("Value cannot represent a %(type)s: \"%(value)s\". %(error)s")]
ISO_SCALARS = frozenset({"Date", "DateTime", "Time"})  # strawberry's, parsed by fromisoformat or dateutil
MAX_NESTING = 40  # sentences within sentences recognised (a conflict of n sibling subfields nests n deep; graphql-core
# abbreviates its detail at 1,000 characters, some 25 of them)
TEMPLATES = Templates(MESSAGES)  # matched in linear time, in this order (services/common/templates.py)


def library_text(message: str, nesting: int = 0) -> str:
    """`message` as a `Text` when it is one of the libraries' sentences (its English value the sentence itself),
    else `message` unchanged."""
    if isinstance(message, Text) or nesting > MAX_NESTING:
        return message
    found = TEMPLATES.match(message)
    if found is None:
        return message
    template, values = found
    params = {name: _param(name, value, nesting) for name, value in values.items()}
    if template == SCALAR_ERROR and values["type"] in ISO_SCALARS and '"' not in values["error"]:
        # the reason is Python's ISO parser's English ("Invalid isoformat string: …", "month must be in 1..12"):
        # kaohe says what it expects instead, in English too (not when the client's value held '". ' and the
        # match split it early: its characters stay in the answer)
        return Text(template, {**params, "error": iso_date_problem(values["type"])})
    # the library's own sentence, unless a part of it was reworded (an ISO parser's reason inside): then the
    # sentence with that part's English
    same = all(str(params[name]) == value for name, value in values.items())
    return Text(template, params, message if same else None)


def _param(name: str, value: str, nesting: int) -> object:
    if name in SENTENCES:
        return library_text(value, nesting + 1) if value else value
    if name in ALTERNATIVES:
        return or_list(value)
    if name in NAMES:
        return name_list(value)
    if name in TOKENS:
        return _token(value)
    if name in WORDS and value in WORD_TEXTS:
        return Text(WORD_TEXTS[value], {}, value)
    return value


def _token(description: str) -> object:
    """A token as graphql-core's parser describes it (`get_token_desc`): its kind, then its value if any."""
    if description in TOKEN_KINDS:
        return Text(TOKEN_KINDS[description], {}, description)
    kind, _sep, rest = description.partition(" '")
    if kind in TOKEN_KINDS and rest.endswith("'"):
        return Text(KIND_AND_VALUE, {"kind": Text(TOKEN_KINDS[kind], {}, kind), "value": rest[:-1]}, description)
    return description
