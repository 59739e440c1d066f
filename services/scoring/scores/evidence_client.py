"""Scoring's client of evidence's `GET /v1/facts` (rebuild from scratch); transport injectable for tests."""

from __future__ import annotations

from typing import Any

import httpx

from kaohe.i18n import _
from services.common.auth import SYSTEM, issue_service_token
from services.common.errors import ServiceUnavailable
from services.common.peers import peer_client
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
