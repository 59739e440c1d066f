"""The gateway's one error shape, on `/graphql` and on its file routes alike:

    {"errors": [{"message": "…", "extensions": {"code": "FORBIDDEN", "reason": "forbidden", "details": …}}]}

with the HTTP status that fits (401 for UNAUTHENTICATED wherever it arises, 400 for a body that is not
valid JSON, 413, 422, 503 …; 200 for a GraphQL answer whose errors concern its fields). `code` is on every
error; `reason` is the service's own code when a service refused; `details` when there are any."""

from __future__ import annotations

import json
import math
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from gateway.library_messages import library_text
from kaohe.i18n import N_, Text, _, localize, translate
from services.common.errors import DomainError
from services.common.i18n import json_problem

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
    if details is not None:
        extensions["details"] = details
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


def give_code(error: GraphQLError) -> None:
    """Set `extensions.code` on one GraphQL error (and `reason`/`details` for a service's refusal)."""
    original = error.original_error
    if isinstance(original, DomainError):
        error.extensions = {**(error.extensions or {}), "code": code_for(original.status_code),
                            "reason": original.code}
        if original.details is not None:
            error.extensions["details"] = original.details
        error.message = localize(original.message)
        return
    if (error.extensions or {}).get("code"):
        error.message = _marked_message(error)
        return
    error.extensions = {**(error.extensions or {}), "code": _code_of(error)}
    if error.extensions["code"] == "INTERNAL":
        error.message = translate(INTERNAL_MESSAGE)
    else:
        error.message = _marked_message(error)


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
