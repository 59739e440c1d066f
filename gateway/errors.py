"""The gateway's one error shape, on `/graphql` and on its file routes alike:

    {"errors": [{"message": "…", "extensions": {"code": "FORBIDDEN", "reason": "forbidden", "details": …}}]}

with the HTTP status that fits (401 for UNAUTHENTICATED wherever it arises, 400 for a body that is not
valid JSON, 413, 422, 503 …; 200 for a GraphQL answer whose errors concern its fields). `code` is on every
error; `reason` is the service's own code when a service refused; `details` when there are any."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLInputObjectType, GraphQLSchema, GraphQLSyntaxError, get_named_type

from gateway.library_messages import library_text
from kaohe.i18n import N_, Text, _, current_locale, localize, translate
from services.common.errors import DomainError
from services.common.i18n import json_problem, localized_details

CODES = {
    400: "BAD_USER_INPUT", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "BAD_USER_INPUT",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_MESSAGE = N_("internal error; see the gateway log")


def code_for(status: int) -> str:
    """The GraphQL code of an HTTP status."""
    return CODES.get(status, "INTERNAL" if status >= 500 else "BAD_REQUEST")


def graphql_error_body(status: int, reason: str, message: str, details: Any = None) -> dict[str, Any]:
    """The gateway's renderer for errors raised outside GraphQL execution (credentials, HTTP, file routes)."""
    extensions: dict[str, Any] = {"code": code_for(status), "reason": reason}
    if details is not None:  # one `{field, reason}` alone is a list of one, as in GraphQL errors
        extensions["details"] = [details] if _one_field(details) else details
    # the message arrives in the request's language (services.common.errors.ErrorHandlers.respond)
    return {"errors": [{"message": message if status < 500 else translate(INTERNAL_MESSAGE),
                        "extensions": extensions}]}


class RequestRefused(DomainError):
    """The HTTP request itself is unusable (strawberry's 400/404/405 answers, a body that is not JSON)."""

    code = "bad_request"

    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status_code, self.code = status, code


MAX_NUMBER_LENGTH = 100  # characters of one JSON number: far past any count, amount or id a client sends
MAX_JSON_DEPTH = 64  # nesting of a request body: a scheme document needs about twenty; Python's own encoder and
# decoder fail near a thousand, and the value is passed on to a service


def _refuse_constant(name: str) -> Any:
    raise RequestRefused(_("the request body is not valid JSON: %(name)s is not a JSON number",
                           name=name.lstrip("-")),
                         code="invalid_json")


def _finite(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        _too_long()
    number = float(text)
    if not math.isfinite(number):
        _refuse_constant(text)
    return number


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        _too_long()
    return int(text)


def _too_long() -> None:
    raise RequestRefused(_("the request body is not valid JSON for kaohe: a number has more than "
                           "%(max_number_length)s characters", max_number_length=MAX_NUMBER_LENGTH),
                         code="invalid_json")


def strict_json(data: str | bytes) -> Any:
    """JSON as RFC 8259 defines it: no NaN or Infinity (Python's json takes them), no number that overflows to
    infinity (1e999), none longer than MAX_NUMBER_LENGTH, nested at most MAX_JSON_DEPTH deep; anything else is a
    400 naming the reason."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise RequestRefused(_("the request body is not valid JSON: %(msg)s at line %(lineno)s column %(colno)s",
                               msg=json_problem(exc.msg), lineno=exc.lineno, colno=exc.colno),
                             code="invalid_json") from None
    except RecursionError:
        _too_deep()
    if _depth_over(value, MAX_JSON_DEPTH):
        _too_deep()
    return value


def _too_deep() -> None:
    raise RequestRefused(_("the request body is not valid JSON for kaohe: it nests more than %(max_json_depth)s deep",
                           max_json_depth=MAX_JSON_DEPTH),
                         code="invalid_json")


def _depth_over(value: Any, limit: int) -> bool:
    """True when arrays and objects nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def finite_json(value: Any) -> Any:
    """The gateway's JSON scalar: a value that can travel on as JSON (a literal such as 1e999 in a query text
    becomes infinity, which no service could be sent). A GraphQLError, so that graphql-core reports it as the
    client's input (validation or variable coercion) rather than as a failure of ours."""
    if isinstance(value, float) and not math.isfinite(value):
        raise GraphQLError(_("numbers in a JSON value must be finite"))
    if isinstance(value, dict):
        for item in value.values():
            finite_json(item)
    elif isinstance(value, list):
        for item in value:
            finite_json(item)
    return value


def camel(name: str) -> str:
    """A snake_case name as GraphQL spells it: `period_id` → `periodId` (a camelCase name stays as it is)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def graphql_field(path: str, arguments: Mapping[str, Any] | None) -> str:
    """A field path of a service's or the gateway's own refusal (`fact_kind`, `subjects.0.group_id`) in the names
    the client wrote in GraphQL: each segment that names an argument of the root field, or a field of an input
    object it takes (the service's body is the `input` flattened), in camelCase. Inside a scalar (a JSON value
    such as `content`) the keys are the client's own and stay as they are; list indexes too."""
    fields: Mapping[str, Any] | None = None
    if arguments is not None:
        fields = dict(arguments)
        for argument in arguments.values():
            named = get_named_type(argument.type)
            if isinstance(named, GraphQLInputObjectType):
                fields = {**named.fields, **fields}
    out: list[str] = []
    segments = path.split(".")
    for index, segment in enumerate(segments):
        if segment.isdigit():
            out.append(segment)
            continue
        name = camel(segment)
        out.append(name)
        if fields is None:  # not resolved against the schema: camelCase, as every GraphQL name is
            continue
        found = fields.get(name)
        named = get_named_type(found.type) if found is not None else None
        if found is not None and not isinstance(named, GraphQLInputObjectType):
            out.extend(segments[index + 1:])  # a scalar's own keys
            break
        fields = named.fields if isinstance(named, GraphQLInputObjectType) else None
    return ".".join(out)


def _one_field(details: Any) -> bool:
    """Whether `details` is one refused value given alone, `{field}` or `{field, reason}` (an operation's own shape,
    such as a file's `{rows}`, keeps its form)."""
    return isinstance(details, dict) and isinstance(details.get("field"), str) and details.keys() <= {"field", "reason"}


def graphql_details(details: Any, arguments: Mapping[str, Any] | None) -> Any:
    """`details` with each `{field, …}` entry's field named as in GraphQL (graphql_field); one such entry given alone
    (a service's `{field, reason}`) becomes a list of one, so that a refused value's details are always a list of
    `{field, reason}` (docs/api.md, "Errors"); any other shape as is."""
    if _one_field(details):
        details = [details]
    if not isinstance(details, list):
        return details
    return [{**item, "field": graphql_field(item["field"], arguments)}
            if isinstance(item, dict) and isinstance(item.get("field"), str) and item["field"] else item
            for item in details]


def _arguments(error: GraphQLError, schema: GraphQLSchema | None) -> Mapping[str, Any] | None:
    """The arguments of the root field the error arose in (by its name, not its alias)."""
    if schema is None or not error.nodes or not isinstance(error.nodes[0], FieldNode) or len(error.path or ()) != 1:
        return None  # not a root field's own refusal: its names are camelCased without the schema
    name = error.nodes[0].name.value
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        if root is not None and name in root.fields:
            arguments: Mapping[str, Any] = root.fields[name].args
            return arguments
    return None


def give_code(error: GraphQLError, schema: GraphQLSchema | None = None) -> None:
    """Set `extensions.code` on one GraphQL error (and `reason`/`details` for a service's refusal). A detail's
    `field` is named as in GraphQL (camelCase, graphql_field), the REST names being snake_case; so is the field a
    refused payload's message begins with."""
    original = error.original_error
    if isinstance(original, DomainError):
        error.extensions = {**(error.extensions or {}), "code": code_for(original.status_code),
                            "reason": original.code}
        message = localize(original.message)
        if original.details is not None:
            details = graphql_details(localized_details(original.details, current_locale()), _arguments(error, schema))
            error.extensions["details"] = details
            message = _renamed_lead(message, original.details, details)
        error.message = message
        return
    if (error.extensions or {}).get("code"):
        error.message = _marked_message(error)
        return
    error.extensions = {**(error.extensions or {}), "code": _code_of(error)}
    if error.extensions["code"] == "INTERNAL":
        error.message = translate(INTERNAL_MESSAGE)
    else:
        error.message = _marked_message(error)


def _renamed_lead(message: str, before: Any, after: Any) -> str:
    """A message that begins with its first detail's field (`fact_kind: Field required`), with that field as
    GraphQL names it."""
    if isinstance(before, dict):
        before = [before]
    if not (isinstance(before, list) and before and isinstance(before[0], dict) and isinstance(after, list)):
        return message
    old, new = before[0].get("field"), after[0].get("field")
    if isinstance(old, str) and old and old != new and message.startswith((old + ":", old + "：")):
        return str(new) + message[len(old):]
    return message


def _marked_message(error: GraphQLError) -> str:
    """The error's message in the request's language: graphql-core copies the message of an error raised in a
    scalar or a rule as a plain str, so the marked one is looked for on the original error too; a message of
    graphql-core's or strawberry's own is recognised by its template (gateway/library_messages.py)."""
    original = error.original_error
    for candidate in (error.message, getattr(original, "message", None), *getattr(original, "args", ())[:1]):
        if isinstance(candidate, Text):
            return localize(candidate)
    return localize(library_text(error.message))


def _code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    if isinstance(original, GraphQLError):  # a variable graphql-core could not coerce: the client's value
        return "BAD_USER_INPUT"
    if original is None and not error.path:  # a validation rule (unknown field, bad enum, depth, aliases)
        return VALIDATION_FAILED
    return "INTERNAL"
