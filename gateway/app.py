"""The gateway's ASGI app: FastAPI + strawberry at `POST /graphql`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from gateway.clients import Clients
from gateway.context import get_context
from gateway.schema import schema
from services.common.app import BodyLimitMiddleware, kaohe_version
from services.common.errors import install_error_handlers
from services.common.observability import configure_logging, install_observability
from services.common.settings import get_settings


def create_app(clients: Clients | None = None) -> FastAPI:
    """Build the gateway; tests may pass clients with fake transports."""
    settings = get_settings()
    configure_logging("gateway", settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clients = clients or Clients(settings)
        try:
            yield
        finally:
            await app.state.clients.aclose()

    app = FastAPI(title="kaohe gateway", version=kaohe_version(), lifespan=lifespan)
    install_error_handlers(app)
    install_observability(app, "gateway")
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, exempt=lambda _p: False)
    development = settings.environment == "development"
    graphql = GraphQLRouter(schema, context_getter=get_context, graphql_ide="graphiql" if development else None)
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, str]:
        return {"status": "ready", "service": "gateway"}

    return app


app = create_app()
