"""Reading another service's REST API as the system (batch reads, period data, rebuilds)."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.auth import SYSTEM, issue_service_token
from services.common.errors import NotFound, ServiceUnavailable


async def system_get(http: httpx.AsyncClient, url: str, *, peer: str, params: Any = None,
                     shown: str | None = None) -> Any:
    """GET `url` on `peer` with a system service token; 404 → NotFound, any other failure → 503.

    `shown` is how the resource is named in error messages (default: `url`)."""
    shown = shown or url
    headers = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
    try:
        try:
            response = await http.get(url, params=params, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # a pooled keep-alive connection the peer closed as we reused it: a GET is safe to resend
            response = await http.get(url, params=params, headers=headers)
    except httpx.InvalidURL:  # an id with control characters: no such thing can exist there
        raise NotFound(f"{peer} does not know {shown!r}") from None
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"{peer} is not reachable: {type(exc).__name__}") from None
    if response.status_code == 404:
        raise NotFound(f"{peer} does not know {shown}")
    if response.status_code >= 400:
        raise ServiceUnavailable(f"{peer} answered {response.status_code} to GET {shown}")
    return response.json()
