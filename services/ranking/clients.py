"""The ranking service's one HTTP client to scoring (periods, scores, scheme versions)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote, urlencode

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import SOURCE_LOCALE, _
from services.common.audit import chain_head
from services.common.db import driver_connection
from services.common.errors import NotFound, ServiceUnavailable
from services.common.peers import peer_client, segment, system_get
from services.common.settings import get_settings


class ScoringClient:
    """Reads what ranking needs from scoring, as the system (ranking ranks every subject of a period)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http, self.base_url = http, base_url.rstrip("/")

    async def period(self, period_id: str) -> dict[str, Any]:
        """`GET /v1/periods/{id}`: scheme, version, label and status."""
        return await self._get(f"/v1/periods/{segment(period_id)}")

    async def period_scores(self, period_id: str, *, since_score_set: int | None = None,
                            period_key: str | None = None) -> dict[str, Any]:
        """`GET /v1/periods/{id}/scores`: the latest full-precision scores of every subject (or, with
        the score set and period key of an earlier answer, only what changed since: `partial`). Read in English,
        whoever asked: the explanations and problems are copied into the results as stored, whatever the
        language of the request that ranks (services/common/explanations.py)."""
        path = f"/v1/periods/{segment(period_id)}/scores"
        if since_score_set is not None and period_key:
            path += "?" + urlencode({"since_score_set": since_score_set, "period_key": period_key})
        return await self._get(path, language=SOURCE_LOCALE)

    async def scheme_document(self, scheme_id: str, version: int) -> dict[str, Any]:
        """`GET /v1/schemes/{id}/versions/{v}`: the published scheme document."""
        body = await self._get(f"/v1/schemes/{segment(scheme_id)}/versions/{version}")
        # Accept the bare document or an envelope carrying it under `document`.
        document = body.get("document")
        return document if isinstance(document, dict) and "indicators" in document else body

    async def calendar(self) -> list[dict[str, Any]]:
        """`GET /v1/calendar`: the holiday arrangements offices loaded (services/common/workcalendar.py)."""
        loaded: list[dict[str, Any]] = (await self._get("/v1/calendar"))["loaded"]
        return loaded

    async def api_key_creators(self, key_ids: list[str]) -> dict[str, str]:
        """The creator of each API key of `key_ids` (services.common.separation.Creators)."""
        creators: dict[str, str] = (await self._get("/v1/api-keys/creators?" + urlencode({"ids": ",".join(key_ids)})))[
            "creators"]
        return creators

    async def _get(self, path: str, language: str | None = None) -> dict[str, Any]:
        body = await system_get(self.http, f"{self.base_url}{path}", peer="scoring", shown=unquote(path),
                                language=language)
        if not isinstance(body, dict):
            raise ServiceUnavailable(_("scoring answered GET %(path)s with a non-object body", path=path))
        return body


async def audit_heads(session: AsyncSession, scoring: ScoringClient, refused: str) -> dict[str, dict[str, Any]]:
    """The heads of the three audit chains now (sequence, id, hash): ranking's own from its database (before this
    transaction's records), evidence's and scoring's from their `GET /v1/audit/head`. Written into every 公示 and
    审定, so that a chain cut or rewritten afterwards no longer matches what was published.

    Without a peer's head the 公示 or 审定 is refused (503, `refused` says which; the caller's transaction rolls
    back, so nothing of it is written): one published without the heads could not show a later cut."""
    own = await chain_head(await driver_connection(session), "ranking")
    heads = {"ranking": own.to_json()}
    for peer in ("evidence", "scoring"):
        url = f"{get_settings().service_base_url(peer).rstrip('/')}/v1/audit/head"
        try:
            body = await system_get(scoring.http, url, peer=peer, shown="/v1/audit/head")
        except (ServiceUnavailable, NotFound) as exc:  # NotFound: a peer without the endpoint
            raise _no_head(refused, peer, exc.message) from None
        if not _is_head(body):
            raise _no_head(refused, peer, _("%(peer)s answered GET /v1/audit/head without a head", peer=peer))
        heads[peer] = {"sequence": body["sequence"], "id": body.get("id"), "hash": body["hash"]}
    return dict(sorted(heads.items()))


async def open_work(scoring: ScoringClient, period_id: str) -> dict[str, int]:
    """What of the period still waits for the office in evidence (`GET /v1/periods/{id}/open-work`): open appeals
    and submissions pending review. Unanswered, 审定 is refused (503): it would strand them."""
    url = f"{get_settings().service_base_url('evidence').rstrip('/')}/v1/periods/{segment(period_id)}/open-work"
    refused = _("period %(period_id)s was not finalized (审定)", period_id=period_id)
    shown = f"/v1/periods/{period_id}/open-work"
    try:
        body = await system_get(scoring.http, url, peer="evidence", shown=shown)
    except (ServiceUnavailable, NotFound) as exc:  # NotFound: an evidence without the endpoint
        raise _no_open_work(refused, exc.message) from None
    counts = {key: body.get(key) if isinstance(body, dict) else None
              for key in ("open_appeals", "pending_submissions")}
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts.values()):
        raise _no_open_work(refused, _("evidence answered GET %(shown)s without the counts", shown=shown))
    return {key: int(n) for key, n in counts.items() if n is not None}


def _no_open_work(refused: str, cause: str) -> ServiceUnavailable:
    return ServiceUnavailable(_(
        "%(refused)s: evidence cannot tell whether appeals or reviews of the period are still open (%(cause)s); "
        "nothing was written, try again once evidence answers", refused=refused, cause=cause),
        details={"service": "evidence", "missing": "open_work"})


def _is_head(body: Any) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("sequence"), int) and body["sequence"] >= 0
            and isinstance(body.get("hash"), str) and len(body["hash"]) == 64
            and all(c in "0123456789abcdef" for c in body["hash"]))


def _no_head(refused: str, peer: str, cause: str) -> ServiceUnavailable:
    return ServiceUnavailable(_(
        "%(refused)s: the head of %(peer)s's audit chain cannot be read (%(cause)s). Every 公示 and 审定 records "
        "the heads of the three audit chains, so that a later cut of a chain shows; nothing was written, try again "
        "once %(peer)s answers", refused=refused, peer=peer, cause=cause),
        details={"service": peer, "missing": "audit_chain_head"})


def get_scoring_client(request: Request) -> ScoringClient:
    """One pooled client per app; tests put one with a `MockTransport` in `app.state.scoring_http`."""
    return scoring_client_for(request.app)


def scoring_client_for(app: Any) -> ScoringClient:
    state = app.state
    if getattr(state, "scoring_http", None) is None:
        state.scoring_http = peer_client(timeout=httpx.Timeout(30.0, connect=2.0))
    return ScoringClient(state.scoring_http, get_settings().service_base_url("scoring"))


ScoringClientDep = Annotated[ScoringClient, Depends(get_scoring_client)]
