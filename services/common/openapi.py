"""The error responses of kaohe's HTTP apps in OpenAPI, declared once (issue 22).

Every error of a service has the body `{"error": {"code", "message", "details"}}` (services/common/errors.py);
the gateway's has its GraphQL shape (`ErrorShape`, gateway/openapi.py).
A route names the errors particular to it with `responses=errors(404, 409)`; `document_errors` gives every
operation the ones its shape implies (401 and 403 behind the service token, 422 when it reads parameters or a
body, 413 with a body, 404 when its path names a record, 500 always) and writes the error body in place of
FastAPI's own validation schema, which no kaohe service sends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable, machine-readable code, e.g. `not_found`, `conflict`, "
                                  "`validation_error`; it never changes with the message's language.")
    message: str = Field(description="What went wrong, in a sentence for people (in the `Accept-Language` asked).")
    details: Any = Field(default=None, description="Where and why when there is more to say: the field and the "
                                                   "reason of each validation error, a stale version's `current`…")


class ErrorBody(BaseModel):
    """The body of every error response of a kaohe service."""

    error: ErrorDetail


# What each status means, with the `code`s it carries, as every service answers it.
MEANINGS: dict[int, str] = {
    400: "`bad_request`: the body is not valid UTF-8 or not JSON.",
    401: "`not_authenticated`: no service token, or one that is not valid (expired, wrong audience or signature); "
         "sent with `WWW-Authenticate: Bearer`.",
    403: "`forbidden`: the token's caller holds no grant that covers this (role × scope).",
    404: "`not_found`: a record the request names does not exist, or lies outside the caller's scopes.",
    409: "`conflict`: a stale `version`, a duplicate, or a change the record's state refuses; `details` says which.",
    413: "`payload_too_large`: the body is over the service's limit.",
    422: "`validation_error`: a parameter or field out of bounds (each named in `details`); or `invalid_input`: "
         "input that parses but breaks a rule.",
    500: "`internal_error`: unexpected; the service's log has the traceback (by the request id).",
    503: "`unavailable`: a service this one needs did not answer, or answered what it cannot use.",
}


def errors(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for the errors particular to it, each with the error body: a status, or a
    status and what it means on this route (e.g. `(409, "`attachment_altered`: …")`)."""
    out: dict[int | str, dict[str, Any]] = {}
    for entry in statuses:
        status, meaning = entry if isinstance(entry, tuple) else (entry, MEANINGS[entry])
        out[status] = {"model": ErrorBody, "description": meaning}
    return out


def implied_errors(path: str, operation: dict[str, Any], *, secured: bool) -> list[int]:
    """The error statuses an operation's shape implies, whatever the route does."""
    statuses = [401, 403] if secured else []
    if operation.get("parameters") or "requestBody" in operation:
        statuses.append(422)
    if "requestBody" in operation:
        statuses.append(413)
    if "{" in path:
        statuses.append(404)
    return [*statuses, 500]


@dataclass(frozen=True)
class ErrorShape:
    """How an app writes its errors in OpenAPI: the body's model and what each status means there."""

    body: type[BaseModel]
    meanings: dict[int, str]


SERVICE_ERRORS = ErrorShape(ErrorBody, MEANINGS)


def document_errors(app: FastAPI, secured: Callable[[str], bool] = lambda _path: True, *,
                    shape: ErrorShape = SERVICE_ERRORS, declared: dict[tuple[str, str], list[int]] | None = None,
                    describe: dict[tuple[str, str], tuple[str, str]] | None = None) -> None:
    """Give every operation of `app`'s OpenAPI its error responses with the error body (the implied ones, those
    its route declares, and those `declared` by (METHOD, path)), once, when the document is first built;
    `describe` gives (summary, description) by (METHOD, path) to operations whose routes a library makes (the
    gateway's /graphql)."""
    build = app.openapi
    name = shape.body.__name__
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        model = shape.body.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(model.pop("$defs", {}))
        schemas[name] = model
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                key = (method.upper(), path)
                if describe and key in describe:
                    operation["summary"], operation["description"] = describe[key]
                responses = operation.setdefault("responses", {})
                for status in [*implied_errors(path, operation, secured=secured(path)), *(declared or {}).get(key, [])]:
                    responses.setdefault(str(status), {"description": shape.meanings[status]})
                for status, response in responses.items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = content
                        if "`" not in response.get("description", ""):  # FastAPI's or a library's own
                            response["description"] = shape.meanings[int(status)]
                operation["responses"] = dict(sorted(responses.items()))
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
