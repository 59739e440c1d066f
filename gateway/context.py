"""The per-request GraphQL context: the caller, the service clients, fresh DataLoaders."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from gateway.clients import Clients
from kaohe.i18n import _
from services.common.auth import Principal
from services.common.errors import NotAuthenticated


class Context(BaseContext):
    """What every resolver can reach; built anew for each request."""

    def __init__(self, request: Request, clients: Clients, principal: Principal | None) -> None:
        super().__init__()
        self.request = request
        self.clients = clients
        self.principal = principal
        self.loaders: dict[str, Any] = {}
        # a graphql-transport-ws connection (gateway/events.py): its payload, subscriptions running, last activity
        self.connection_params: dict[str, Any] | None = None
        self.active_subscriptions = 0
        self.last_activity = time.monotonic()

    @property
    def user(self) -> Principal:
        """The authenticated caller; UNAUTHENTICATED when there is none."""
        if self.principal is None:
            raise NotAuthenticated(_("sign in: send a bearer token or an API key"))
        return self.principal

    def loader(self, name: str, factory: Any) -> Any:
        """The request's DataLoader called `name`, made by `factory()` on first use."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]


async def get_context(request: HTTPConnection) -> Context:
    """Authenticate the request (or a WebSocket's handshake) and build its context."""
    principal = await request.app.state.authenticator.authenticate(request.headers)
    return Context(request=request, clients=request.app.state.clients, principal=principal)  # type: ignore[arg-type]


async def rest_context(request: Request) -> Context:
    """The context of a REST route of the gateway (uploads, exports): the caller must be signed in."""
    context = await get_context(request)
    context.user  # noqa: B018 - raises UNAUTHENTICATED without a caller
    return context
