"""HTTP to another kaohe process: the pooled client every caller uses, and reading another service's REST API
as the system (batch reads, period data, rebuilds)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import httpx

from kaohe.i18n import _
from services.common.auth import SYSTEM, issue_service_token
from services.common.errors import NotFound, ServiceUnavailable
from services.common.i18n import pass_language_on
from services.common.settings import get_settings


def peer_client(*, timeout: httpx.Timeout, base_url: str = "", transport: httpx.AsyncBaseTransport | None = None,
                max_connections: int = 100, max_keepalive_connections: int = 20,
                keep_alive_seconds: float | None = None) -> httpx.AsyncClient:
    """A pooled client that drops an idle connection after `KAOHE_CLIENT_KEEP_ALIVE_SECONDS`.

    The servers keep an idle connection open for `KAOHE_SERVER_KEEP_ALIVE_SECONDS`, which is longer: a client
    never reuses a connection the server is closing at that instant (with both at httpx's and uvicorn's 5 s,
    a request, a POST included, could be written into a connection as the server closed it). The caller's
    language (`Accept-Language`) goes along with each request."""
    expiry = get_settings().client_keep_alive_seconds if keep_alive_seconds is None else keep_alive_seconds
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive_connections,
                          keepalive_expiry=expiry)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout, limits=limits,
                             event_hooks={"request": [pass_language_on]})


def segment(value: object) -> str:
    """`value` as one encoded URL path segment, so that an id cannot address another resource (ids come from
    clients: `"a?b"` would read `/v1/periods/` with a query). An id that no path segment can name (empty, `.`,
    `..`, or with a `/`, which the server decodes before routing) or that PostgreSQL cannot store (a NUL) is a
    NotFound here."""
    text = str(value)
    if text in ("", ".", "..") or "/" in text or "\x00" in text:
        raise NotFound(_("no resource is named %(text)r", text=text))
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


async def system_get(http: httpx.AsyncClient, url: str, *, peer: str, params: Any = None,
                     shown: str | None = None, language: str | None = None) -> Any:
    """GET `url` on `peer` with a system service token; 404 → NotFound, any other failure → 503.

    `shown` is how the resource is named in error messages (default: `url`, its segments decoded); `language`,
    the language to read the answer in instead of the caller's (`en`: the stored text of explanations and
    problems, services/common/explanations.py)."""
    shown = shown or unquote(url)
    headers = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
    if language is not None:
        headers["Accept-Language"] = language
    try:
        try:
            response = await http.get(url, params=params, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # a pooled keep-alive connection the peer closed as we reused it: a GET is safe to resend
            response = await http.get(url, params=params, headers=headers)
    except httpx.InvalidURL:  # no such thing can exist there
        raise NotFound(_("%(peer)s does not know %(shown)r", peer=peer, shown=shown)) from None
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(_("%(peer)s is not reachable: %(exc)s", peer=peer, exc=type(exc).__name__)) from None
    if response.status_code == 404:
        raise NotFound(_("%(peer)s does not know %(name)s",
                         peer=peer, name=shown if shown.isprintable() else repr(shown)))
    if response.status_code >= 400:
        raise ServiceUnavailable(_("%(peer)s answered %(status_code)s to GET %(shown)s",
                                   peer=peer, status_code=response.status_code, shown=shown))
    try:
        if response.status_code == 200:
            return response.json()
    except ValueError:
        pass
    raise ServiceUnavailable(_("%(peer)s answered GET %(shown)s with %(status_code)s and no JSON body",
                               peer=peer, shown=shown, status_code=response.status_code))
