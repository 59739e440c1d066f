"""The gateway's ASGI app: FastAPI + strawberry at `POST /graphql`."""

from __future__ import annotations

import asyncio
import gc
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import orjson
from cross_web import HTTPException
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UNSET

from gateway import exports, openapi, public, uploads
from gateway.auth import Authenticator
from gateway.clients import GATEWAY, Clients
from gateway.context import Context, get_context
from gateway.errors import RequestRefused, graphql_error_body, strict_json
from gateway.events import Connections, EventHub, close_reason, token_expiry, watchdog
from gateway.library_messages import library_text
from gateway.schema import configured_schema
from kaohe.i18n import N_, _, current_locale, localize, translate
from services.common.app import (
    BodyLimitMiddleware,
    declare_security,
    docs_urls,
    install_offline_docs,
    kaohe_version,
)
from services.common.errors import (
    UNAUTHENTICATED_HEADERS,
    DomainError,
    JSONResponse,
    NotAuthenticated,
    install_error_handlers,
)
from services.common.headers import SecurityHeadersMiddleware
from services.common.i18n import LocaleMiddleware
from services.common.observability import configure_logging, install_observability
from services.common.openapi import document_errors
from services.common.settings import get_settings


def _api_key_verifier(clients: Clients) -> Any:
    async def verify(key: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await clients.scoring.request(
                "POST", "/v1/api-keys/verify", GATEWAY, json={"key": key})
        except DomainError as exc:
            if exc.status_code in (401, 403, 404):
                return None
            raise
        return found

    return verify


def _key_still_valid(authenticator: Any, headers: dict[str, str]) -> Any:
    """Whether the API key of a subscription connection still works: revoked means closed (4403), as its HTTP
    requests are refused; scoring being unreachable is no reason to drop the connection."""
    async def check() -> bool:
        try:
            await authenticator.authenticate(headers)
        except NotAuthenticated:
            return False
        except DomainError:
            return True
        return True

    return check


GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def response_media_type(accept: str | None) -> str:
    """The media type of a GraphQL answer (GraphQL over HTTP, "Accept"): `application/graphql-response+json` when
    the client names it at least as willingly (q) as `application/json`; `application/json` otherwise, for a
    missing Accept, `*/*` and `application/*` too (older clients know only it)."""
    if not accept or "graphql-response" not in accept.lower():
        return JSON
    best = {GRAPHQL_RESPONSE: 0.0, JSON: 0.0}
    for part in accept.split(","):
        kind, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = kind.lower()
        target = GRAPHQL_RESPONSE if kind == GRAPHQL_RESPONSE else JSON if kind in (JSON, "application/*", "*/*") \
            else None
        if target is not None:
            best[target] = max(best[target], quality)
    return GRAPHQL_RESPONSE if best[GRAPHQL_RESPONSE] > 0 and best[GRAPHQL_RESPONSE] >= best[JSON] else JSON


def _request_error(result: ExecutionResult) -> bool:
    """True when the request failed before any field ran: the document did not parse or validate, a variable
    could not be coerced, the operation was refused (persisted queries, limits). Field errors carry a path."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(not error.path for error in result.errors or ())


class GatewayRouter(GraphQLRouter[Any, None]):
    """strawberry's router, except that a GET naming a persisted query (`?extensions=…`, no
    `query`) is a query, not a browser asking for GraphiQL, that every error has the gateway's one
    shape (gateway/errors.py): strawberry's plain-text refusals too, and UNAUTHENTICATED is HTTP 401, and
    that it speaks GraphQL over HTTP's `application/graphql-response+json` to a client that asks for it
    (`response_media_type`): a request that fails before execution (parse, validation, variable coercion) is then
    a 400 with no `data` entry. `application/json` answers stay as they were: 200 with `data: null`."""

    def should_render_graphql_ide(self, request: Any) -> bool:
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL loading its scripts from the gateway (`/static/graphiql/`), not from a CDN."""
        return graphiql_page(current_locale())  # the language the middleware negotiated for this request

    async def parse_http_body(self, request: Any) -> Any:
        """strawberry's reading of the request, refusing an `operationName` that is not a string (strawberry
        would look for an operation of that name)."""
        found = await super().parse_http_body(request)
        for item in found if isinstance(found, list) else [found]:
            if not isinstance(item.operation_name, str | None):
                raise RequestRefused(_("The GraphQL operation's `operationName` must be a string or null, "
                                       "if provided."))
        return found

    def parse_json(self, data: str | bytes) -> Any:
        """Request bodies and GET parameters: strict JSON (gateway/errors.py `strict_json`)."""
        return strict_json(data)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if request.scope["type"] == "websocket":
            return await self._run_websocket(request, context, root_value)
        media_type = response_media_type(request.headers.get("accept"))
        request.state.graphql_media_type = media_type
        request.state.request_errors = request.state.results = 0
        try:
            response = await super().run(request, context=context, root_value=root_value)
        except (HTTPException, RequestRefused) as exc:
            refused = exc if isinstance(exc, RequestRefused) else RequestRefused(
                library_text(exc.reason), exc.status_code, "not_found" if exc.status_code == 404 else "bad_request")
            if media_type == JSON:
                raise refused from None
            return JSONResponse(graphql_error_body(refused.status_code, refused.code, localize(refused.message)),
                                status_code=refused.status_code, media_type=f"{GRAPHQL_RESPONSE}; charset=utf-8")
        if media_type == GRAPHQL_RESPONSE and response.headers.get("content-type", "").startswith(JSON):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if request.state.results == 1 and request.state.request_errors == 1 and response.status_code == 200:
                response.status_code = 400
        return response

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        answer = await super().process_result(request, result)
        request.state.results += 1
        if _request_error(result):
            request.state.request_errors += 1
            if request.state.graphql_media_type == GRAPHQL_RESPONSE:
                answer.pop("data", None)  # "the data entry must not be present": no field ran
        return answer

    async def _run_websocket(self, websocket: Any, context: Any, root_value: Any) -> Any:
        """A graphql-transport-ws connection: its slot and its watchdog end with it (gateway/events.py); its close
        reasons are cut to what a close frame carries (`close_reason`)."""
        close = websocket.close

        async def bounded_close(code: int = 1000, reason: str | None = None) -> None:
            await close(code=code, reason=close_reason(reason))

        websocket.close = bounded_close
        try:
            return await super().run(websocket, context=context, root_value=root_value)
        finally:
            task = getattr(context, "watchdog", None)
            if task is not None:
                task.cancel()
            identity = getattr(context, "identity", None)
            if identity is not None:
                websocket.app.state.ws_connections.release(identity)

    async def on_ws_connect(self, context: Any) -> Any:
        """Authenticate at `connection_init` (the payload's `Authorization` / `X-API-Key`, else the handshake's
        headers), then hold one of the identity's connection slots and start the expiry and idle watchdog."""
        ctx: Context = context
        request: Any = ctx.request
        state = request.app.state
        params = {str(k).lower(): v for k, v in (ctx.connection_params or {}).items() if isinstance(v, str)}
        headers = {"Authorization": params.get("authorization", ""), "X-API-Key": params.get("x-api-key", "")}
        if not (headers["Authorization"] or headers["X-API-Key"]):
            headers = {"Authorization": request.headers.get("Authorization", ""),
                       "X-API-Key": request.headers.get("X-API-Key", "")}
        try:
            principal = await state.authenticator.authenticate(headers)
        except DomainError as exc:
            raise ConnectionRejectionError({"reason": localize(exc.message)}) from None
        if principal is None:
            raise ConnectionRejectionError({"reason": localize(_(
                "sign in: send Authorization or X-API-Key in connection_init"))})
        if not state.ws_connections.acquire(principal.subject):
            raise ConnectionRejectionError({"reason": localize(_(
                "at most %(limit)s subscription connections per identity", limit=state.ws_connections.limit))})
        ctx.principal = principal
        ctx.identity = principal.subject  # type: ignore[attr-defined]
        settings = get_settings()
        ctx.watchdog = asyncio.create_task(watchdog(  # type: ignore[attr-defined]
            ctx, request, expires_at=token_expiry(headers), idle_seconds=settings.gateway_ws_idle_seconds,
            still_valid=_key_still_valid(state.authenticator, headers) if principal.kind == "api_key" else None))
        return UNSET

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if response.status_code == 200 and _unauthenticated(response_data):
            response.status_code = 401
            response.headers.update(UNAUTHENTICATED_HEADERS)
        return response

    def encode_json(self, data: object) -> bytes:
        """UTF-8 JSON by orjson (a page of 100 subjects is ~100 kB); anything orjson refuses (a lone
        surrogate echoed in an error) is written by the standard encoder with ASCII escapes."""
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":")).encode()


CLIENT_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "A user's JWT from the identity provider (docs/identity.md)."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "An API key an admin created (`createApiKey`), for a system rather than a person."},
}


def _client_requirement(path: str) -> list[dict[str, list[str]]]:
    """Files and exports need a caller; /graphql takes one or none (`health` is public); /public/ is anonymous."""
    if path.startswith("/public/"):
        return []
    either: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": []}]
    return [*either, {}] if path == "/graphql" else either


STATIC = Path(__file__).parent / "static"
GRAPHIQL_ASSETS = "/static/graphiql"  # where gateway/static/graphiql/ is served (development only)


# The page's own words (gateway/static/graphiql.html holds them in English): the starter query's comment, as the
# page's JavaScript template literal has it but for its escaped backticks, and the text shown while it loads.
GRAPHIQL_STARTER = N_("""# kaohe's GraphQL API. Run a query with Ctrl-Enter or the play button;
# Ctrl-Space completes names. Most fields need a token: add
#   {"Authorization": "Bearer <token>"}
# under Headers below (`kaohe token --role admin --scope ""` makes one in development).""")
GRAPHIQL_LOADING = N_("Loading...")


@cache
def _graphiql_template() -> str:
    return (STATIC / "graphiql.html").read_text(encoding="utf-8")


@cache
def graphiql_page(locale: str) -> str:
    """The GraphiQL page in `locale` (the request's, as negotiated): its `lang`, the starter query's comment and
    the loading text; the rest is GraphiQL's own interface."""
    page = _graphiql_template()
    if locale == "en":
        return page
    escaped = GRAPHIQL_STARTER.replace("`", "\\`")
    return (page.replace('<html lang="en">', f'<html lang="{locale}">', 1)
            .replace(escaped, translate(GRAPHIQL_STARTER, locale).replace("`", "\\`"), 1)
            .replace(f">{GRAPHIQL_LOADING}<", f">{translate(GRAPHIQL_LOADING, locale)}<", 1))


def _unauthenticated(response_data: Any) -> bool:
    """True when a field needed a caller and none was signed in: answered 401 like bad credentials."""
    answers = response_data if isinstance(response_data, list) else [response_data]
    return any((error.get("extensions") or {}).get("code") == "UNAUTHENTICATED"
               for answer in answers for error in (answer.get("errors") or []))


def quiet_collector() -> None:
    """The gateway's one `gc.freeze()`, at start-up (as the services', services/common/app.py): what is
    alive then lives as long as the process, so the collector's full passes stop walking it. Young
    collections start every 5,000 allocations instead of 700, since a GraphQL page makes many
    short-lived objects; a higher threshold still (20,000/20/20) let cyclic garbage pile up in the soak."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 10)


def create_app(clients: Clients | None = None, jwks_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the gateway; tests may pass clients and a JWKS transport that fake other services."""
    settings = get_settings()
    configure_logging("gateway", settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clients = clients or Clients(settings)
        jwks_http = httpx.AsyncClient(transport=jwks_transport)
        app.state.authenticator = Authenticator(settings, jwks_http, _api_key_verifier(app.state.clients))
        app.state.events = EventHub(settings.service_base_url("evidence"))
        app.state.ws_connections = Connections(settings.gateway_ws_connections_per_identity)
        app.state.public_limiter, app.state.public_cache = public.RateLimiter(), OrderedDict()
        quiet_collector()
        try:
            yield
        finally:
            await app.state.events.close()
            await app.state.clients.aclose()
            await jwks_http.aclose()

    production = settings.environment == "production"
    app = FastAPI(title="kaohe gateway", version=kaohe_version(), lifespan=lifespan, **docs_urls(settings, "gateway"))
    install_offline_docs(app, settings, "gateway")
    declare_security(app, CLIENT_SCHEMES, _client_requirement)
    document_errors(app, openapi.client_secured, shape=openapi.GATEWAY_ERRORS, declared=openapi.DECLARED,
                    describe=openapi.DESCRIBE)
    install_error_handlers(app, graphql_error_body, where="gateway")
    install_observability(app, "gateway", settings)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, exempt=lambda p: p.startswith("/uploads/"),
                       render=graphql_error_body)
    app.add_middleware(SecurityHeadersMiddleware, production=production)
    app.add_middleware(LocaleMiddleware)  # outermost of ours: errors and texts inside answer in the caller's language
    graphql = GatewayRouter(configured_schema(settings), context_getter=get_context,
                            graphql_ide=None if production else "graphiql")
    app.include_router(graphql, prefix="/graphql")
    if not production:
        app.mount(GRAPHIQL_ASSETS, StaticFiles(directory=STATIC / "graphiql"), name="graphiql-assets")
    app.include_router(uploads.router)
    app.include_router(uploads.downloads)
    app.include_router(exports.router)
    app.include_router(public.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, str]:
        return {"status": "ready", "service": "gateway"}

    return app


app = create_app()
