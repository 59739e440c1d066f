"""The FastAPI application factory shared by the three services.

Every service gets: `/healthz` (alive), `/readyz` (database reachable and migrations at head),
`/metrics`, JSON logs with the request id, the typed error model, a body-size limit, the audit
chain sealed on commit, the outbox relay, and `GET /v1/status` (token-protected) for the gateway.
Every route of the service's own routers requires a valid service token.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypedDict

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaohe.i18n import _, localize
from services.common.audit import install_audit
from services.common.auth import CurrentPrincipal, current_principal
from services.common.db import Database, create_engine
from services.common.errors import ErrorRenderer, ServiceUnavailable, install_error_handlers, rest_error
from services.common.headers import SecurityHeadersMiddleware
from services.common.i18n import LocaleMiddleware
from services.common.notify import Sink, install_notify, outbox_sink
from services.common.observability import configure_logging, install_observability
from services.common.openapi import document_errors
from services.common.outbox import BATCH_MAX, OutboxRelay
from services.common.settings import ServiceName, Settings, get_settings
from services.common.tables import CommonModels


def kaohe_version() -> str:
    try:
        return version("kaohe")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0+source"


class BodyLimitMiddleware:
    """Refuse request bodies over the limit (413): at once by Content-Length, or as soon as a
    streamed body passes it. Paths for which `exempt` is true (uploads) have their own limit."""

    def __init__(self, app: ASGIApp, limit: int, exempt: Callable[[str], bool],
                 render: ErrorRenderer = rest_error) -> None:
        self.app, self.limit, self.exempt, self.render = app, limit, exempt, render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length and length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body (bodies here are small), or None as soon as it passes the limit."""
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.render(413, "payload_too_large", localize(_("request body over %(limit)s bytes", limit=self.limit)),
                           None)
        await JSONResponse(body, status_code=413)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then defers to the server."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


@dataclass
class ServiceSpec:
    """What distinguishes one service from another."""

    name: ServiceName
    models: CommonModels
    routers: Sequence[APIRouter] = ()
    description: str = ""
    startup: Sequence[Callable[[FastAPI], Any]] = field(default_factory=list)
    shutdown: Sequence[Callable[[FastAPI], Any]] = field(default_factory=list)  # run before the relay stops
    large_body_paths: Callable[[str], bool] = lambda _path: False
    # where this service's notices (services/common/notify.py) go: evidence's event log; by default its outbox
    notify_sink: Sink | None = None
    # topics of this service's events its destination takes several at a time (`POST /events/batch`)
    batched_topics: frozenset[str] = frozenset()


async def check_ready(db: Database, service: ServiceName) -> str | None:
    """None when the database answers and the schema is at the migrations' head, else why not."""
    from migrations.runner import head_revision  # the migration scripts are only read here

    try:
        async with db.engine.connect() as conn:
            table = (await conn.execute(
                text("SELECT to_regclass(:t)"), {"t": f"{service}.alembic_version"}
            )).scalar()
            current = None
            if table is not None:
                current = (await conn.execute(
                    text(f'SELECT version_num FROM "{service}".alembic_version')  # noqa: S608 - fixed name
                )).scalar()
    except Exception as exc:
        return _("database not reachable: %(kind)s: %(exc)s", kind=type(exc).__name__,
                 exc=str(exc).splitlines()[0][:200])
    if table is None:
        return _("migrations not applied (no %(service)s.alembic_version); run `kaohe migrate`", service=service)
    head = head_revision(service)
    if current != head:
        return _("migrations behind: database at %(current)s, code at %(head)s; run `kaohe migrate`", current=current,
                 head=head)
    return None


_start_up_frozen = False


# Young collections start every YOUNG_THRESHOLD allocations (CPython's default is 700). A service holds a period's
# facts, scores and results in its caches, and a recompute or a re-ranking allocates tens of thousands of objects;
# at 700 the collector ran full passes over those caches dozens of times in bench/period.py's run and took the
# fact-to-ranking latency's tail with it (docs/performance.md, "Period"). Cyclic garbage waits at most that many
# allocations longer to be freed.
YOUNG_THRESHOLD = 50_000


def freeze_start_up_objects() -> None:
    """The process's one `gc.freeze()`, at start-up, and the collector's thresholds: the objects alive then
    (modules, classes, functions, the app) live as long as the process, so the cycle collector's full passes
    stop walking them, and young collections start every YOUNG_THRESHOLD allocations. It runs once per
    process, before any request, so nothing a request or a cache makes later is frozen (frozen cyclic garbage
    would never be freed). The gateway does the same with its own threshold (gateway/app.py); nothing else
    in kaohe's services touches the collector."""
    global _start_up_frozen
    if not _start_up_frozen:
        _start_up_frozen = True
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_THRESHOLD, 10, 10)


def _lifespan(spec: ServiceSpec) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = get_settings()
        freeze_start_up_objects()
        if not hasattr(app.state, "db"):
            url = settings.service_database_url(spec.name)
            if url is None:
                raise ServiceUnavailable(_("KAOHE_%(spec_name)s_DATABASE_URL or KAOHE_DATABASE_URL is required",
                                           spec_name=spec.name.upper()))
            app.state.db = Database(create_engine(url, pool_size=settings.db_pool_size,
                                                  application_name=f"kaohe-{spec.name}"), spec.name)
        db: Database = app.state.db
        install_audit(db, spec.models.audit, spec.models.touched)
        install_notify(db, spec.notify_sink or outbox_sink(spec.models.outbox))
        relay = OutboxRelay(db, spec.models.outbox, source=spec.name, resolve_url=settings.service_base_url,  # type: ignore[arg-type]
                            batched_topics=spec.batched_topics,
                            batch_size=BATCH_MAX if spec.batched_topics else 100)  # a file's facts: few batches
        app.state.relay = relay
        if getattr(app.state, "run_relay", True):
            relay.start()
        for hook in spec.startup:
            await hook(app)
        try:
            yield
        finally:
            for stop in spec.shutdown:
                await stop(app)
            await relay.stop()
            await db.dispose()

    return lifespan


def create_service_app(spec: ServiceSpec) -> FastAPI:
    """Build a service's ASGI app."""
    settings = get_settings()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    app = FastAPI(
        title=f"kaohe {spec.name} service", version=kaohe_version(), description=spec.description,
        lifespan=_lifespan(spec), **docs_urls(settings, spec.name),
    )
    install_offline_docs(app, settings, spec.name)
    install_error_handlers(app)
    install_observability(app, spec.name, settings)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, exempt=spec.large_body_paths)
    app.add_middleware(SecurityHeadersMiddleware, production=settings.environment == "production")
    app.add_middleware(LocaleMiddleware)  # outermost of ours: errors and texts inside answer in the caller's language
    app.state.spec = spec
    declare_security(app, {"serviceToken": SERVICE_TOKEN_SCHEME}, lambda _path: [{"serviceToken": []}])
    document_errors(app)
    _add_health(app, spec)
    for router in spec.routers:
        app.include_router(router, dependencies=[Depends(current_principal)])
    return app


SERVICE_TOKEN_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": (
    "A service token (a short-lived JWT): the gateway's or another service's, carrying the caller's identity; "
    "every /v1 route requires one (401 without, 403 outside the caller's grants).")}


def declare_security(app: FastAPI, schemes: dict[str, dict[str, Any]],
                     requirement: Callable[[str], list[dict[str, list[str]]]]) -> None:
    """Name the security `schemes` in the app's OpenAPI and give each operation its requirement (by path): the
    checks themselves are the routes' dependencies; this says in the document what they are."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        spec.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)
        for path, operations in spec.get("paths", {}).items():
            for operation in operations.values():
                operation.setdefault("security", requirement(path))
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


class DocsUrls(TypedDict):
    docs_url: str | None
    redoc_url: str | None
    openapi_url: str | None


DOCS_ASSETS = "/static/docs"  # Swagger UI's and ReDoc's scripts, from the fastapi-offline package


def docs_urls(settings: Settings, process: str) -> DocsUrls:
    """FastAPI's own documentation routes stay off (they load Swagger UI and ReDoc from a CDN): only
    /openapi.json, where KAOHE_PUBLIC_DOCS opens it; `install_offline_docs` adds the pages."""
    return {"docs_url": None, "redoc_url": None,
            "openapi_url": "/openapi.json" if settings.docs_are_public(process) else None}


def install_offline_docs(app: FastAPI, settings: Settings, process: str) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc) where KAOHE_PUBLIC_DOCS opens them, with their scripts served
    by this process from the fastapi-offline package (Swagger UI, Apache-2.0; ReDoc, MIT): they work on an
    intranet with no way out."""
    if not settings.docs_are_public(process):
        return
    import fastapi_offline  # the package carries the assets (fastapi_offline/static)
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    openapi, redirect = "/openapi.json", "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi, title=f"{app.title} - Swagger UI",
                                   oauth2_redirect_url=redirect,
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # no badge from validator.swagger.io

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False)


def _add_health(app: FastAPI, spec: ServiceSpec) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        reason = await check_ready(request.app.state.db, spec.name)
        if reason:
            return JSONResponse({"status": "unavailable", "service": spec.name, "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready", "service": spec.name})

    @app.get("/v1/status", tags=["meta"], summary="Service status, for the gateway's health query")
    async def status(request: Request, _principal: CurrentPrincipal) -> dict[str, str]:
        """Whether the service is ready (its database answers and its migrations are at head) and which kaohe
        version it runs: `{service, status: ready|unavailable, version, reason}`. The gateway's `health` query
        asks each service; any valid service token may.
        """
        reason = await check_ready(request.app.state.db, spec.name)
        return {"service": spec.name, "status": "ready" if reason is None else "unavailable",
                "version": kaohe_version(), "reason": reason or ""}
