"""Typed domain errors carrying their HTTP status, and the one handler that renders them.

Every error body has the shape `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse as _JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": {"code": code, "message": message, "details": details}}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        out.append({"field": ".".join(loc), "reason": err.get("msg", "invalid")})
    return out


async def _domain_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status_code)


async def _validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = details[0] if details else {"field": "", "reason": "invalid"}
    message = f"{first['field'] or 'body'}: {first['reason']}"
    return JSONResponse(error_body("validation_error", message, details), status_code=422)


async def _http_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}.get(
        exc.status_code, "http_error"
    )
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


# SQLSTATEs of text PostgreSQL cannot store (a NUL character, in text or JSONB): the client's input, not a fault.
_UNSTORABLE_TEXT = {"22021", "22P05"}
_NUMBER_OUT_OF_RANGE = "22003"


async def _database_handler(request: Request, exc: Exception) -> JSONResponse:
    orig = getattr(exc, "orig", None)
    cause = getattr(orig, "__cause__", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    if sqlstate in _UNSTORABLE_TEXT:
        return JSONResponse(error_body("invalid_input", "text may not contain NUL (\\u0000) characters",
                                       {"reason": "unstorable character"}), status_code=422)
    # a number the column cannot hold: refused by PostgreSQL, or by asyncpg encoding the argument (an integer id or
    # version past int32 in a path, query or body)
    if sqlstate == _NUMBER_OUT_OF_RANGE or isinstance(getattr(cause, "__cause__", None), OverflowError):
        return JSONResponse(error_body("invalid_input", "a number is out of range",
                                       {"reason": "number out of range"}), status_code=422)
    return await _unexpected_handler(request, exc)


async def _undecodable_handler(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body("bad_request", "the request body is not valid UTF-8"), status_code=400)


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal error; see the service log"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the typed error model."""
    app.add_exception_handler(DomainError, _domain_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    # strawberry decodes /graphql bodies itself; a body that is not UTF-8 must not become a 500
    app.add_exception_handler(UnicodeDecodeError, _undecodable_handler)
    app.add_exception_handler(DBAPIError, _database_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
