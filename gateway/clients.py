"""One pooled `httpx.AsyncClient` per service. Every call carries a fresh short-lived service
token with the caller's identity and the request id of the GraphQL request."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson

from kaohe.i18n import _
from services.common.auth import Principal, issue_service_token
from services.common.errors import DomainError, ServiceUnavailable
from services.common.observability import REQUEST_ID_HEADER, request_id_var
from services.common.peers import peer_client
from services.common.settings import SERVICES, ServiceName, Settings, get_settings

GATEWAY = Principal(subject="gateway", kind="service")


_TOKENS: dict[Principal, tuple[float, str]] = {}
TOKEN_REUSE_ENTRIES = 10_000


def service_token(principal: Principal) -> str:
    """A service token for `principal`, signed once and reused for the first half of its lifetime
    (a page's three backend calls, and the caller's next requests, share one signature)."""
    now = time.monotonic()
    found = _TOKENS.get(principal)
    if found is not None and now < found[0]:
        return found[1]
    if len(_TOKENS) >= TOKEN_REUSE_ENTRIES:
        _TOKENS.clear()
    token = issue_service_token(principal)
    _TOKENS[principal] = (now + get_settings().service_token_ttl_seconds / 2, token)
    return token


class ServiceClient:
    """Calls to one service, with the caller's identity."""

    def __init__(self, name: ServiceName, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = name
        self.http = peer_client(base_url=base_url, transport=transport, timeout=httpx.Timeout(30.0, connect=3.0))
        self.calls = 0  # backend calls made, for tests and benchmarks

    def _headers(self, principal: Principal) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {service_token(principal)}"}
        rid = request_id_var.get()
        if rid:
            headers[REQUEST_ID_HEADER] = rid
        return headers

    async def request(self, method: str, path: str, principal: Principal, *,
                      headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """Send a request; a service error becomes the same typed error here."""
        self.calls += 1
        send_headers = {**self._headers(principal), **(headers or {})}
        try:
            try:
                response = await self.http.request(method, path, headers=send_headers, **kwargs)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if method != "GET":  # a write may have been applied: never send it twice
                    raise
                # a pooled keep-alive connection the service closed as we reused it: a GET is safe to resend
                response = await self.http.request(method, path, headers=send_headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(_("the %(service)s service cannot be reached: %(exc)s",
                                       service=self.name, exc=type(exc).__name__)) from None
        if response.status_code >= 400:
            raise _error_from(response, self.name)
        return _decode(response) if response.content else None

    async def open_stream(self, path: str, principal: Principal, *,
                          params: dict[str, str] | None = None) -> httpx.Response:
        """GET `path` with the body left unread, to be passed on chunk by chunk; close it when done.
        A service error is read whole (it is small) and raised as the same typed error here."""
        self.calls += 1
        request = self.http.build_request("GET", path, headers=self._headers(principal), params=params)
        try:
            try:
                response = await self.http.send(request, stream=True)
            except (httpx.ReadError, httpx.RemoteProtocolError):  # a stale keep-alive connection: a GET is safe
                response = await self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(_("the %(service)s service cannot be reached: %(exc)s",
                                       service=self.name, exc=type(exc).__name__)) from None
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise _error_from(response, self.name)
        return response

    async def aclose(self) -> None:
        await self.http.aclose()


def _error_from(response: httpx.Response, service: str) -> DomainError:
    try:
        body = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        body = {"code": "upstream_error",
                "message": _("%(service)s answered %(status)s", service=service, status=response.status_code)}
    error = DomainError(body.get("message", ""), details=body.get("details"))
    error.status_code = response.status_code
    error.code = body.get("code", "upstream_error")
    return error


class Clients:
    """The three service clients of a gateway process."""

    def __init__(self, settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> None:
        transports = transports or {}
        self.by_name: dict[ServiceName, ServiceClient] = {
            name: ServiceClient(name, settings.service_base_url(name), transport=transports.get(name))
            for name in SERVICES
        }

    @property
    def evidence(self) -> ServiceClient:
        return self.by_name["evidence"]

    @property
    def scoring(self) -> ServiceClient:
        return self.by_name["scoring"]

    @property
    def ranking(self) -> ServiceClient:
        return self.by_name["ranking"]

    async def aclose(self) -> None:
        for client in self.by_name.values():
            await client.aclose()


def _decode(response: httpx.Response) -> Any:
    """A service's JSON answer, decoded by orjson; the standard decoder takes anything it refuses,
    such as integers beyond 64 bits."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()
