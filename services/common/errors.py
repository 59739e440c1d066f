"""Typed domain errors carrying their HTTP status, and the one handler that renders them.

Every error body has the shape `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse as _JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from kaohe.i18n import N_, Text, _, localize
from services.common.i18n import localized_details, pydantic_reason, request_locale

log = logging.getLogger("kaohe.errors")


class DomainError(Exception):
    """Base of every error a service reports to its caller."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """A stale version, a duplicate, or a write to a frozen object."""

    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    """Payload that parses but breaks a rule (422 is for payload validation only)."""

    status_code = 422
    code = "invalid_input"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "unavailable"


class JSONResponse(_JSONResponse):
    """An error body that echoes the client's text safely: half of a UTF-16 pair (`"\\ud800"`, which JSON
    may carry) cannot be written as UTF-8, so such a body is written with ASCII escapes instead."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def message_of(exc: BaseException) -> str:
    """An exception's message, marked (a `Text`) when it was raised with one: `str(exc)` would keep only its
    English."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Text) else str(exc)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every error response of a service."""
    return {"error": {"code": code, "message": message, "details": details}}


# Renders an error body from (HTTP status, code, message, details): the services' `error_body`, or the
# gateway's GraphQL-shaped one (gateway/errors.py).
ErrorRenderer = Callable[[int, str, str, Any], dict[str, Any]]


def rest_error(_status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The services' renderer: `{"error": {"code", "message", "details"}}`."""
    return error_body(code, message, details)


# Starlette's own answers, whose `detail` is the status phrase (a route that does not exist, a method it
# does not take); a detail of kaohe's own is kept as it was raised
HTTP_MESSAGES = {404: N_("Not Found"), 405: N_("Method Not Allowed")}


def _http_message(exc: StarletteHTTPException) -> str:
    known = HTTP_MESSAGES.get(exc.status_code)
    if known is not None and exc.detail == known:
        return Text(known, {})
    return str(exc.detail)


LOCATIONS = ("body", "query", "path", "header", "cookie")


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each field and its reason, named as the client wrote it: no `body.` before the field, no pydantic
    `Value error, ` before the reason."""
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in LOCATIONS:
            loc = loc[1:]
        out.append({"field": ".".join(loc), "reason": pydantic_reason(err)})
    return out


# SQLSTATEs of text PostgreSQL cannot store (a NUL character, in text or JSONB): the client's input, not a fault.
_UNSTORABLE_TEXT = {"22021", "22P05"}
_NUMBER_OUT_OF_RANGE = "22003"
UNAUTHENTICATED_HEADERS = {"WWW-Authenticate": "Bearer"}
BUSY_RETRY_SECONDS = 2  # the Retry-After of a 503 for a connection pool exhausted under load


class ErrorHandlers:
    """The handlers of one app, each rendering its error with the app's renderer."""

    def __init__(self, render: ErrorRenderer, where: str) -> None:
        self.render, self.where = render, where

    def respond(self, request: Request, status: int, code: str, message: str, details: Any = None,
                headers: Mapping[str, str] | None = None) -> JSONResponse:
        """The error body, its message and kaohe's own sentences in its details in the request's language
        (`Accept-Language`; services.common.reasons.localized_details)."""
        if status == 401:
            headers = {**UNAUTHENTICATED_HEADERS, **(headers or {})}
        locale = request_locale(request)
        text = localize(message, locale)
        return JSONResponse(self.render(status, code, text, localized_details(details, locale)), status_code=status,
                            headers=headers)

    async def domain(self, request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return self.respond(request, exc.status_code, exc.code, exc.message, exc.details)

    async def validation(self, request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = _validation_details(exc)
        first = details[0] if details else {"field": "", "reason": "invalid"}
        message = (_("%(field)s: %(reason)s", field=first["field"], reason=first["reason"]) if first["field"]
                   else _("the request body: %(reason)s", reason=first["reason"]))
        return self.respond(request, 422, "validation_error", message, details)

    async def http(self, request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}.get(exc.status_code,
                                                                                          "http_error")
        return self.respond(request, exc.status_code, code, _http_message(exc), headers=exc.headers)

    async def database(self, request: Request, exc: Exception) -> JSONResponse:
        orig = getattr(exc, "orig", None)
        cause = getattr(orig, "__cause__", None)
        sqlstate = getattr(orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
        if sqlstate in _UNSTORABLE_TEXT:
            return self.respond(request, 422, "invalid_input", _("text may not contain NUL (\\u0000) characters"),
                                {"reason": "unstorable character"})
        # a number the column cannot hold: refused by PostgreSQL, or by asyncpg encoding the argument (an integer id
        # or version past int32 in a path, query or body)
        if sqlstate == _NUMBER_OUT_OF_RANGE or isinstance(getattr(cause, "__cause__", None), OverflowError):
            return self.respond(request, 422, "invalid_input", _("a number is out of range"),
                                {"reason": "number out of range"})
        return await self.unexpected(request, exc)

    async def busy(self, request: Request, exc: Exception) -> JSONResponse:
        """No pooled database connection became free in time (every one busy under load): the process is
        overloaded, not broken; the request changed nothing, so the caller may send it again."""
        log.warning("no database connection free in time on %s %s: %s", request.method, request.url.path, exc)
        return self.respond(request, 503, "unavailable",
                            _("the service is busy (no database connection became free in time); retry shortly"),
                            headers={"Retry-After": str(BUSY_RETRY_SECONDS)})

    async def undecodable(self, request: Request, exc: Exception) -> JSONResponse:
        return self.respond(request, 400, "bad_request", _("the request body is not valid UTF-8"))

    async def unexpected(self, request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return self.respond(request, 500, "internal_error", _("internal error; see the %(process)s log",
                                                             process=self.where))


def install_error_handlers(app: FastAPI, render: ErrorRenderer = rest_error, *, where: str = "service") -> None:
    """Route every error through one error model (`render`); unexpected errors are logged with their traceback."""
    handlers = ErrorHandlers(render, where)
    app.add_exception_handler(DomainError, handlers.domain)
    app.add_exception_handler(RequestValidationError, handlers.validation)
    app.add_exception_handler(StarletteHTTPException, handlers.http)
    # strawberry decodes /graphql bodies itself; a body that is not UTF-8 must not become a 500
    app.add_exception_handler(UnicodeDecodeError, handlers.undecodable)
    app.add_exception_handler(DBAPIError, handlers.database)
    app.add_exception_handler(PoolTimeout, handlers.busy)
    app.add_exception_handler(Exception, handlers.unexpected)
