"""`GET /exports/periods/{period}/{ranking|publication}.{xlsx|csv}`: ranking's exports streamed
through the gateway with the caller's own credentials (the same bearer token or API key as
`/graphql`), checked against the access rules here and filtered to the caller's rows by ranking.

A REST route rather than a GraphQL field handing out a signed URL: the file never passes through
GraphQL, nothing has to be signed or remembered, and a portal downloads it with the header it
already sends (docs/decisions.md)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway import access, loaders
from gateway.context import rest_context
from services.common.peers import segment

router = APIRouter(prefix="/exports", tags=["exports"])
PASSED_HEADERS = ("content-type", "content-disposition")
OPERATIONS = {"ranking": "exportRanking", "publication": "exportPublication"}


INPUT_HEADERS = ("content-type", "x-inputs-sha256", "x-score-set", "x-recompute-pending")


@router.get("/periods/{period_id}/{part}.json",
            summary="The period's scheme or facts document, as `kaohe evaluate` reads it, for an auditor or the office")
async def inputs(request: Request, part: Literal["scheme", "facts"],
                 period_id: str = Path(min_length=1, max_length=100)) -> StreamingResponse:
    """What scoring scores the period on, for recomputing it offline: `scheme.json` (the scheme version's document)
    and `facts.json` (docs/scheme-reference.md §5: subjects with groups and attributes, every live fact, look-back
    facts of earlier periods included). `kaohe evaluate --scheme scheme.json --facts facts.json` gives the stored
    scores and the `inputs_sha256` sent as `X-Inputs-SHA256` (at score set `X-Score-Set`; not yet when
    `X-Recompute-Pending` is `true`). Admins and auditors over the period's owner.
    """
    ctx = await rest_context(request)
    await loaders.authorize_period(ctx, "exportInputs", period_id)
    path = f"/v1/periods/{segment(period_id)}/inputs/{segment(part)}"
    upstream = await ctx.clients.scoring.open_stream(path, ctx.user)
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in INPUT_HEADERS}
    headers["Content-Disposition"] = f'attachment; filename="{segment(period_id)}-{part}.json"'
    return StreamingResponse(upstream.aiter_bytes(), status_code=200, headers=headers,
                             background=BackgroundTask(upstream.aclose))


@router.get("/periods/{period_id}/{kind}.{format}",
            summary="The ranking table or the publication list (公示名单) as xlsx or CSV, the caller's rows only")
async def export(request: Request, kind: Literal["ranking", "publication"], format: Literal["xlsx", "csv"],
                 period_id: str = Path(min_length=1, max_length=100)) -> StreamingResponse:
    """The ranking table (`ranking`, the office roles: admin, assessor, auditor) or the publication list (公示名单,
    `publication`, as published) of a period as `xlsx` or `csv` (UTF-8 with a BOM for Excel and WPS),
    streamed from ranking with only the rows the caller may see. 409 for a publication list never published.
    """
    ctx = await rest_context(request)
    if kind == "ranking":  # the office's table: a period off the caller's branch is answered as one of nothing
        await loaders.authorize_period(ctx, OPERATIONS[kind], period_id)
    else:  # the publication list is the organisation's once published (ranking answers 404 off the branch before)
        access.require_role(ctx.user, OPERATIONS[kind])
    path = f"/v1/periods/{segment(period_id)}/exports/{segment(kind)}"
    upstream = await ctx.clients.ranking.open_stream(path, ctx.user, params={"format": format})
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_HEADERS}
    return StreamingResponse(upstream.aiter_bytes(), status_code=200, headers=headers,
                             background=BackgroundTask(upstream.aclose))


@router.get("/periods/{period_id}/snapshots/{sequence}.json",
            summary="A 审定 snapshot's bytes, exactly as hashed (X-Snapshot-SHA256), for an auditor or the office")
async def snapshot(request: Request, sequence: int = Path(ge=1, le=1_000_000),
                   period_id: str = Path(min_length=1, max_length=100)) -> StreamingResponse:
    """A 审定 snapshot's canonical JSON, byte for byte, with `X-Snapshot-SHA256`: hash the bytes to check them
    against the SHA-256 recorded at approval (`verifySnapshot` does it for you). Admins and auditors over the
    period.
    """
    ctx = await rest_context(request)
    await loaders.authorize_period(ctx, "downloadSnapshot", period_id)
    path = f"/v1/periods/{segment(period_id)}/snapshots/{sequence}"
    upstream = await ctx.clients.ranking.open_stream(path, ctx.user)
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "x-snapshot-sha256")}
    headers["Content-Disposition"] = f'attachment; filename="{segment(period_id)}-snapshot-{sequence}.json"'
    return StreamingResponse(upstream.aiter_bytes(), status_code=200, headers=headers,
                             background=BackgroundTask(upstream.aclose))
