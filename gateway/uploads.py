"""Files through the gateway, with the same credentials as `/graphql`:

- `POST /uploads/submissions/{id}/attachments`: a multipart upload streamed to the evidence service
  chunk by chunk (never held whole in memory), refused past `MAX_UPLOAD_BYTES`;
- `POST /uploads/schemes/import-excel`: an Excel indicator table streamed to scoring's import, which
  makes a draft of it (refused past `MAX_SCHEME_UPLOAD_BYTES`);
- `POST /uploads/periods/{id}/subjects`: a period's enrolment (CSV or xlsx) streamed to scoring's import, all
  or nothing, every bad row reported (refused past `MAX_ENROLMENT_UPLOAD_BYTES`);
- `POST /uploads/organisation`: units and people from a CSV or xlsx file, all or nothing, each row checked
  and audited as `createUnit`/`createPerson` are;
- `POST /uploads/periods/{id}/facts`: a month's evidence for one indicator (CSV or xlsx) streamed to the evidence
  service, all or nothing, each row checked and audited as `submitEvidence` is (approved at once where the
  uploader reviews it);
- `GET /attachments/{id}`: an attachment's bytes streamed back from the evidence service, which
  re-checks them against the SHA-256 recorded at upload (`X-Content-SHA256`).

GraphQL carries no files well; mobile and portal clients send and fetch them here. The gateway checks
scope first; the services check it again. The answers are the GraphQL types they create, under GraphQL's names
(camelCase, `as_graphql`): an upload answers an `Attachment`, an import a `Scheme`, exactly as a query would read
them, so a client has one name for one thing (the services' internal REST stays snake_case)."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, StreamingResponse
from strawberry.types.base import has_object_definition
from strawberry.utils.str_converters import to_camel_case

from gateway import access
from gateway.clients import ServiceClient
from gateway.context import Context
from gateway.loaders import authorize_period, authorize_subject
from gateway.types.evidence import Attachment
from gateway.types.scheme import Scheme
from kaohe.i18n import _
from services.common.errors import InvalidInput, NotAuthenticated, NotFound, PayloadTooLarge
from services.common.peers import segment

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a scanned report of a few hundred pages
MAX_SCHEME_UPLOAD_BYTES = 5 * 2**20 + 64 * 1024  # scoring takes a 5 MiB workbook; the rest is multipart framing
router = APIRouter(prefix="/uploads", tags=["uploads"])
downloads = APIRouter(tags=["downloads"])
PASSED_ON = ("content-disposition", "x-content-sha256")


class _TooLarge(Exception):
    pass


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        yield chunk


def _declared_size(request: Request) -> int | None:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


async def _context(request: Request) -> Context:
    principal = await request.app.state.authenticator.authenticate(request.headers)
    if principal is None:
        raise NotAuthenticated(_("sign in: send a bearer token or an API key"))
    return Context(request=request, clients=request.app.state.clients, principal=principal)


def _multipart_type(request: Request, limit: int, what: str) -> str:
    """The request's multipart content type; 413 when it declares more than `limit` bytes."""
    declared = _declared_size(request)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(_("%(what)s may be at most %(limit)s bytes", what=what, limit=limit))
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InvalidInput(_("send the file as multipart/form-data"),
                           details=[{"field": "file", "reason": "not multipart"}])
    return content_type


def as_graphql(value: Any) -> Any:
    """A strawberry object as GraphQL writes it: each stored field under its GraphQL name (camelCase), nested
    objects and lists alike, decimals as strings. Fields with a resolver are the caller's to add."""
    if has_object_definition(value):
        return {field.graphql_name or to_camel_case(field.python_name): as_graphql(getattr(value, field.python_name))
                for field in value.__strawberry_definition__.fields if field.base_resolver is None}
    if isinstance(value, list):
        return [as_graphql(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    return value


def attachment_answer(row: dict[str, Any]) -> dict[str, Any]:
    """The evidence service's attachment as GraphQL's `Attachment`."""
    attachment = Attachment.from_json(row)
    return {**as_graphql(attachment), "downloadPath": attachment.download_path()}


def scheme_answer(row: dict[str, Any]) -> dict[str, Any]:
    """Scoring's new draft as GraphQL's `Scheme`, with its document."""
    scheme = Scheme.from_json(row)
    return {**as_graphql(scheme), "document": scheme.stored_document}


def enrolment_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Scoring's `{enrolled, subjects}` with each subject's keys in camelCase, as GraphQL's `Subject` names them."""
    subjects = body.get("subjects")
    if not isinstance(subjects, list):
        return body
    return {**body, "subjects": [{to_camel_case(k): v for k, v in row.items()} if isinstance(row, dict) else row
                                 for row in subjects]}


async def _forward(request: Request, ctx: Context, client: ServiceClient, path: str, content_type: str,
                   limit: int, what: str, answer: Callable[[dict[str, Any]], dict[str, Any]],
                   wait: httpx.Timeout | None = None) -> JSONResponse:
    headers = {"Content-Type": content_type}
    key = request.headers.get("idempotency-key")
    if key is not None:  # the services replay a retried upload with the same key (services/common/idempotency.py)
        headers["Idempotency-Key"] = key
    try:
        body = await client.request("POST", path, ctx.user, headers=headers, content=_limited(request, limit),
                                    **({"timeout": wait} if wait is not None else {}))
    except _TooLarge:
        raise PayloadTooLarge(_("%(what)s may be at most %(limit)s bytes", what=what, limit=limit)) from None
    return JSONResponse(answer(body), status_code=201)


@router.post("/submissions/{submission_id}/attachments", status_code=201,
             summary="Attach a file to a submission (multipart field `file`), streamed to the evidence service; "
                     "answers the new `Attachment` as GraphQL names it (id, fileName, contentType, size, sha256, "
                     "downloadPath)")
async def upload_attachment(request: Request, submission_id: str = Path(max_length=200)) -> Any:
    """Attach a file to a submission, as GraphQL cannot carry one: the multipart field `file` is streamed to the
    evidence service, which hashes it (SHA-256) and checks its bytes against its type (PDF, images,
    Office/WPS, text), up to the attachment limit (413). Those who may submit evidence for the subject's
    unit; 409 once the submission is decided. Send `Idempotency-Key` to make a retry safe.
    """
    limit: int = getattr(request.app.state, "max_upload_bytes", MAX_UPLOAD_BYTES)
    content_type = _multipart_type(request, limit, _("an attachment"))
    ctx = await _context(request)
    access.require_role(ctx.user, "uploadAttachment")  # before the read: evidence hides submissions from a rater (404)
    submission = await ctx.clients.evidence.request("GET", f"/v1/submissions/{segment(submission_id)}", ctx.user)
    await authorize_subject(ctx, "uploadAttachment", str(submission.get("period_id")),
                            str(submission.get("subject_id")))
    return await _forward(request, ctx, ctx.clients.evidence, f"/v1/submissions/{segment(submission_id)}/attachments",
                          content_type, limit, _("an attachment"), attachment_answer)


@router.post("/schemes/import-excel", status_code=201,
             summary="Create a scheme draft from an Excel indicator table (multipart `file`, optional `owner_path`, "
                     "`id`, `title`, `version`), streamed to scoring; answers the draft as GraphQL's `Scheme` "
                     "(id, version, name, status, revision, ownerPath, indicators, document…); problems come back "
                     "as 422 with pointers")
async def import_scheme_excel(request: Request) -> Any:
    """Create a scheme (考核方案) draft from an Excel indicator table, streamed to scoring: the form fields
    `owner_path`, `id`, `title`, `version` name it. An admin of the whole organisation, as `createScheme`;
    the engine's problems come back as 422 with their JSON pointers.
    """
    limit: int = getattr(request.app.state, "max_scheme_upload_bytes", MAX_SCHEME_UPLOAD_BYTES)
    content_type = _multipart_type(request, limit, _("an indicator table"))
    ctx = await _context(request)
    access.require(ctx.user, "importSchemeExcel")
    return await _forward(request, ctx, ctx.clients.scoring, "/v1/schemes/import-excel", content_type, limit,
                          _("an indicator table"), scheme_answer)


MAX_ENROLMENT_UPLOAD_BYTES = 10 * 2**20 + 64 * 1024  # scoring takes a 10 MiB file; the rest is multipart framing
# A table of 10,000 rows is checked row by row and written in one request: an organisation file takes minutes on a
# busy machine (docs/performance.md), and a gateway that gave up earlier would answer 503 for an import that commits.
TABLE_TIMEOUT = httpx.Timeout(600.0, connect=3.0)


async def _table_upload(request: Request, path: str, what: str, authorize: Any,
                        answer: Callable[[dict[str, Any]], dict[str, Any]], service: str = "scoring") -> JSONResponse:
    """A CSV or xlsx table streamed to the service's import at `path` once `authorize(ctx)` passed."""
    limit: int = getattr(request.app.state, "max_enrolment_upload_bytes", MAX_ENROLMENT_UPLOAD_BYTES)
    content_type = _multipart_type(request, limit, what)
    ctx = await _context(request)
    await authorize(ctx)
    client = ctx.clients.evidence if service == "evidence" else ctx.clients.scoring
    return await _forward(request, ctx, client, path, content_type, limit, what, answer, TABLE_TIMEOUT)


@router.post("/periods/{period_id}/subjects", status_code=201,
             summary="Enrol a period's subjects from a CSV or xlsx file (multipart `file`; columns id, group and "
                     "attributes), all or nothing: 422 lists every bad row as {row, column, reason}")
async def import_subjects(request: Request, period_id: str = Path(min_length=1, max_length=100)) -> Any:
    """Enrol a period's subjects, or update enrolled ones, from a CSV or xlsx file of at most 10 MiB, streamed
    to scoring, all or nothing: one bad row refuses the file with 422 and every bad row as `{row, column,
    reason}`. An admin over the period's office, while enrolment is open (409 once published).
    """
    async def authorize(ctx: Context) -> None:
        await authorize_period(ctx, "importSubjects", period_id)

    return await _table_upload(request, f"/v1/periods/{segment(period_id)}/subjects/import", _("an enrolment file"),
                               authorize, enrolment_answer)


@router.post("/organisation", status_code=201,
             summary="Create units and people from a CSV or xlsx file (multipart `file`; columns type, id, name, "
                     "slug, parent, unit; `id` only from an admin of the whole organisation), all or nothing: 422 "
                     "lists every bad row as {row, column, reason}")
async def import_organisation(request: Request) -> Any:
    """Create units and people from a CSV or xlsx file of at most 10 MiB, streamed to scoring, in one
    transaction: every row is checked as `createUnit` and `createPerson` check it, and one bad row refuses
    the file with 422 and every bad row as `{row, column, reason}`. An admin; a row's `id` only from an admin of
    the whole organisation (a bad row, column `id`, from anyone else: leave the column out or empty).
    """
    async def authorize(ctx: Context) -> None:
        access.require_role(ctx.user, "importOrganisation")  # scoring checks each row's unit like createUnit

    return await _table_upload(request, "/v1/organisation/import", _("an organisation file"), authorize,
                               rows_answer("warnings"))  # {units, people, warnings}


def rows_answer(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A service's import answer under GraphQL's names: its keys and those of each item of its list `key` in
    camelCase (facts: `submissions: [{row, id, subjectId, status, factId}]`; organisation: `warnings: [{row,
    column, code, message, similarTo}]`)."""
    def camel(row: Any) -> Any:
        return {to_camel_case(k): v for k, v in row.items()} if isinstance(row, dict) else row

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        rows = body.get(key)
        return {**camel(body), **({key: [camel(row) for row in rows]} if isinstance(rows, list) else {})}

    return answer


@router.post("/periods/{period_id}/facts", status_code=201,
             summary="Submit a month's evidence for one indicator from a CSV or xlsx file (multipart `file`, "
                     "`indicator`, optional `fact`, `month` YYYY-MM, `justification`; columns subject, name, "
                     "justification and the fact kind's fields), all or nothing: 422 lists every bad row as "
                     "{row, column, reason}; each row becomes a submission, approved at once where the uploader "
                     "reviews it")
async def import_facts(request: Request, period_id: str = Path(min_length=1, max_length=100)) -> Any:
    """Submit a month's evidence (佐证材料) for one indicator from a CSV or xlsx file, streamed to evidence, all or
    nothing: each row becomes a submission entering its review chain, approved at once where the uploader
    reviews every level; one bad row refuses the file with 422 and every bad row as `{row, column, reason}`.
    The answer is camelCase, as GraphQL names the fields.
    """
    try:
        path: str | None = f"/v1/periods/{segment(period_id)}/submissions/import"
    except NotFound:
        path = None

    async def authorize(ctx: Context) -> None:
        access.require_role(ctx.user, "importFacts")  # evidence checks each row's subject like submitEvidence
        if path is None:  # an id no path can name: a period that does not exist, answered as evidence answers one
            raise NotFound(_("period %(period_id)s not found", period_id=period_id))

    return await _table_upload(request, path or "", _("a facts file"), authorize, rows_answer("submissions"),
                               service="evidence")


async def _relay(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    finally:
        await response.aclose()


@downloads.get("/attachments/{attachment_id}", summary="Download an attachment (streamed from the evidence "
               "service, which refuses bytes that no longer match their SHA-256 with 409)")
async def download_attachment(request: Request, attachment_id: str = Path(max_length=200)) -> Any:
    """An attachment's bytes, streamed from the evidence service with its name and `X-Content-SHA256`; evidence
    hashes the stored bytes first and refuses with 409 (`reason` `attachment_altered`) when they no longer
    match the SHA-256 recorded at upload. Those who may read the submission.
    """
    ctx = await _context(request)
    access.require_role(ctx.user, "downloadAttachment")
    attachment = await ctx.clients.evidence.request("GET", f"/v1/attachments/{segment(attachment_id)}", ctx.user)
    path = f"/v1/submissions/{segment(attachment.get('submission_id'))}"
    submission = await ctx.clients.evidence.request("GET", path, ctx.user)
    await authorize_subject(ctx, "downloadAttachment", str(submission.get("period_id")),
                            str(submission.get("subject_id")))
    upstream = await ctx.clients.evidence.open_stream(f"/v1/attachments/{segment(attachment_id)}/content", ctx.user)
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_ON}
    return StreamingResponse(_relay(upstream), media_type=upstream.headers.get("content-type"), headers=headers)
