"""The per-request GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from strawberry.fastapi import BaseContext

from gateway.clients import Clients


@dataclass
class Context(BaseContext):
    request: Request
    clients: Clients

    def __init__(self, request: Request, clients: Clients) -> None:
        super().__init__()
        self.request = request
        self.clients = clients


async def get_context(request: Request) -> Context:
    """A fresh context (and, later, fresh DataLoaders) for every request."""
    return Context(request=request, clients=request.app.state.clients)
