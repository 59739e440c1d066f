"""Scoring's client of evidence's `GET /v1/facts` (rebuild from scratch) and `GET /v1/facts/provenance`
(verification); transport injectable for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from kaohe.i18n import _
from services.common import provenance
from services.common.auth import SYSTEM, issue_service_token
from services.common.errors import ServiceUnavailable
from services.common.peers import peer_client
from services.common.provenance import EvidenceFact
from services.common.settings import get_settings

PAGE = 1000
MAX_PAGES = 10_000


def _page(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Evidence's page: `{"period_id", "items": [...], "next": cursor|null}` (`facts` accepted for `items`)."""
    items = body.get("items", body.get("facts")) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ServiceUnavailable(_("evidence returned an unexpected facts page"))
    cursor = body.get("next")
    return items, (str(cursor) if cursor not in (None, "") else None)


async def fetch_facts(period_id: str, transport: httpx.AsyncBaseTransport | None = None) -> list[dict[str, Any]]:
    """Every current fact of a period, following the cursor."""
    base = get_settings().service_base_url("evidence")
    facts: list[dict[str, Any]] = []
    cursor: str | None = None
    timeout = httpx.Timeout(30.0, connect=3.0)
    async with peer_client(base_url=base, transport=transport, timeout=timeout) as client:
        for _page_number in range(MAX_PAGES):
            params = {"period_id": period_id, "limit": str(PAGE), **({"after": cursor} if cursor else {})}
            headers = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
            try:
                response = await client.get("/v1/facts", params=params, headers=headers)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise ServiceUnavailable(_("evidence facts could not be read: %(exc)s", exc=exc)) from None
            page, cursor = _page(response.json())
            facts.extend(page)
            if cursor is None or not page:
                return facts
    raise ServiceUnavailable(_("evidence kept paging past the limit"))


async def provenance_pages(period_id: str, transport: httpx.AsyncBaseTransport | None = None
                           ) -> AsyncIterator[list[EvidenceFact]]:
    """Every page of evidence's `GET /v1/facts/provenance` for a period: its facts with their last audited change
    (what verification holds scoring's fact copies and causes to). 503 when evidence does not answer."""
    base = get_settings().service_base_url("evidence")
    cursor: str | None = None
    timeout = httpx.Timeout(60.0, connect=3.0)
    async with peer_client(base_url=base, transport=transport, timeout=timeout) as client:
        for _page_number in range(MAX_PAGES):
            params = {"period_id": period_id, "limit": str(provenance.PAGE), **({"after": cursor} if cursor else {})}
            headers = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
            try:
                response = await client.get("/v1/facts/provenance", params=params, headers=headers)
                response.raise_for_status()
                body = response.json()
                page = [EvidenceFact.from_json(item) for item in body["items"]]
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                raise ServiceUnavailable(_("evidence's audited facts could not be read to verify period "
                                           "%(period_id)s: %(exc)s", period_id=period_id, exc=exc)) from None
            if page:
                yield page
            cursor = body.get("next")
            if not cursor or not page:
                return
    raise ServiceUnavailable(_("evidence kept paging past the limit"))
