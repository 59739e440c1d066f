"""The gateway's HTTP routes in OpenAPI (issue 22): their error body (GraphQL's shape, gateway/errors.py), what
each status means there, the statuses particular to each route, and the description of /graphql, whose routes
strawberry makes. services/common/openapi.py writes them into the document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.common.openapi import ErrorShape


class GatewayErrorExtensions(BaseModel):
    code: str = Field(description="The GraphQL error code, e.g. `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`; it "
                                  "never changes with the message's language.")
    reason: str = Field(description="The service's own code when a service refused (e.g. `attachment_altered`), "
                                    "else the gateway's.")
    details: Any = Field(default=None, description="Where and why, when there is more to say.")


class GatewayError(BaseModel):
    message: str = Field(description="What went wrong, in a sentence for people (in the `Accept-Language` asked).")
    extensions: GatewayErrorExtensions


class GatewayErrorBody(BaseModel):
    """The body of every error the gateway answers over HTTP, on /graphql and on its file routes alike."""

    errors: list[GatewayError]


MEANINGS: dict[int, str] = {
    400: "`BAD_USER_INPUT`, `GRAPHQL_PARSE_FAILED` or `GRAPHQL_VALIDATION_FAILED`: a body that is not JSON, a POST "
         "body of another media type than `application/json` or naming none (not a well-formed GraphQL-over-HTTP "
         "request: 400, as that specification advises, not 415), or a document that does not parse or validate "
         "(400 with `application/graphql-response+json`).",
    401: "`UNAUTHENTICATED`: credentials that are not valid (expired, another issuer, a revoked key), or none "
         "where a caller is needed; sent with `WWW-Authenticate: Bearer`.",
    403: "`FORBIDDEN`: the caller's roles and scopes do not cover it.",
    404: "`NOT_FOUND`: what the path names does not exist, or lies outside the caller's scopes.",
    405: "`METHOD_NOT_ALLOWED`: a mutation over GET.",
    409: "`CONFLICT`: the service refused the change for the record's state (`reason` says which, e.g. "
         "`attachment_altered` when the stored bytes no longer match their SHA-256).",
    413: "`PAYLOAD_TOO_LARGE`: the body (or the uploaded file) is over the limit.",
    422: "`BAD_USER_INPUT`: a parameter or field out of bounds, or a file with bad rows (each `{row, column, "
         "reason}` in `details`).",
    429: "`RATE_LIMITED`: too many requests from this address; `Retry-After` says when to try again.",
    500: "`INTERNAL`: unexpected; the gateway's log has the traceback (by the request id).",
    503: "`UNAVAILABLE`: a service the gateway needs did not answer.",
}
GATEWAY_ERRORS = ErrorShape(GatewayErrorBody, MEANINGS)

# the statuses particular to each route, beyond those its shape implies (services/common/openapi.py); the uploads
# read their multipart bodies themselves, so their 413 and 422 are named here
DECLARED: dict[tuple[str, str], list[int]] = {
    ("GET", "/graphql"): [400, 401, 405],
    ("POST", "/graphql"): [400, 401, 413],
    ("POST", "/uploads/submissions/{submission_id}/attachments"): [409, 413, 422, 503],
    ("POST", "/uploads/schemes/import-excel"): [409, 413, 422, 503],
    ("POST", "/uploads/periods/{period_id}/subjects"): [409, 413, 422, 503],
    ("POST", "/uploads/organisation"): [413, 422, 503],
    ("POST", "/uploads/periods/{period_id}/facts"): [409, 413, 422, 503],
    ("GET", "/attachments/{attachment_id}"): [409, 503],
    ("GET", "/exports/periods/{period_id}/{kind}.{format}"): [409, 503],
    ("GET", "/exports/periods/{period_id}/snapshots/{sequence}.json"): [503],
    ("GET", "/public/periods/{period_id}/publication.{format}"): [429, 503],
}

GRAPHQL = ("GraphQL over HTTP (the specification's `application/json` and `application/graphql-response+json`): "
           "the schema is gateway/schema.graphql, every type, field and argument described, with who may run each "
           "root field and its error codes. A field error answers 200 with `errors` beside the `data` of the other "
           "fields; a request that fails before any field runs answers 400 when the client asks for "
           "`application/graphql-response+json`. No credentials are needed for `health`; everything else needs a "
           "bearer token or an API key. Subscriptions run over graphql-transport-ws on the same path.")
DESCRIBE: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/graphql"): ("Run a GraphQL query given in the URL", "A query (never a mutation: 405) in the URL: "
                          "`query`, `variables`, `operationName`, or a persisted query's `extensions`. Without "
                          "them, in development, a browser gets GraphiQL. " + GRAPHQL),
    ("POST", "/graphql"): ("Run a GraphQL query or mutation", "A query or mutation as a JSON body `{query, "
                           "variables, operationName, extensions}`. " + GRAPHQL),
}


def client_secured(path: str) -> bool:
    """Routes whose refusals are HTTP 401/403: the files and exports (/graphql answers FORBIDDEN as a field error
    with 200, and needs no caller for `health`; /public/ is anonymous)."""
    return path != "/graphql" and not path.startswith("/public/")
